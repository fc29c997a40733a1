"""The deployment's hardening, checked without starting a server (issue 11): Streamlit's own settings
(.streamlit/config.toml, read by Streamlit 1.67 itself), the nginx front (deploy/nginx: TLS, the WebSocket, security
headers; `nginx -t` on it where nginx and openssl are installed, else skipped — NGINX=/path/to/nginx picks a binary
off the PATH), the dashboard's systemd unit (secrets in an environment file, umask, sandbox, loopback; `systemd-analyze
verify` where present) and the accounts wrapper.

The ETL's side — the warehouse, the archive and the lock owner-only whatever the umask — is
tests/test_night_safety.py::test_everything_the_etl_creates_is_owner_only_whatever_the_umask (umask 022 and 000), and
the cron line is run there too (test_the_cron_line_hands_its_key_file_to_the_etl); not repeated here.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT

CONFIG = ROOT / ".streamlit" / "config.toml"
NGINX_CONF = ROOT / "deploy" / "nginx" / "tieling-dashboard.conf"
UNIT = ROOT / "deploy" / "systemd" / "tieling-dashboard.service"
ACCOUNTS_WRAPPER = ROOT / "deploy" / "bin" / "tieling-accounts"
SECURITY_HEADERS = ("Strict-Transport-Security", "X-Frame-Options", "Content-Security-Policy",
                    "X-Content-Type-Options", "Referrer-Policy")


# ------------------------------------------------------------------ Streamlit

def test_streamlit_config_keeps_cross_origin_access_closed():
    server = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert server["server"]["enableXsrfProtection"] is True
    assert server["server"]["enableCORS"] is True            # CORS *protection*: no cross-origin access
    assert server["server"].get("corsAllowedOrigins", []) == []
    assert server["server"]["address"] in ("localhost", "127.0.0.1")
    assert server["server"]["headless"] is True
    assert server["server"].get("enableAgentApi", False) is False
    assert server["browser"]["gatherUsageStats"] is False
    assert server["client"]["disableDataExport"] is True     # no unaudited table export (the pages' buttons only)


def test_streamlit_itself_reads_those_settings_from_the_file(tmp_path):
    """Streamlit 1.67's own parser, in a fresh interpreter (its config is process-global), with an empty home so a
    developer's ~/.streamlit/config.toml cannot mask the project's file: every key known, every value in force."""
    keys = ["server.enableCORS", "server.enableXsrfProtection", "server.corsAllowedOrigins", "server.address",
            "browser.gatherUsageStats", "server.enableAgentApi", "server.enableStaticServing", "server.headless"]
    code = ("import json, sys; from streamlit import config; config.get_config_options(force_reparse=True); "
            f"print(json.dumps({{k: [config.get_option(k), config.get_where_defined(k)] for k in {keys!r}}}))")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}, "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "not a valid config option" not in done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert {k: v for k, (v, _) in got.items()} == {
        "server.enableCORS": True, "server.enableXsrfProtection": True, "server.corsAllowedOrigins": [],
        "server.address": "localhost", "browser.gatherUsageStats": False, "server.enableAgentApi": False,
        "server.enableStaticServing": False, "server.headless": True}
    assert {where for _, where in got.values()} == {str(CONFIG)}


# ------------------------------------------------------------------ nginx

def _block(text: str, opening: str) -> str:
    """The body of the block that starts with `opening` (e.g. 'location = /_stcore/stream'), braces matched."""
    start = text.index(opening + " {") + len(opening) + 2
    depth, i = 1, start
    while depth:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    return text[start:i - 1]


def _directives(body: str) -> list[str]:
    """The block's directives, comments dropped and whitespace collapsed."""
    lines = (re.sub(r"\s+", " ", line.split("#", 1)[0]).strip() for line in body.splitlines())
    return [line for line in lines if line]


def test_nginx_proxies_the_websocket_with_the_upgrade_headers():
    conf = NGINX_CONF.read_text(encoding="utf-8")
    stream = _directives(_block(conf, "location = /_stcore/stream"))
    assert "proxy_pass http://tieling_dashboard;" in stream
    assert "proxy_set_header Upgrade $http_upgrade;" in stream
    assert "proxy_set_header Connection $tieling_connection;" in stream
    # proxy_set_header in a location replaces the server's: Host (with the port, which Streamlit compares with the
    # Origin) and the client's address are set here again
    assert "proxy_set_header Host $http_host;" in stream
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in stream
    assert any(d.startswith("proxy_read_timeout ") and int(re.sub(r"\D", "", d)) >= 60 for d in stream)
    assert "if ($tieling_foreign_origin) {" in stream
    mapping = _directives(_block(conf, "map $http_upgrade $tieling_connection"))
    assert "default upgrade;" in mapping
    assert "proxy_http_version 1.1;" in _directives(_main_server(conf))


