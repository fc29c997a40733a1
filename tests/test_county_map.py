"""dashboard.county_map without a browser: the figure 总览 draws, from hand-made values (no warehouse).

Geometry is checked against the bundled geojson with a point-in-polygon of this file's own, so a bug in the module's
geometry cannot hide itself."""
from __future__ import annotations

import re

import numpy as np
import polars as pl
import pytest

from dashboard import county_map as cm
from dashboard.charts import AMBER, GREEN, GREY, RED
from tests.map_entry import COUNTIES, hand_made_values

CHANGTU, KAIYUAN, QINGHE, YINZHOU = "211224", "211282", "211204", "211202"
NAMES = {code: name for code, name, *_ in COUNTIES}


def _features() -> dict[str, list[list[np.ndarray]]]:
    """county code → its polygons, each a list of rings (outer first) as (lon, lat) arrays."""
    out = {}
    for f in cm.geojson()["features"]:
        g = f["geometry"]
        polygons = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
        out[f["properties"]["code"]] = [[np.array(ring, dtype=float)[:, :2] for ring in poly] for poly in polygons]
    return out


def _in_ring(lon: np.ndarray, lat: np.ndarray, ring: np.ndarray) -> np.ndarray:
    x, y = ring[:, 0], ring[:, 1]
    x2, y2 = np.roll(x, -1), np.roll(y, -1)
    inside = np.zeros(len(lon), dtype=bool)
    for i in range(len(ring)):  # classic ray casting, vectorised over the points
        crosses = (y[i] > lat) != (y2[i] > lat)
        if y2[i] != y[i]:
            inside ^= crosses & (lon < x[i] + (lat - y[i]) * (x2[i] - x[i]) / (y2[i] - y[i]))
    return inside


def in_county(code: str, lon, lat) -> np.ndarray:
    """In the county's area: inside an outer ring, not in its holes."""
    lon, lat = np.atleast_1d(np.asarray(lon, dtype=float)), np.atleast_1d(np.asarray(lat, dtype=float))
    result = np.zeros(len(lon), dtype=bool)
    for rings in _features()[code]:
        inside = _in_ring(lon, lat, rings[0])
        for hole in rings[1:]:
            inside &= ~_in_ring(lon, lat, hole)
        result |= inside
    return result


def _lonlat(x, y) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return np.array([cm.unproject(a, b)[0] for a, b in zip(x, y)]), y


def _traces(fig, role: str) -> dict:
    return {t.meta["county_code"]: t for t in fig.data if isinstance(t.meta, dict) and t.meta.get("role") == role}


def _labels(fig) -> dict:
    return {a.name: a for a in fig.layout.annotations if a.name in NAMES}


@pytest.fixture(scope="module")
def total():
    return cm.county_map(hand_made_values(), "考评总分", (CHANGTU,))


@pytest.fixture(scope="module")
def share():
    return cm.county_map(hand_made_values("share"), "案件录入率")


def test_every_county_is_a_filled_polygon_with_its_name_and_value(total, share):
    codes = {f["properties"]["code"] for f in cm.geojson()["features"]}
    assert codes == set(NAMES)
    for fig, values in ((total, hand_made_values()), (share, hand_made_values("share"))):
        shown = dict(zip(values["county_code"], values["显示"]))
        polygons = _traces(fig, "county")
        assert set(polygons) == codes
        for code, trace in polygons.items():
            assert trace.fill == "toself" and trace.fillcolor and trace.name == NAMES[code]
            assert sum(np.isfinite(np.asarray(trace.x, dtype=float))) > 80  # the real outline, not a box
        labels = _labels(fig)
        assert set(labels) == codes
        for code, note in labels.items():
            text = note.text
            assert NAMES[code] in text and shown[code] in text and "<br>" in text
            assert note.font.size >= 14
            assert text.split("<br>")[0].count(cm.NOTICE) == (code in {"211223", QINGHE, YINZHOU})  # ⚑ = 列入通报
    assert "不适用" in _labels(share)[QINGHE].text and "103.4% ⚠" in _labels(share)[KAIYUAN].text


@pytest.mark.parametrize("metric,label", [("total", "考评总分"), ("share", "案件录入率")])
def test_label_points_lie_inside_their_county_and_no_other(metric, label):
    fig = cm.county_map(hand_made_values(metric), label)
    for code, note in _labels(fig).items():
        lon, lat = _lonlat([note.x], [note.y])
        assert in_county(code, lon, lat).all(), f"{NAMES[code]}'s label point is outside it"
        for other in NAMES:  # an enclave (清河区 in 开原市, 银州区 in 铁岭县) is not its host's label spot
            if other != code:
                assert not in_county(other, lon, lat).any(), f"{NAMES[code]}'s label point is in {NAMES[other]}"


