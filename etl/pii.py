"""Masks for personal data shown in the warehouse and in quarantine (never the clear value)."""
from __future__ import annotations

# Two-character surnames keep both characters: 欧阳娜娜 → 欧阳**.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 闻人 澹台 公冶 太史 申屠 端木 "
    "呼延 南宫 独孤 百里 东郭 西门 万俟 赫连 拓跋 完颜 爱新 叶赫 纳兰".split())


def mask_name(name: str | None) -> str | None:
    if name is None:
        return None
    name = name.strip()
    if not name:
        return None
    keep = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    return name[:keep] + "*" * max(1, len(name) - keep)


def mask_id(value: str | None) -> str | None:
    """Region prefix only: no identity-number pattern survives."""
    if value is None:
        return None
    v = "".join(str(value).split())
    return v[:6] + "*" * 12 if len(v) > 6 else "*" * len(v)


def mask_phone(value: str | None) -> str | None:
    if value is None:
        return None
    v = "".join(str(value).split())
    return v[:3] + "*" * max(0, len(v) - 3)