def _main_server(conf: str) -> str:
    """The server block with the certificate (not the redirect nor the catch-all)."""
    starts = [m.start() for m in re.finditer(r"^server \{", conf, re.M)]
    for start in starts:
        body = _block(conf[start:], "server")
        if "ssl_certificate " in body:
            return body
    raise AssertionError("no server block with ssl_certificate")


def test_nginx_terminates_tls_and_sends_the_security_headers():
    conf = NGINX_CONF.read_text(encoding="utf-8")
    server = _directives(_main_server(conf))
    assert any(d.startswith("listen 443 ssl") for d in server)
    assert any(d.startswith("ssl_certificate ") for d in server)
    assert any(d.startswith("ssl_certificate_key ") for d in server)
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in server
    headers = {d.split()[1]: d for d in server if d.startswith("add_header ")}
    assert set(SECURITY_HEADERS) <= set(headers)
    assert all(d.endswith(" always;") for d in headers.values())
    assert int(re.search(r"max-age=(\d+)", headers["Strict-Transport-Security"]).group(1)) >= 365 * 86400
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"] and "DENY" in headers["X-Frame-Options"]
    assert "nosniff" in headers["X-Content-Type-Options"]
    # plain http only redirects to https
    redirect = _directives(_block(conf, "server"))
    assert redirect[0] == "listen 80;" and redirect[-1].startswith("return 301 https://")


def test_downloads_are_not_spooled_or_cached_and_keep_the_headers():
    """A location with its own add_header drops the server's: /media/ (downloads) must repeat them."""
    media = _directives(_block(NGINX_CONF.read_text(encoding="utf-8"), "location /media/"))
    assert "proxy_buffering off;" in media
    headers = {d.split()[1] for d in media if d.startswith("add_header ")}
    assert {"Cache-Control", *SECURITY_HEADERS} <= headers
    for location in re.findall(r"^\s*location ([^{]+) \{", NGINX_CONF.read_text(encoding="utf-8"), re.M):
        body = _directives(_block(NGINX_CONF.read_text(encoding="utf-8"), f"location {location}"))
        if any(d.startswith("add_header ") for d in body):
            assert set(SECURITY_HEADERS) <= {d.split()[1] for d in body if d.startswith("add_header ")}, location


def test_nginx_proxies_only_to_the_loopback_dashboard_with_sticky_sessions():
    conf = NGINX_CONF.read_text(encoding="utf-8")
    upstream = _directives(_block(conf, "upstream tieling_dashboard"))
    assert "ip_hash;" in upstream                               # a Streamlit session lives in one process
    servers = [d.split()[1].rstrip(";") for d in upstream if d.startswith("server ")]
    assert servers == ["127.0.0.1:8501"]
    assert "# server 127.0.0.1:8502;" in conf                  # the optional second process
    assert set(re.findall(r"^\s*proxy_pass (\S+);", conf, re.M)) == {"http://tieling_dashboard"}
    for closed in ("location = /_stcore/metrics", "location ^~ /_stcore/agent/"):
        assert _directives(_block(conf, closed)) == ["return 404;"]
    health = _directives(_block(conf, "location = /_stcore/health"))
    assert "proxy_pass http://tieling_dashboard;" in health


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("second_process", [False, True], ids=["one-process", "two-processes"])
def test_nginx_accepts_the_configuration(tmp_path, second_process):
    """`nginx -t` on the shipped file inside a minimal http {} block, with a throwaway self-signed certificate; the
    listening ports moved to free loopback ports (nginx -t binds them), every path into tmp_path."""
    nginx = shutil.which(os.environ.get("NGINX", "nginx"))
    openssl = shutil.which("openssl")
    if not nginx or not openssl:
        pytest.skip("nginx or openssl not installed")
    cert, key = tmp_path / "dashboard.crt", tmp_path / "dashboard.key"
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "1", "-subj", "/CN=dashboard.sfj.tieling.example", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    site = NGINX_CONF.read_text(encoding="utf-8")
    site = site.replace("/etc/tieling/tls/dashboard.crt", str(cert)).replace("/etc/tieling/tls/dashboard.key", str(key))
    ports = {"80": _free_port(), "443": _free_port()}
    site = re.sub(r"listen (80|443)\b", lambda m: f"listen 127.0.0.1:{ports[m.group(1)]}", site)
    if second_process:
        site = site.replace("# server 127.0.0.1:8502;", "server 127.0.0.1:8502;")
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    temp = " ".join(f"{kind}_temp_path {tmp_path / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{\n  {temp}\n  access_log {tmp_path / 'access.log'};\n  include {tmp_path / 'site.conf'};\n}}\n",
        encoding="utf-8")
    done = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                           "-e", str(tmp_path / "error.log")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "test is successful" in done.stderr, done.stderr
    assert "[warn]" not in done.stderr, done.stderr


