"""纠纷分析: cases by type and plan domain, by place (county → township → organisation), by month, source,
settlement level, group and petition cases, and the case list. Plain queries and charts, no Streamlit.

Two kinds of number, never mixed under one name:
- counts of cases *accepted* in the period (受理日期): aggregations over marts.cases cut by `queries.case_filter`
  (all shared sidebar filters), narrowed by the drill-down (county, township, organisation) and the case-list scope;
- the indicators 调解成功率 (#9) and 矛盾不上交率 (#8) and their 调结案件数: the scoring's own records (cases
  *mediated* in the period, dashboard.metrics), cut by the same filters and grouped the same way.
"""
from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import plotly.graph_objects as go
import polars as pl

from dashboard import access, metrics
from dashboard.charts import AMBER, BLUE, GREEN, GREY, RED, _layout, empty, mark_incomplete, month_axis_title, month_labels
from dashboard.db import query
from dashboard.downloads import to_csv_bytes, to_xlsx_bytes
from dashboard.filters import Filters
from dashboard.queries import case_filter, month_complete
from etl.contract import MEDIATION_CASE
from warehouse.rubric import rubric_in_force

# The plan's key domains (专项行动方案 三(一)), in its order. The dispute catalogue has one type for marriage and
# family (婚姻家庭纠纷), so 家庭 and 婚姻 cannot be told apart and are shown as one domain, 家庭/婚姻.
PLAN_DOMAINS = ("家庭", "邻里", "婚姻", "劳动就业", "土地承包", "征地拆迁", "经济金融", "房地产", "物业", "教育",
                "医疗", "交通", "生态环境保护")
DOMAIN_ROWS = ("家庭/婚姻", "邻里", "劳动就业", "土地承包", "征地拆迁", "经济金融", "房地产", "物业", "教育", "医疗",
               "交通", "生态环境保护")
OTHER_DOMAIN = "其他"  # dim_dispute_type's label for types outside the plan's domains

SOURCES = MEDIATION_CASE.column("纠纷来源").enum
REFERRED = ("法院委托移送", "公安移送", "信访部门移送", "其他部门移送")
SOURCE_GROUP = {"排查发现": "排查发现", "主动调解": "主动调解", "当事人申请": "当事人申请",
                **{s: "部门移送" for s in REFERRED}}

# 化解层级 (contract values) → the plan's slogan "小事不出村(社区),大事不出乡镇(街道),矛盾不上交"
LEVELS = {"村(社区)": "小事不出村(社区)", "乡镇(街道)": "大事不出乡镇(街道)",
          "县(市、区)": "上交至县(市、区)", "市": "上交至市"}
LOCAL_LEVELS = ("村(社区)", "乡镇(街道)")

# page-local narrowing of the case list (the sidebar filters always apply as well)
SCOPES = {
    "全部案件": "TRUE",
    "群体性纠纷(≥5人)": "is_group_dispute",
    "涉访案件": "coalesce(is_petition, false)",
    "移交公安": "coalesce(referred_to_police, false)",
    "调解中(未办结)": "NOT is_closed",
    "调解不成功或终止调解": "outcome IN ('调解不成功', '终止调解')",
}
LIST_ROWS = 500  # rows shown on the page; the download holds the whole filtered list

RATE_COLUMNS = ("调结案件数", "调解成功数", "调解成功率", "村乡两级化解数", "矛盾不上交率")


def _where(f: Filters, county: str | None = None, township: str | None = None, org: str | None = None,
           scope: str = "全部案件", day: date | None = None) -> tuple[str, dict]:
    """The shared filters (cases accepted by `day`), narrowed by the drill-down choice and the case-list scope."""
    where, params = case_filter(f, day)
    for value, col in ((county, "county_code"), (township, "township_code"), (org, "org_name")):
        if value:
            where += f" AND {col} = ${col}_drill"
            params[f"{col}_drill"] = value
    return f"{where} AND ({SCOPES[scope]})", params


def _narrowed(f: Filters, county: str | None, township: str | None) -> Filters:
    """The sidebar's filters narrowed to the drill-down's county and township."""
    return dataclasses.replace(f, counties=(county,) if county else f.counties,
                               townships=(township,) if township else f.townships)


