"""The 通报 draft and the 简报 offered as Word downloads, the same two buttons on 考评排名 and 总览."""
from __future__ import annotations

import streamlit as st

from dashboard import access, ranking
from dashboard.frame import download_button
from warehouse import report
from warehouse.scoring import Scorecard

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def buttons(card: Scorecard, key: str) -> None:
    """Both documents at the card's date, made when clicked and audited like every download. Shown to users of all
    counties only: the documents weigh every county against the others, and ranking.document_bytes refuses a
    县区用户 whatever the page shows."""
    if access.current().county is not None:
        return
    columns = st.columns([1, 1, 3])
    for where, kind in zip(columns, ranking.DOCUMENTS):
        download_button(ranking.DOCUMENTS[kind][0], lambda kind=kind: ranking.document_bytes(card, kind), where=where,
                        file_name=report.file_name(kind, card.as_of), rows=len(card.counties), key=f"{key}_{kind}",
                        mime=DOCX, icon=":material/description:")
