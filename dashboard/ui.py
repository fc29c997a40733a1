"""What the dashboard adds in the browser, bundled with it (no CDN): print styles, the projector view's styles, and
a small script (assets/ui.js) that applies a typed date on Enter, makes a download wait for the run a pending edit
starts (so a file always carries what the screen shows), and puts Streamlit's own English labels, tooltips and
messages into Chinese (WORDS, PATTERNS). Plotly's toolbar speaks Chinese through its locale
(dashboard.charts.PLOTLY_CONFIG).
"""
from __future__ import annotations

import json
from html import escape
from functools import cache
from pathlib import Path

import streamlit as st

ASSETS = Path(__file__).resolve().parent / "assets"
SCREEN_VIEW = "screen"   # ?view=screen: the projector view

# Streamlit 1.67's visible English, as it appears in the frontend (text, aria-label, title, placeholder)
WORDS = {
    "Running...": "正在运行…", "Stop": "停止", "Connecting": "正在连接", "Rerun": "重新运行",
    "Search": "搜索", "Fullscreen": "全屏", "Close fullscreen": "退出全屏", "Show/hide columns": "显示/隐藏列",
    "Download as CSV": "下载为 CSV", "Clear all": "全部清除", "Clear": "清除", "Clear value": "清除", "Dismiss": "关闭", "No results": "无匹配项",
    "Select all": "全选", "Choose date": "选择日期", "Show password": "显示密码", "Hide password": "隐藏密码",
    "Copy to clipboard": "复制", "Copied": "已复制", "Collapse sidebar": "收起侧栏", "Expand sidebar": "展开侧栏",
    "Main menu": "主菜单", "Settings": "设置", "Print": "打印", "About": "关于", "Clear cache": "清除缓存",
    "Record a screencast": "录制屏幕", "Close": "关闭", "Page not found": "页面不存在",
    "Sort ascending": "升序排列", "Sort descending": "降序排列", "Autosize": "自动列宽", "Pin column": "固定列",
    "Unpin column": "取消固定列", "Hide column": "隐藏列", "Format": "格式", "Automatic": "自动",
    "Please wait...": "请稍候…", "Increment": "增加", "Decrement": "减少", "Open": "打开",
    "Previous month": "上个月", "Next month": "下个月", "Today": "今天", "Show more": "展开", "Show less": "收起",
    "Remove": "移除", "Delete": "删除", "Select": "选择", "Help": "说明", "Error": "错误", "Warning": "警告",
    "Bad message format": "消息格式错误", "Connection error": "连接中断", "Deploy": "发布",
}
PATTERNS = [   # (JavaScript regular expression, replacement)
    (r"^Press Enter to (apply|submit form)$", "按回车键确认"),
    (r"^You have requested page /(.*), but no corresponding file was found in the app's pages/ directory\. "
     r"Running the app's main page\.$", "您访问的页面 /$1 不存在,已为您打开首页(总览)。"),
    (r"^The page that you have requested does not seem to exist\. Running the app's main page\.$",
     "您访问的页面不存在,已为您打开首页(总览)。"),
    (r"^Help for (.+)$", "$1的说明"),
    (r"^Remove (.+)$", "移除 $1"),
    (r"^(year|month|day), (.+)$", "$2"),
]



@cache
def _script() -> str:
    text = (ASSETS / "ui.js").read_text(encoding="utf-8")
    return (text.replace("__WORDS__", json.dumps(WORDS, ensure_ascii=False))
            .replace("__PATTERNS__", json.dumps(PATTERNS, ensure_ascii=False)))


@cache
def _style(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def screen_view() -> bool:
    """Whether this page is shown in the projector view (?view=screen)."""
    return st.query_params.get("view") == SCREEN_VIEW


def copy_link_button(query: str, note: str) -> str:
    """The 复制本页链接 button (ui.js copies this page's address with `query`), and the link shown for copying by hand
    where the browser refuses the clipboard (plain http on an intranet)."""
    return (f'<div class="tieling-link"><button type="button" class="tieling-copy" data-tieling-copy="{escape(query)}">'
            f'复制本页链接</button><span class="tieling-copied" aria-live="polite"></span>'
            f'<div class="tieling-link-note">{escape(note)}</div></div>')


def inject() -> None:
    """The styles and the script, once per run (the script guards itself against running twice in a page)."""
    css = _style("ui.css") + (_style("screen.css") if screen_view() else "")
    st.html(f"<style>{css}</style>")
    st.html(f"<script>{_script()}</script>", unsafe_allow_javascript=True)