def rates(f: Filters, day: date, by: tuple[str, ...] = (), county: str | None = None, township: str | None = None,
          *, path: Path | None = None) -> pl.DataFrame:
    """Indicators 9 (调解成功率) and 8 (矛盾不上交率) per group `by`: the cases closed (调解日期 in the period, by `day`)
    of the group — 调结案件数 — of them succeeded and settled at village or township level, and the two rates."""
    g = _narrowed(f, county, township)
    success = metrics.results("mediation_success_rate", g, day, by, path=path)
    local = metrics.results("local_resolution_rate", g, day, by, path=path)
    out = success.select(*by, pl.col("denominator").alias("调结案件数"), pl.col("numerator").cast(pl.Int64).alias("调解成功数"),
                         pl.col("value").alias("调解成功率"))
    local = local.select(*by, pl.col("numerator").cast(pl.Int64).alias("村乡两级化解数"), pl.col("value").alias("矛盾不上交率"))
    return metrics.side_by_side(out, local, by)


def _with_rates(counts: pl.DataFrame, rates_: pl.DataFrame, key: str, by: str) -> pl.DataFrame:
    """Accepted counts (keyed `key`) beside the indicators (keyed `by`); a group without closed cases gets 0 and —."""
    joined = counts.join(rates_.rename({by: key}), on=key, how="left")
    return joined.with_columns(pl.col("调结案件数", "调解成功数", "村乡两级化解数").fill_null(0))


def _names(codes: tuple[str, ...], names: dict[str, str], unit: str) -> str:
    shown = [names.get(c, c) for c in codes]
    return "、".join(shown) if len(shown) <= 3 else f"所选 {len(shown)} 个{unit}"


def place_label(f: Filters, counties: dict[str, str], townships: dict[str, str]) -> str:
    """Where the sidebar points: 全市, 开原市, 开原市·八宝镇 …"""
    if f.townships:
        return _names(f.townships, townships, "乡镇(街道)")
    return _names(f.counties, counties, "区县") if f.counties else "全市"


def scope_label(f: Filters, counties: dict[str, str], townships: dict[str, str], types: dict[str, str]) -> str:
    """What the sidebar selects, for chart titles: "开原市 · 邻里纠纷"."""
    label = f"{place_label(f, counties, townships)} · {_names(f.dispute_types, types, '纠纷类型') or '全部纠纷类型'}"
    return label + (f" · {'、'.join(f.org_types)}" if f.org_types else "")


# ------------------------------------------------------------------ queries

def kpis(f: Filters, day: date, path: Path | None = None) -> dict:
    """Cases accepted (and of them group, petition, referred), and the two indicators with their closed cases."""
    where, params = _where(f, day=day)
    row = query(f"""
        SELECT count(*) AS accepted,
               count(*) FILTER (WHERE is_group_dispute) AS group_cases,
               coalesce(sum(people_involved) FILTER (WHERE is_group_dispute), 0)::BIGINT AS group_people,
               count(*) FILTER (WHERE is_petition) AS petition,
               count(*) FILTER (WHERE source = '信访部门移送') AS from_petition_office,
               count(*) FILTER (WHERE referred_to_police) AS to_police
        FROM marts.cases WHERE {where}""", params, path).row(0, named=True)
    overall = rates(f, day, path=path).row(0, named=True)
    levels = dict(by_level(f, day, path).select("导出值", "调结案件数").iter_rows())
    closed = overall["调结案件数"]
    share = lambda n: n / closed if closed else None  # noqa: E731
    return {**row, "closed": closed, "succeeded": overall["调解成功数"], "success_rate": overall["调解成功率"],
            "local": overall["村乡两级化解数"] or 0, "local_rate": overall["矛盾不上交率"],
            "village_rate": share(levels.get("村(社区)", 0)), "township_rate": share(levels.get("乡镇(街道)", 0))}


