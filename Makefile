# The two commands a newcomer needs: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DATA   ?= data
INBOX  ?= $(DATA)/inbox
WAREHOUSE ?= $(DATA)/warehouse/warehouse.duckdb
# A local key for the demo only; a real deployment sets its own secret PII_HMAC_KEY (at least 32 bytes:
# `head -c 32 /dev/urandom | base64`). The ETL refuses this key unless ETL_ALLOW_DEMO_KEY=1, which only the demo's
# targets (demo, etl: the demo data in data/) set.
DEMO_KEY := demo-only-key-not-for-production
DEMO_ENV := PII_HMAC_KEY=$${PII_HMAC_KEY:-$(DEMO_KEY)} ETL_ALLOW_DEMO_KEY=1
# The dashboard signs its login cookie with DASHBOARD_COOKIE_SECRET; the demo makes a random one once, owner-only,
# beside the warehouse (a deployment keeps its own in an environment file: deploy/systemd).
COOKIE_SECRET := $(dir $(WAREHOUSE)).cookie-secret
APP_ENV = WAREHOUSE_PATH=$(abspath $(WAREHOUSE)) DASHBOARD_COOKIE_SECRET=$${DASHBOARD_COOKIE_SECRET:-$$(cat $(COOKIE_SECRET))}

.PHONY: demo test setup setup-test etl app accounts clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed
setup-test: $(VENV)/.installed-test

demo: setup
	@if [ -z "$$(ls -A $(INBOX) 2>/dev/null)" ]; then $(PY) -m etl.simulate --out $(INBOX) --messy; fi
	$(DEMO_ENV) $(PY) -m etl run --inbox $(INBOX) --warehouse $(WAREHOUSE)
	@$(MAKE) --no-print-directory accounts
	$(APP_ENV) $(PY) -m streamlit run app.py

# the demo's accounts, one per role (the 县区用户 for 昌图县), their passwords printed once; and the cookie secret
accounts: setup
	@[ -s $(COOKIE_SECRET) ] || (umask 077; mkdir -p $(dir $(COOKIE_SECRET)); head -c 32 /dev/urandom | base64 > $(COOKIE_SECRET))
	@WAREHOUSE_PATH=$(abspath $(WAREHOUSE)) $(PY) -m dashboard.accounts demo

etl: setup
	$(DEMO_ENV) $(PY) -m etl run --inbox $(INBOX) --warehouse $(WAREHOUSE)

app: setup accounts
	$(APP_ENV) $(PY) -m streamlit run app.py

# Headless Chromium comes from Debian's package (never `playwright install`).
test: setup-test
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; } || \
		echo "chromium 未安装:浏览器测试将跳过" >&2
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) $(DATA)