# ------------------------------------------------------------------ systemd

def _unit(path: Path = UNIT) -> dict[str, list[str]]:
    """key → its values in order (a key such as Environment= may repeat)."""
    values: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def _environment(unit: dict[str, list[str]]) -> dict[str, str]:
    return dict(v.split("=", 1) for v in unit.get("Environment", []))


def test_the_dashboard_unit_keeps_its_secret_in_a_file_and_runs_sandboxed_on_the_loopback():
    unit = _unit()
    assert unit["EnvironmentFile"] == ["/etc/tieling/dashboard.env"]   # DASHBOARD_COOKIE_SECRET: never on a command line
    assert unit["UMask"] == ["0077"]
    assert unit["User"] == ["tieling"] and unit["Group"] == ["tieling"]
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
                       "PrivateTmp": "yes"}.items():
        assert unit[key] == [value], key
    env = _environment(unit)
    assert {"WAREHOUSE_PATH", "ACCOUNTS_PATH", "RUBRIC_PATH"} <= set(env)
    assert not any("SECRET" in key for key in env)                    # secrets only in the environment file
    writable = " ".join(unit["ReadWritePaths"]).split()
    assert writable == [str(Path(env["ACCOUNTS_PATH"]).parent)]       # the accounts folder, nothing else
    assert Path(env["WAREHOUSE_PATH"]).parent != Path(env["ACCOUNTS_PATH"]).parent   # the warehouse stays read-only
    command = shlex.split(unit["ExecStart"][0])
    option = {command[i]: command[i + 1] for i in range(len(command) - 1) if command[i].startswith("--")}
    assert option["--server.address"] == "127.0.0.1"
    assert f"127.0.0.1:{option['--server.port']}" in _directives(_block(
        NGINX_CONF.read_text(encoding="utf-8"), "upstream tieling_dashboard"))[1]
    assert option["--browser.gatherUsageStats"] == "false"
    assert "0.0.0.0" not in unit["ExecStart"][0]


def test_systemd_accepts_the_dashboard_unit(tmp_path):
    """systemd-analyze verify (where installed) on the unit with the code's paths moved here: an unknown or misspelt
    directive or a value systemd cannot parse is reported, not silently ignored."""
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze not installed")
    text = UNIT.read_text(encoding="utf-8").replace("/opt/tieling/.venv/bin/python", sys.executable)
    text = text.replace("/opt/tieling", str(ROOT))
    (tmp_path / UNIT.name).write_text(text, encoding="utf-8")
    done = subprocess.run([analyze, "verify", str(tmp_path / UNIT.name)], capture_output=True, text=True, timeout=60)
    problems = [line for line in done.stderr.splitlines() if UNIT.name in line or "Unknown" in line
                or "Failed to parse" in line]
    assert done.returncode == 0 and problems == [], done.stderr


def test_the_accounts_wrapper_uses_the_dashboards_store_as_the_service_account():
    text = ACCOUNTS_WRAPPER.read_text(encoding="utf-8")
    assert os.access(ACCOUNTS_WRAPPER, os.X_OK)
    assert subprocess.run(["sh", "-n", str(ACCOUNTS_WRAPPER)], capture_output=True, timeout=30).returncode == 0
    env = _environment(_unit())
    for name in ("ACCOUNTS_PATH", "WAREHOUSE_PATH"):
        assert f"export {name}={env[name]}\n" in text, name
    assert "runuser -u tieling --" in text and "umask 077" in text
