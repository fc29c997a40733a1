"""A tiny Streamlit app around dashboard.county_map for the browser test (tests/test_browser_map.py): the county map
with hand-made values, laid out as on 总览 (wide page, the map in the left 3/5), and the county a click chose
written under it. `hand_made_values()` is also the fast tests' input (tests/test_county_map.py).

    streamlit run tests/map_entry.py    (?metric=share colours by an indicator share with one county unknown)
"""
from __future__ import annotations

import polars as pl

SCHEMA = {"county_code": pl.Utf8, "区县": pl.Utf8, "值": pl.Float64, "显示": pl.Utf8, "排名": pl.Int64,
          "总分": pl.Float64, "通报": pl.Utf8, "通报原因": pl.Utf8}
# code, name, total score, indicator share (None: not applicable), rank, 通报 reasons ("" not 通报)
COUNTIES = [
    ("211224", "昌图县", 87.25, 0.962, 2, ""),
    ("211282", "开原市", 91.50, 1.034, 1, ""),
    ("211223", "西丰县", 78.10, 0.741, 5, "案件录入率"),
    ("211221", "铁岭县", 84.00, 0.903, 3, ""),
    ("211204", "清河区", 69.75, None, 7, "案件录入率;扣分:越级上访 2 起"),
    ("211281", "调兵山市", 80.40, 0.688, 4, ""),
    ("211202", "银州区", 72.30, 0.815, 6, "扣分:失联 1 人"),
]


def hand_made_values(metric: str = "total") -> pl.DataFrame:
    """Rows as overview.map_values(card, metric) gives them: the total score ("total") or an indicator share."""
    rows = []
    for code, name, total, share, rank, reason in COUNTIES:
        if metric == "total":
            value, text = total, f"{total:.2f} 分"
        else:
            value = share
            text = "不适用" if share is None else f"{share:.1%}" + (" ⚠" if share > 1 else "")
        rows.append({"county_code": code, "区县": name, "值": value, "显示": text, "排名": rank, "总分": total,
                     "通报": "列入通报" if reason else "不通报", "通报原因": reason})
    return pl.DataFrame(rows, schema=SCHEMA)


if __name__ == "__main__":  # streamlit runs the script as __main__
    import streamlit as st

    from dashboard.county_map import clicked_county, county_map

    st.set_page_config(page_title="区县地图", layout="wide")
    share = st.query_params.get("metric") == "share"
    st.session_state.setdefault("chosen", "")

    def _choose_from_map() -> None:
        code = clicked_county(st.session_state["county_map"].selection)
        if code:
            st.session_state["chosen"] = code

    with st.sidebar:
        st.header("筛选")
        st.caption("区县地图测试页")
    st.title("区县地图")
    left, right = st.columns([3, 2])
    values = hand_made_values("share" if share else "total")
    chosen = st.session_state["chosen"]
    with left:
        st.plotly_chart(county_map(values, "案件录入率" if share else "考评总分", (chosen,) if chosen else ()),
                        key="county_map", on_select=_choose_from_map, selection_mode="points",
                        config={"displaylogo": False, "scrollZoom": False})
    with right:
        st.markdown(f"已选区县:`{chosen or '无'}`")
        st.dataframe(values, hide_index=True)
