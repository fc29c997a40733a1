// The dashboard's own behaviour in the browser, loaded once per page (dashboard/ui.py). Bundled, nothing fetched.
(() => {
  if (window.__tielingUi) return;
  window.__tielingUi = true;
  const doc = window.document;

  // ---- 1. A typed date applies on Enter (Streamlit's date field applies only when the focus leaves it).
  // ---- 2. A download carries what the screen shows: a click while an edit is pending or a run is under way
  //         waits for the run to end and then downloads the new file, never the previous run's.
  const EDITABLE = '[data-testid="stDateInput"], [data-testid="stTextInput"], [data-testid="stNumberInput"]';
  let pending = false;
  // focus moved to another element applies the edit; a bare blur() (focus to nothing) does not in Streamlit 1.67
  const release = () => {
    const main = doc.querySelector('[data-testid="stMain"]') || doc.body;
    if (!main.hasAttribute('tabindex')) main.setAttribute('tabindex', '-1');
    main.focus({ preventScroll: true });
  };
  const appState = () => doc.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state');
  doc.addEventListener('keydown', (ev) => {
    const field = ev.target instanceof Element && ev.target.closest(EDITABLE);
    if (!field) return;
    pending = true;
    if (ev.key === 'Enter' && field.matches('[data-testid="stDateInput"]')) {
      ev.preventDefault();
      release();
    }
  }, true);
  const idle = (startedAt) => new Promise((resolve) => {
    let seenRunning = false;
    const check = () => {
      const state = appState();
      if (state === 'running') seenRunning = true;
      const settled = seenRunning || Date.now() - startedAt > 1500;
      if (settled && state !== 'running' && !doc.querySelector('[data-testid="stSkeleton"]')) resolve();
      else setTimeout(check, 100);
    };
    check();
  });
  doc.addEventListener('click', (ev) => {
    const button = ev.target instanceof Element && ev.target.closest('[data-testid="stDownloadButton"] button');
    if (!button || button.dataset.tielingPass) return;
    if (!pending && appState() !== 'running') return;
    ev.preventDefault();
    ev.stopImmediatePropagation();
    const label = button.innerText;
    if (doc.activeElement && doc.activeElement.closest(EDITABLE)) release();
    idle(Date.now()).then(() => {
      pending = false;
      const again = [...doc.querySelectorAll('[data-testid="stDownloadButton"] button')]
        .find((b) => b.innerText === label);
      if (!again) return;
      again.dataset.tielingPass = '1';
      again.click();
      delete again.dataset.tielingPass;
    });
  }, true);
  new MutationObserver(() => { if (appState() === 'running') pending = false; })
    .observe(doc.body, { attributes: true, subtree: true, attributeFilter: ['data-test-script-state'] });

  // ---- 3. 复制本页链接: this page's address with the pinned parameters the server wrote on the button.
  doc.addEventListener('click', async (ev) => {
    const button = ev.target instanceof Element && ev.target.closest('[data-tieling-copy]');
    if (!button) return;
    const link = `${location.origin}${location.pathname}?${button.dataset.tielingCopy}`;
    let copied = false;
    try {
      await navigator.clipboard.writeText(link);   // only in a secure context (https, localhost)
      copied = true;
    } catch (refused) {
      const area = doc.createElement('textarea');
      area.value = link;
      area.setAttribute('readonly', '');
      area.style.cssText = 'position:fixed;opacity:0';
      doc.body.appendChild(area);
      area.select();
      try { copied = doc.execCommand('copy'); } catch (old) { copied = false; }
      area.remove();
    }
    const box = button.parentElement;
    let shown = box.querySelector('input.tieling-link-text');
    if (!shown) {
      shown = doc.createElement('input');
      shown.readOnly = true;
      shown.className = 'tieling-link-text';
      box.appendChild(shown);
    }
    shown.value = link;
    box.querySelector('.tieling-copied').textContent = copied ? '已复制链接' : '请按 Ctrl+C 复制下面的链接';
    if (!copied) { shown.focus(); shown.select(); }
  });

  // ---- 4. Every visible word Chinese: Streamlit's own labels, tooltips and messages, as they appear.
  const WORDS = __WORDS__;
  const PATTERNS = __PATTERNS__.map(([re, to]) => [new RegExp(re), to]);
  const translate = (text) => {
    const trimmed = text.trim();
    if (!trimmed || !/[A-Za-z]/.test(trimmed)) return null;
    if (Object.prototype.hasOwnProperty.call(WORDS, trimmed)) return text.replace(trimmed, WORDS[trimmed]);
    for (const [re, to] of PATTERNS) if (re.test(trimmed)) return text.replace(trimmed, trimmed.replace(re, to));
    return null;
  };
  const ATTRIBUTES = ['aria-label', 'title', 'placeholder'];
  const visit = (root) => {
    if (root.nodeType === Node.TEXT_NODE) {
      const done = translate(root.nodeValue);
      if (done !== null) root.nodeValue = done;
      return;
    }
    if (root.nodeType !== Node.ELEMENT_NODE || root.closest('.js-plotly-plot svg, code, pre')) return;
    for (const name of ATTRIBUTES) {
      const value = root.getAttribute(name);
      const done = value && translate(value);
      if (done) root.setAttribute(name, done);
    }
    const walker = doc.createTreeWalker(root, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.nodeType === Node.TEXT_NODE) {
        const done = translate(node.nodeValue);
        if (done !== null) node.nodeValue = done;
      } else {
        for (const name of ATTRIBUTES) {
          const value = node.getAttribute(name);
          const done = value && translate(value);
          if (done) node.setAttribute(name, done);
        }
      }
    }
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'characterData') visit(r.target);
      else if (r.type === 'attributes') visit(r.target);
      else r.addedNodes.forEach(visit);
    }
  }).observe(doc.body, { childList: true, subtree: true, characterData: true, attributes: true,
                         attributeFilter: ATTRIBUTES });
  visit(doc.body);
})();