def test_big_counties_are_labelled_inside_small_ones_by_a_callout(total):
    labels = _labels(total)
    for code in (CHANGTU, "211223"):  # 昌图县 西丰县: room for their label even in 总览's column at 1440 px
        assert not labels[code].showarrow and labels[code].ax is None
    for code in (YINZHOU, "211281"):  # 银州区, 调兵山市: too small at 15 px, a leader line to a dot inside them
        note = labels[code]
        assert note.showarrow and note.axref == "x" and note.ayref == "y"
        lon, lat = _lonlat([note.ax], [note.ay])
        assert not any(in_county(other, lon, lat).any() for other in NAMES), "a callout sits on the map"
    callouts = [(a.ax, a.ay) for a in labels.values() if a.showarrow]
    assert len(set(callouts)) == len(callouts)
    x0, x1 = total.layout.xaxis.range
    assert all(x0 < x < x1 for x, _ in callouts)


def test_clicking_anywhere_in_a_county_is_a_point_of_that_county(total):
    """The click targets: each county's invisible markers lie in it (its label point first) and carry its code, and
    wherever a person clicks in a county (off its border), the nearest marker, the one plotly picks, is that county's
    and near enough to be picked."""
    clicks = _traces(total, "click")
    assert set(clicks) == set(NAMES)
    labels = _labels(total)
    owner, markers = [], []
    for code, trace in clicks.items():
        assert trace.mode == "markers" and trace.marker.opacity == 0
        assert {tuple(c) for c in trace.customdata} == {(code,)}
        assert (trace.x[0], trace.y[0]) == pytest.approx((labels[code].x, labels[code].y), abs=1e-4)
        grid = slice(2 if labels[code].showarrow else 1, None)  # after the label point (and the callout's)
        lon, lat = _lonlat(trace.x[grid], trace.y[grid])
        assert len(lon) >= 5 and in_county(code, lon, lat).all()
        for other in NAMES:
            if other != code:
                assert not in_county(other, lon, lat).any()
        assert "点击选择该区县" in trace.hovertemplate
        owner += [code] * len(trace.x)
        markers.append(np.c_[trace.x, trace.y])
    markers, owner = np.concatenate(markers), np.array(owner)

    border = np.concatenate([np.array([cm.project(lon, lat) for lon, lat in ring])
                             for polygons in _features().values() for rings in polygons for ring in rings])
    (x0, y0), (x1, y1) = border.min(axis=0), border.max(axis=0)
    probe = np.array([(x, y) for x in np.arange(x0, x1, 0.017) for y in np.arange(y0, y1, 0.017)])
    off_border = np.concatenate([np.sqrt(((part[:, None] - border[None]) ** 2).sum(axis=2)).min(axis=1) > 0.03
                                 for part in np.array_split(probe, 10)])
    lon, lat = _lonlat(probe[:, 0], probe[:, 1])
    for code in NAMES:
        mine = probe[off_border & in_county(code, lon, lat)]
        assert len(mine) > 0
        d = np.sqrt(((mine[:, None] - markers[None]) ** 2).sum(axis=2))
        assert (owner[d.argmin(axis=1)] == code).all(), f"a click in {NAMES[code]} would pick another county"
        assert d.min(axis=1).max() <= 0.6 * cm.GRID  # a few px: well within plotly's hover distance
    changtu = clicks[CHANGTU].hovertemplate
    assert "昌图县" in changtu and "考评总分:87.25 分" in changtu and "第 2 名" in changtu and "不通报" in changtu
    qinghe = clicks[QINGHE].hovertemplate
    assert "列入通报" in qinghe and "越级上访 2 起" in qinghe and "第 7 名" in qinghe


def test_nothing_needs_the_network(total, share):
    for fig in (total, share):
        assert {t.type for t in fig.data} == {"scatter"}
        layout = fig.to_dict()["layout"]
        assert not {"map", "mapbox", "geo"} & set(layout), "a base map would fetch tiles or glyphs"
        assert not re.search(r"https?://", fig.to_json())
        assert layout["dragmode"] is False and layout["xaxis"]["fixedrange"] and layout["yaxis"]["fixedrange"]
        assert layout["xaxis"]["visible"] is False and layout["yaxis"]["visible"] is False
        assert layout["yaxis"]["scaleanchor"] == "x" and layout["yaxis"]["scaleratio"] == 1


