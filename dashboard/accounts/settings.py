"""The login rules, from a settings file the bureau edits (SECURITY_SETTINGS, default dashboard/security.toml)."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent.parent / "security.toml"


@dataclass(frozen=True)
class Settings:
    max_failures: int = 5          # failed passwords in a row that lock an account
    lockout_minutes: int = 15      # how long the lock lasts
    idle_minutes: int = 30         # a session with no activity for this long ends
    session_hours: int = 12        # a login (and its cookie) never lasts longer than this
    oidc_provider: str = ""        # "" : passwords; otherwise the st.login provider in .streamlit/secrets.toml


def settings_path() -> Path:
    return Path(os.environ.get("SECURITY_SETTINGS") or DEFAULT)


@cache
def _load(path: str, mtime: int) -> Settings:
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    flat = {k: v for section in data.values() if isinstance(section, dict) for k, v in section.items()}
    known = {f.name: f.type for f in fields(Settings)}
    unknown = sorted(set(flat) - set(known))
    if unknown:
        raise ValueError(f"{path}: 未知的设置项 {', '.join(unknown)}")
    for key, value in flat.items():
        wanted = int if known[key] == "int" else str
        if not isinstance(value, wanted) or (wanted is int and value <= 0):
            raise ValueError(f"{path}: {key} 应为{'正整数' if wanted is int else '文本'},实为 {value!r}")
    return Settings(**flat)


def settings() -> Settings:
    path = settings_path()
    if not path.exists():
        return Settings()
    return _load(str(path), path.stat().st_mtime_ns)
