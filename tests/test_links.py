"""Links: a link's parameters are judged in one place (dashboard.filters.collapse_params) — repeated values
collapse, a single-valued parameter given twice with different values and an unknown parameter are refused by name —
and a pinned link (Filters.pinned, 复制本页链接) reproduces the filters with the as-of date written out."""
from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.filters import LIST_PARAMS, PARAM_LABELS, Filters, collapse_params

COUNTIES = {"211202", "211204", "211221", "211223", "211224", "211281", "211282"}


def test_repeated_values_collapse_and_conflicts_are_refused_by_name():
    params, problems = collapse_params({"county": ["211224,211224", "211282", "211224"], "asof": ["2023-08-31"] * 2,
                                        "from": ["2023-04", "2023-05"], "zz": ["1"], "embed": ["true"]})
    assert params == {"county": "211224,211282", "asof": "2023-08-31"}
    assert problems == ["起始月份出现多次且取值不同:2023-04、2023-05", "参数“zz”无法识别"]


values = st.text(alphabet="0123456789-,abc ", max_size=12)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(PARAM_LABELS) + ["zz", "embed"]), st.lists(values, max_size=4),
                       max_size=6))
def test_any_query_string_gives_one_value_per_known_parameter(given_params):
    params, problems = collapse_params(given_params)
    assert set(params) <= set(PARAM_LABELS)
    for key, value in params.items():
        parts = value.split(",") if key in LIST_PARAMS else [value]
        assert len(parts) == len(set(parts)) and all(parts)          # no duplicates, no empty item
    for key, got in given_params.items():
        if key not in PARAM_LABELS and key != "embed":
            assert f"参数“{key}”无法识别" in problems
        elif key in PARAM_LABELS and key not in LIST_PARAMS and len({v.strip() for v in got}) > 1:
            assert key not in params and any(p.startswith(PARAM_LABELS[key]) for p in problems)


def test_a_pinned_link_reproduces_the_choice_at_its_date():
    chosen = Filters(("211224",), date(2023, 4, 1), date(2023, 12, 1), ("211224100",))
    pinned = chosen.pinned(date(2023, 8, 31))
    assert pinned["asof"] == "2023-08-31" and pinned["to"] == "2023-08" and pinned["from"] == "2023-04"
    back = Filters.from_params(pinned, COUNTIES, {"townships": {"211224100"}}, {"211224100": "211224"})
    assert back == Filters(("211224",), date(2023, 4, 1), date(2023, 8, 1), ("211224100",), asof=date(2023, 8, 31))
    assert not back.rejected