def test_colours_best_green_worst_red_none_grey(total, share):
    fills = {code: t.fillcolor.lower() for code, t in _traces(total, "county").items()}
    assert fills[KAIYUAN] == GREEN.lower()   # 91.50, the best total
    assert fills[QINGHE] == RED.lower()      # 69.75, the worst total
    assert len(set(fills.values())) == 7     # totals on their own min–max: every county its own shade
    fills = {code: t.fillcolor.lower() for code, t in _traces(share, "county").items()}
    assert fills[QINGHE] == GREY.lower()     # no value
    assert fills[KAIYUAN] == GREEN.lower()   # 103.4 %: shares on 0–1, over 1 is the green end
    assert cm.fill_colour(0.5, 0, 1).lower() == AMBER.lower() and cm.fill_colour(0.0, 0, 1).lower() == RED.lower()
    assert cm.fill_colour(None, 0, 1) == GREY and cm.fill_colour(float("nan"), 0, 1) == GREY
    for fig, lo, hi in ((total, 69.75, 91.5), (share, 0, 1)):
        bar = next(t for t in fig.data if t.meta and t.meta.get("role") == "colourbar")
        assert bar.marker.showscale and (bar.marker.cmin, bar.marker.cmax) == (lo, hi)
        scale = [c.lower() for _, c in bar.marker.colorscale]
        assert scale[0] == RED.lower() and scale[-1] == GREEN.lower() and AMBER.lower() in scale


def test_label_text_contrasts_with_its_fill(total, share):
    def contrast(a: str, b: str) -> float:
        la, lb = sorted((cm._luminance(a), cm._luminance(b)), reverse=True)
        return (la + 0.05) / (lb + 0.05)

    for fig in (total, share):
        polygons = _traces(fig, "county")
        for code, note in _labels(fig).items():
            if not note.showarrow:  # written on the fill
                assert contrast(note.font.color, polygons[code].fillcolor) >= 3.0, NAMES[code]
            else:  # a callout: dark text on a white box
                assert contrast(note.font.color, "#ffffff") >= 7
    assert cm.text_colour(RED) == "#ffffff" and cm.text_colour(AMBER) == "#111111" and cm.text_colour(GREY) == "#111111"


def test_selected_county_is_outlined_wider_and_darker(total):
    polygons = _traces(total, "county")
    assert polygons[CHANGTU].line.width > polygons[KAIYUAN].line.width
    assert polygons[CHANGTU].line.color == "#111111" and polygons[KAIYUAN].line.color == "#ffffff"
    outlines = _traces(total, "outline")  # drawn again over the neighbours' fills
    assert set(outlines) == {CHANGTU} and outlines[CHANGTU].line.width == polygons[CHANGTU].line.width
    nothing = cm.county_map(hand_made_values(), "考评总分")
    assert not _traces(nothing, "outline")
    assert len({t.line.width for t in _traces(nothing, "county").values()}) == 1


def test_missing_county_row_is_grey_and_still_drawn():
    values = hand_made_values().filter(pl.col("county_code") != CHANGTU)
    fig = cm.county_map(values, "考评总分")
    assert _traces(fig, "county")[CHANGTU].fillcolor == GREY
    assert "昌图县" in _labels(fig)[CHANGTU].text


def test_clicked_county_reads_the_code_from_a_selection():
    point = {"curve_number": 9, "point_number": 0, "point_index": 0, "x": 90.9, "y": 43.1, "customdata": [CHANGTU]}
    assert cm.clicked_county({"points": [point], "point_indices": [0], "box": [], "lasso": []}) == CHANGTU
    assert cm.clicked_county({"points": [{**point, "customdata": KAIYUAN}]}) == KAIYUAN  # a scalar customdata
    assert cm.clicked_county({"points": [{"location": QINGHE, "curve_number": 0}]}) == QINGHE  # the old map's
    assert cm.clicked_county({"points": [{"curve_number": 30, "point_index": 0, "x": 1, "y": 2}, point]}) == CHANGTU
    assert cm.clicked_county({"points": []}) is None
    assert cm.clicked_county({}) is None and cm.clicked_county(None) is None
    assert cm.clicked_county({"points": [{"curve_number": 30, "point_index": 0}]}) is None  # no county on it
    assert cm.clicked_county({"points": [{**point, "customdata": ["999999"]}]}) is None  # not a county of 铁岭
    assert cm.clicked_county({"points": [{**point, "customdata": []}]}) is None