def by_type(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """Per dispute category (sub-types under their parent): cases accepted, share, and the indicators of the
    category's cases closed in the period."""
    where, params = _where(f, day=day)
    counts = query(f"""
        SELECT dispute_category AS 纠纷类型, count(*) AS 受理案件数,
               count(*) / sum(count(*)) OVER () AS 占比,
               string_agg(DISTINCT dispute_type, '、' ORDER BY dispute_type) AS 包含类型
        FROM marts.cases WHERE {where}
        GROUP BY ALL ORDER BY 受理案件数 DESC, 纠纷类型""", params, path)
    return _with_rates(counts, rates(f, day, ("dispute_category",), path=path), "纠纷类型", "dispute_category")


def by_domain(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """Per plan domain, every domain even with no case (a gap a leader should see), then 其他.

    A domain the catalogue names but the list above lacks still appears (after the plan's), never dropped.
    """
    where, params = _where(f, day=day)
    rows = ", ".join(f"({i}, '{d}')" for i, d in enumerate(DOMAIN_ROWS))
    counts = query(f"""
        WITH plan(ord, domain) AS (VALUES {rows}),
        types AS (SELECT campaign_domain AS domain,
                         string_agg(DISTINCT dispute_type, '、' ORDER BY dispute_type) AS types
                  FROM marts.dim_dispute_type GROUP BY ALL),
        domains AS (SELECT coalesce(p.domain, t.domain) AS domain, p.ord, t.types
                    FROM plan p FULL JOIN types t USING (domain)),
        c AS (SELECT campaign_domain AS domain, count(*) AS n FROM marts.cases WHERE {where} GROUP BY ALL)
        SELECT d.domain AS 重点领域, d.domain <> '{OTHER_DOMAIN}' AND d.ord IS NOT NULL AS 方案重点领域,
               coalesce(c.n, 0) AS 受理案件数, coalesce(d.types, '') AS 包含类型
        FROM domains d LEFT JOIN c USING (domain)
        ORDER BY d.domain = '{OTHER_DOMAIN}', d.ord NULLS LAST, d.domain""", params, path)
    return _with_rates(counts, rates(f, day, ("campaign_domain",), path=path), "重点领域", "campaign_domain")


def by_area(f: Filters, day: date, county: str | None = None, township: str | None = None,
            *, path: Path | None = None) -> pl.DataFrame:
    """One drill-down level: counties; a county's townships; a township's organisations.

    Counties and townships in the filter are all listed, with zero cases too; organisations only with cases.
    """
    where, params = _where(f, county, township, day=day)
    measures = """count(*) AS 受理案件数, count(*) FILTER (WHERE is_group_dispute) AS 群体性纠纷数,
                  count(*) FILTER (WHERE is_petition) AS 涉访案件数"""
    filled = "coalesce(c.受理案件数, 0) AS 受理案件数, coalesce(c.群体性纠纷数, 0) AS 群体性纠纷数, " \
             "coalesce(c.涉访案件数, 0) AS 涉访案件数"
    if township:
        sql = f"""SELECT org_name AS 代码, org_name AS 名称, any_value(org_type) AS 组织类型, {measures}
                  FROM marts.cases WHERE {where} GROUP BY org_name"""
        group = "org_name"
    elif county:
        base_where, base_params = f.sql("t.county_code", month_col=None, township_col="t.township_code")
        params.update(base_params)
        sql = f"""SELECT t.township_code AS 代码, t.township AS 名称, {filled}
                  FROM marts.dim_township t
                  LEFT JOIN (SELECT township_code, {measures} FROM marts.cases WHERE {where} GROUP BY ALL) c
                         USING (township_code)
                  WHERE t.county_code = $county_code_drill AND {base_where}"""
        group = "township_code"
    else:
        base_where, base_params = f.sql("d.county_code", month_col=None)
        params.update(base_params)
        sql = f"""SELECT d.county_code AS 代码, d.county AS 名称, {filled}
                  FROM marts.dim_county d
                  LEFT JOIN (SELECT county_code, {measures} FROM marts.cases WHERE {where} GROUP BY ALL) c
                         USING (county_code)
                  WHERE {base_where}"""
        group = "county_code"
    counts = query(f"SELECT * FROM ({sql}) ORDER BY 受理案件数 DESC, 代码", params, path)
    out = _with_rates(counts, rates(f, day, (group,), county, township, path=path), "代码", group)
    return out.select(*[c for c in out.columns if c not in RATE_COLUMNS], *RATE_COLUMNS)


def monthly(f: Filters, day: date, county: str | None = None, township: str | None = None,
            *, path: Path | None = None) -> pl.DataFrame:
    """Every month of the period: cases accepted that month; cases closed (调解) that month, of them succeeded,
    and 调解成功率 (indicator 9 by 调解 month); whether the month is complete (its reports due by `day`)."""
    where, params = _where(f, county, township, day=day)
    accepted = query(f"""
        WITH months AS (SELECT unnest(generate_series($start::DATE, $end::DATE, INTERVAL 1 MONTH))::DATE AS month),
        c AS (SELECT accepted_month AS month, count(*) AS n FROM marts.cases WHERE {where} GROUP BY ALL)
        SELECT month AS 月份, coalesce(n, 0) AS 受理案件数 FROM months LEFT JOIN c USING (month) ORDER BY 月份""",
                     params, path)
    due_day = rubric_in_force().param("timely_submission_rate", "risk_report_due_day")
    out = _with_rates(accepted, rates(f, day, ("month",), county, township, path=path), "月份", "month")
    return out.with_columns(pl.col("月份").map_elements(lambda m: month_complete(m, day, due_day),
                                                      return_dtype=pl.Boolean).alias("完整"))


def by_source(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """Every source of the contract (zero too), in the contract's order, with its group (部门移送 …)."""
    where, params = _where(f, day=day)
    rows = ", ".join(f"({i}, '{s}', '{SOURCE_GROUP[s]}')" for i, s in enumerate(SOURCES))
    counts = query(f"""
        WITH s(ord, source, grp) AS (VALUES {rows}),
        c AS (SELECT source, count(*) AS n FROM marts.cases WHERE {where} GROUP BY ALL)
        SELECT coalesce(s.source, c.source) AS 案件来源, coalesce(s.grp, '其他') AS 来源分组,
               coalesce(c.n, 0) AS 受理案件数
        FROM s FULL JOIN c USING (source) ORDER BY s.ord NULLS LAST""", params, path)
    return _with_rates(counts, rates(f, day, ("source",), path=path), "案件来源", "source").with_columns(
        (pl.col("受理案件数") / pl.col("受理案件数").sum()).fill_nan(None).alias("占比"))


def by_level(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """Cases closed in the period (indicator 8's records) per 化解层级, every level (zero too), named by the plan's
    slogan, with their share: the first two together are 矛盾不上交率."""
    found = dict(metrics.results("local_resolution_rate", f, day, ("resolution_level",), path=path)
                 .select("resolution_level", "denominator").iter_rows())
    rows = [{"化解层级": label, "导出值": level, "矛盾不上交": level in LOCAL_LEVELS, "调结案件数": found.pop(level, 0)}
            for level, label in LEVELS.items()]
    rows += [{"化解层级": level, "导出值": level, "矛盾不上交": False, "调结案件数": n} for level, n in found.items()]
    frame = pl.DataFrame(rows, schema={"化解层级": pl.String, "导出值": pl.String, "矛盾不上交": pl.Boolean,
                                      "调结案件数": pl.Int64})
    return frame.with_columns((pl.col("调结案件数") / pl.col("调结案件数").sum()).fill_nan(None).alias("占比"))


def group_petition_by_type(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """Per dispute category with any group, petition or police-referred case: how many of each."""
    where, params = _where(f, day=day)
    return query(f"""
        SELECT dispute_category AS 纠纷类型,
               count(*) FILTER (WHERE is_group_dispute) AS 群体性纠纷数,
               coalesce(sum(people_involved) FILTER (WHERE is_group_dispute), 0)::BIGINT AS 群体性纠纷涉及人数,
               count(*) FILTER (WHERE is_petition) AS 涉访案件数,
               count(*) FILTER (WHERE referred_to_police) AS 移交公安数
        FROM marts.cases WHERE {where}
        GROUP BY ALL HAVING 群体性纠纷数 + 涉访案件数 + 移交公安数 > 0
        ORDER BY 群体性纠纷数 + 涉访案件数 DESC, 纠纷类型""", params, path)


_LIST_COLUMNS = """
    case_id AS 案件编号, county AS 区县, coalesce(township, '未识别乡镇') AS 乡镇街道, org_name AS 调解组织,
    org_type AS 组织类型, mediator_name_masked AS 调解员, dispute_category AS 纠纷类型, dispute_type AS 纠纷子类型,
    campaign_domain AS 重点领域, source AS 案件来源, people_involved AS 涉及人数, amount_yuan AS 涉及金额元,
    accepted_date AS 受理日期, mediated_date AS 调解日期, outcome AS 调解结果, agreement_form AS 协议形式,
    performance AS 履行情况, resolution_level AS 化解层级,
    CASE WHEN is_petition THEN '是' WHEN NOT is_petition THEN '否' END AS 是否涉访,
    CASE WHEN referred_to_police THEN '是' WHEN NOT referred_to_police THEN '否' END AS 是否移交公安"""
# Chinese headers with brackets; DuckDB aliases above stay bracket-free and are renamed here.
LIST_HEADERS = {"乡镇街道": "乡镇(街道)", "调解员": "调解员(已脱敏)", "涉及金额元": "涉及金额(元)"}


def case_count(f: Filters, day: date, scope: str = "全部案件", county: str | None = None,
               township: str | None = None, org: str | None = None, *, path: Path | None = None) -> int:
    where, params = _where(f, county, township, org, scope, day)
    return query(f"SELECT count(*) AS n FROM marts.cases WHERE {where}", params, path).item()


def case_list(f: Filters, day: date, scope: str = "全部案件", county: str | None = None, township: str | None = None,
              org: str | None = None, limit: int | None = LIST_ROWS, *, path: Path | None = None) -> pl.DataFrame:
    """The filtered cases accepted by `day`, newest accepted first: masked mediator name only, no identity hashes
    or ids of persons. `limit` caps what the page shows; None gives the whole list for the download."""
    access.require("records")
    where, params = _where(f, county, township, org, scope, day)
    cap = f"LIMIT {int(limit)}" if limit is not None else ""
    return query(f"""SELECT {_LIST_COLUMNS} FROM marts.cases WHERE {where}
                     ORDER BY accepted_date DESC, case_id {cap}""", params, path).rename(LIST_HEADERS)


def case_list_csv(f: Filters, day: date, scope: str = "全部案件", county: str | None = None,
                  township: str | None = None, org: str | None = None, *, path: Path | None = None) -> bytes:
    access.require("records")
    return to_csv_bytes(case_list(f, day, scope, county, township, org, None, path=path))


def case_list_xlsx(f: Filters, day: date, scope: str = "全部案件", county: str | None = None,
                   township: str | None = None, org: str | None = None, subtitle: str = "",
                   *, path: Path | None = None) -> bytes:
    access.require("records")
    return to_xlsx_bytes(case_list(f, day, scope, county, township, org, None, path=path), "人民调解案件明细", subtitle)


# ------------------------------------------------------------------ charts


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.1%}"


def _hbar(frame: pl.DataFrame, label: str, title: str, axis: str, colours=None, hover_extra: str = "",
          customdata=None) -> go.Figure:
    """Horizontal bars of 受理案件数, largest on top, each labelled with its count and success rate."""
    frame = frame.reverse()  # plotly draws the first row at the bottom
    fig = go.Figure(go.Bar(
        x=frame["受理案件数"], y=frame[label], orientation="h", marker_color=colours or BLUE,
        text=[f"{n:,} 件" + (f" · {_pct(r)}" if r is not None else "")  # the rate: 调解成功率, named in the title
              for n, r in zip(frame["受理案件数"], frame["调解成功率"])],
        textposition="outside", cliponaxis=False, customdata=customdata,
        hovertemplate="%{y}<br>受理:%{x:,} 件" + hover_extra + "<extra></extra>"))
    top = max(1, int(frame["受理案件数"].max() or 0))
    fig.update_xaxes(title_text="受理案件数(件)", tickformat=",d", range=[0, top * 1.6])  # room for the labels
    fig.update_yaxes(title_text=axis)
    fig = _layout(fig, title, height=max(300, 28 * frame.height + 130))
    # what the bar labels mean, as the title's subtitle (an annotation there collided with the title)
    fig.update_layout(title_subtitle={"text": "条形旁:受理案件数(按受理日期)· 调解成功率(考评口径,按调解日期)",
                                      "font": {"color": GREY, "size": 11}}, margin={"t": 70})
    return fig


def type_chart(frame: pl.DataFrame) -> go.Figure:
    title = "各类纠纷受理案件数(件)与调解成功率"
    if frame.is_empty():
        return empty(title)
    frame = frame.sort("受理案件数", descending=True, maintain_order=True)
    return _hbar(frame, "纠纷类型", title, "纠纷类型", customdata=frame.reverse().select("占比", "包含类型").rows(),
                 hover_extra="(占 %{customdata[0]:.1%})<br>包括:%{customdata[1]}")


def domain_chart(frame: pl.DataFrame) -> go.Figure:
    title = "专项行动重点领域受理案件数(件,含零案件领域)"
    if frame.is_empty() or frame["受理案件数"].sum() == 0:
        return empty(title, "当前筛选条件下各重点领域均没有案件")
    colours = [GREY if not plan else RED if n == 0 else BLUE for plan, n in zip(frame["方案重点领域"], frame["受理案件数"])]
    return _hbar(frame, "重点领域", title, "重点领域", colours=list(reversed(colours)),
                 customdata=frame.reverse().select("包含类型").rows(), hover_extra="<br>包括:%{customdata[0]}")


def area_chart(frame: pl.DataFrame, level: str, scope: str) -> go.Figure:
    """`level`: 区县, 乡镇(街道) or 调解组织; `scope` names the place above it (全市, 开原市 …)."""
    title = f"{scope}各{level}受理案件数(件)与调解成功率"
    if frame.is_empty() or frame["受理案件数"].sum() == 0:
        return empty(title, f"当前筛选条件下{scope}各{level}均没有案件")
    colours = [RED if n == 0 else BLUE for n in frame["受理案件数"]]
    return _hbar(frame, "名称", title, level, colours=list(reversed(colours)),
                 customdata=frame.reverse().select(pl.col("矛盾不上交率").fill_null(float("nan")),
                                                   "群体性纠纷数", "涉访案件数").rows(),
                 hover_extra="<br>矛盾不上交率:%{customdata[0]:.1%}<br>群体性纠纷:%{customdata[1]:,} 件"
                             "<br>涉访:%{customdata[2]:,} 件")


def monthly_chart(frame: pl.DataFrame, subject: str) -> go.Figure:
    """Bars of cases accepted (by 受理 month) and closed successfully (by 调解 month) per month, 调解成功率 (indicator
    9 by 调解 month) as a line on the right axis; incomplete months faded."""
    title = f"{subject} 各月受理、调解成功案件数(件)与调解成功率"
    if frame.is_empty() or (frame["受理案件数"].sum() == 0 and frame["调结案件数"].sum() == 0):
        return empty(title)
    months = month_labels(frame["月份"], frame["完整"])
    fig = go.Figure([
        go.Bar(x=months, y=frame["受理案件数"], name="受理案件数(按受理月份)", marker_color=BLUE,
               text=[f"{n:,}" for n in frame["受理案件数"]], textposition="outside", cliponaxis=False,
               hovertemplate="%{x}<br>受理:%{y:,} 件<extra></extra>"),
        go.Bar(x=months, y=frame["调解成功数"], name="调解成功数(按调解月份)", marker_color=GREEN,
               hovertemplate="%{x}<br>调解成功:%{y:,} 件<extra></extra>"),
        go.Scatter(x=months, y=frame["调解成功率"], name="调解成功率(按调解月份,右轴)", yaxis="y2", mode="lines+markers",
                   line={"color": AMBER, "width": 3}, connectgaps=False,
                   hovertemplate="%{x}<br>调解成功率:%{y:.1%}<extra></extra>"),
    ])
    fig.update_layout(barmode="group", yaxis2={"title": {"text": "调解成功率(%)"}, "overlaying": "y", "side": "right",
                                               "tickformat": ".0%", "range": [0, 1.05], "dtick": 0.2,
                                               "showgrid": False})
    fig.update_xaxes(title_text=month_axis_title(frame["月份"], "月份"))
    fig.update_layout(yaxis={"title": {"text": "案件数(件)"}, "tickformat": ",d"})
    return mark_incomplete(_layout(fig, title), frame["完整"])


def source_chart(frame: pl.DataFrame) -> go.Figure:
    title = "案件来源:受理案件数(件)与占比"
    if frame.is_empty() or frame["受理案件数"].sum() == 0:
        return empty(title)
    colour = {"排查发现": GREEN, "主动调解": "#66bb6a", "当事人申请": BLUE, "部门移送": AMBER}
    order = frame["案件来源"].to_list()
    fig = go.Figure([
        go.Bar(y=part["案件来源"], x=part["受理案件数"], name=group, orientation="h", marker_color=colour.get(group, GREY),
               text=[f"{n:,}({_pct(s)})" for n, s in zip(part["受理案件数"], part["占比"])],
               textposition="outside", cliponaxis=False,
               customdata=part.select(pl.col("调解成功率").fill_null(float("nan"))).rows(),
               hovertemplate="%{y}<br>受理:%{x:,} 件<br>调解成功率:%{customdata[0]:.1%}<extra></extra>")
        for group, part in ((g, frame.filter(pl.col("来源分组") == g)) for g in frame["来源分组"].unique(maintain_order=True))
    ])
    fig.update_yaxes(title_text="案件来源", categoryorder="array", categoryarray=order[::-1])  # contract order, top down
    fig.update_xaxes(title_text="受理案件数(件)", tickformat=",d", range=[0, float(frame["受理案件数"].max()) * 1.4])
    fig = _layout(fig, title, height=380)
    fig.update_layout(legend={"y": -0.25}, barmode="overlay")
    return fig


def level_chart(frame: pl.DataFrame) -> go.Figure:
    title = "化解层级:调结案件数(件)与占比"
    if frame.is_empty() or frame["调结案件数"].sum() == 0:
        return empty(title, "当前筛选条件下期间内没有调结的案件")
    fig = go.Figure(go.Bar(
        x=frame["化解层级"], y=frame["调结案件数"], marker_color=[GREEN if ok else RED for ok in frame["矛盾不上交"]],
        text=[f"{n:,}({_pct(s)})" for n, s in zip(frame["调结案件数"], frame["占比"])], textposition="outside",
        cliponaxis=False, customdata=frame.select("导出值").rows(),
        hovertemplate="%{x}<br>化解层级(导出值):%{customdata[0]}<br>调结:%{y:,} 件<extra></extra>"))
    fig.update_xaxes(title_text="化解层级")
    fig.update_yaxes(title_text="调结案件数(件)", tickformat=",d", range=[0, float(frame["调结案件数"].max()) * 1.2])
    return _layout(fig, title)


def group_petition_chart(frame: pl.DataFrame) -> go.Figure:
    title = "各类纠纷中的群体性纠纷(≥5人)、涉访与移交公安案件(件)"
    if frame.is_empty():
        return empty(title, "当前筛选条件下没有群体性、涉访或移交公安的案件")
    frame = frame.reverse()
    fig = go.Figure([
        go.Bar(y=frame["纠纷类型"], x=frame[col], name=name, orientation="h", marker_color=colour,
               hovertemplate="%{y}<br>" + name + ":%{x:,} 件<extra></extra>")
        for col, name, colour in (("群体性纠纷数", "群体性纠纷(≥5人)", RED), ("涉访案件数", "涉访案件", AMBER),
                                  ("移交公安数", "移交公安", GREY))
    ])
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text="案件数(件)", tickformat=",d")
    fig.update_yaxes(title_text="纠纷类型")
    fig = _layout(fig, title, height=max(320, 36 * frame.height + 150))
    # the legend between the title and the bars: below, it would run into the axis title
    fig.update_layout(legend={"y": 1.01, "yanchor": "bottom", "x": 0, "xanchor": "left"}, margin={"t": 110},
                      title={"y": 0.985, "yref": "container", "yanchor": "top"})
    return fig
