"""总览's county map with the county names written on it, drawn as plain SVG: nothing is fetched from the network.

A MapLibre map (px.choropleth_map) cannot write text on an intranet: its glyphs come from the internet. Here the
seven county polygons are filled go.Scatter traces on a cartesian plot (longitude scaled by the cosine of the city's
mean latitude, equal axis scales, so the shapes are the map's), and each county's name and shown value is an SVG
annotation at the spot inside it where the label box is largest (the enclaves 清河区 and 银州区 count as holes of the
counties around them). A county too small for its label at the figure's size gets a callout: the label in the white
just outside the city, a leader line to a dot inside the county.

Clicking anywhere in a county selects it: each county carries an invisible trace of markers on a fine grid over its
area (and on its label), whose customdata is the county code. st.plotly_chart(on_select=..., selection_mode="points")
returns the clicked marker; clicked_county() reads the code from it. No Streamlit here.
"""
from __future__ import annotations

import heapq
import json
import math
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
import polars as pl

from dashboard.charts import AMBER, FONT, GREEN, GREY, RED, _layout
from dashboard.db import PROJECT_DIR

GEOJSON = PROJECT_DIR / "warehouse" / "reference" / "tieling_counties.geojson"
SCALE = ((0.0, RED), (0.5, AMBER), (1.0, GREEN))  # the colour scale of the choropleth it replaces
TOTAL_LABEL = "考评总分"  # the label of the total score: coloured on its own min–max; indicator shares on 0–1
NOTICE = "⚑"             # written before the name of a county 列入通报
SELECTED_LINE = {"color": "#111111", "width": 3.5}
BORDER_LINE = {"color": "#ffffff", "width": 1.2}
LABEL_SIZE = 15          # px: read from the back of a room on a 1920×1080 projector
HEIGHT = 740             # px: the map with its title and colour bar fills a 1080-line projector's window
MARGIN = {"l": 0, "r": 0, "t": 50, "b": 106}
PAD = 0.01               # projected degrees of white around the city
GRID = 0.04              # spacing of the click grid in projected degrees (about 15 px at HEIGHT): every point in a
#                          county is within 9 px of one of its markers; a finer grid makes the browser slower to draw
DESKTOP_WIDTH = 420     # px: the narrowest the map is drawn on a desktop (总览's map column at 1440 px, sidebar open)
NARROW = 250            # px per projected degree on a phone (about 400 px wide): callouts still fit in the figure
CLICK_MARKER = 20        # px: the invisible click markers' size; with hoverdistance they overlap, leaving no gap


@lru_cache(maxsize=1)
def geojson() -> dict:
    """The seven county boundaries, bundled with the product (warehouse/reference, see PROVENANCE.md)."""
    return json.loads(GEOJSON.read_text(encoding="utf-8"))


def _polygons(geometry: dict) -> list:
    return geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]


@lru_cache(maxsize=1)
def _kx() -> float:
    lats = [pt[1] for f in geojson()["features"] for poly in _polygons(f["geometry"]) for ring in poly for pt in ring]
    return math.cos(math.radians((min(lats) + max(lats)) / 2))


def project(lon: float, lat: float) -> tuple[float, float]:
    """Equirectangular projection at the city's mean latitude: one unit of x is as long on the ground as one of y."""
    return lon * _kx(), lat


def unproject(x: float, y: float) -> tuple[float, float]:
    return x / _kx(), y


# --- geometry (projected coordinates) ------------------------------------------------------------------------

def _ring_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _segments(rings: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate(rings), np.concatenate([np.roll(r, -1, axis=0) for r in rings])


def _inside(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Even-odd rule over all the segments a→b (so a ring inside a ring is a hole): a boolean per point."""
    out = np.empty(len(points), dtype=bool)
    ax, ay, bx, by = a[:, 0], a[:, 1], b[:, 0], b[:, 1]
    for s in range(0, len(points), 1000):
        px, py = points[s:s + 1000, 0:1], points[s:s + 1000, 1:2]
        crosses = (ay > py) != (by > py)
        with np.errstate(divide="ignore", invalid="ignore"):
            xi = ax + (py - ay) * (bx - ax) / (by - ay)
        out[s:s + 1000] = ((crosses & (px < xi)).sum(axis=1) % 2) == 1
    return out


def _distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distance of each point to the nearest segment."""
    p = points[:, None, :]
    ab = b - a
    length2 = np.maximum((ab ** 2).sum(axis=1), 1e-18)
    t = np.clip(((p - a) * ab).sum(axis=2) / length2, 0, 1)
    return np.sqrt(((p - (a + t[..., None] * ab)) ** 2).sum(axis=2)).min(axis=1)


def _densify(ring: np.ndarray, step: float) -> np.ndarray:
    """The ring with points added so that no two consecutive points are more than `step` apart."""
    nxt = np.roll(ring, -1, axis=0)
    n = np.maximum(1, np.ceil(np.sqrt(((nxt - ring) ** 2).sum(axis=1)) / step).astype(int))
    f = np.concatenate([np.arange(k) / k for k in n])
    i = np.repeat(np.arange(len(ring)), n)
    return ring[i] + (nxt[i] - ring[i]) * f[:, None]


DENSE = 0.003  # boundary points this close (about 1 px at HEIGHT) stand in for the boundary in _box_half


def _box_half(points: np.ndarray, boundary: np.ndarray, aspect: float) -> np.ndarray:
    """Half-height of the largest box of width:height `aspect` centred on each point that holds no boundary point
    (boundary: densified rings), less half the boundary step for the boundary between two of its points."""
    out = np.empty(len(points))
    for s in range(0, len(points), 500):
        d = np.abs(points[s:s + 500, None, :] - boundary[None, :, :])
        out[s:s + 500] = np.maximum(d[..., 0] / aspect, d[..., 1]).min(axis=1)
    return np.maximum(out - DENSE / 2, 0)


def _pole(rings: list[np.ndarray], precision: float = 0.001) -> tuple[float, float]:
    """The pole of inaccessibility (Mapbox's polylabel): the inside point farthest from every ring, found by
    splitting cells best-first; the start is the outer ring's centroid if inside, else the best first cell."""
    a, b = _segments(rings)
    outer = rings[0]
    (x0, y0), (x1, y1) = outer.min(axis=0), outer.max(axis=0)
    size = min(x1 - x0, y1 - y0)
    if size <= 0:
        return float(outer[0, 0]), float(outer[0, 1])
    queue: list = []

    def push(cells: np.ndarray, half: float) -> None:
        signed = _distance(cells, a, b) * np.where(_inside(cells, a, b), 1, -1)
        for (cx, cy), d in zip(cells, signed):
            heapq.heappush(queue, (-(d + half * math.sqrt(2)), float(d), float(cx), float(cy), half))

    push(np.array([(x, y) for x in np.arange(x0, x1, size) + size / 2 for y in np.arange(y0, y1, size) + size / 2]),
         size / 2)
    best, best_d = _centroid(outer), -math.inf
    centre = np.array([best])
    if _inside(centre, a, b)[0]:
        best_d = float(_distance(centre, a, b)[0])
    while queue:
        bound, d, cx, cy, half = heapq.heappop(queue)
        if d > best_d:
            best, best_d = (cx, cy), d
        if -bound - best_d <= precision:
            continue
        q = half / 2
        push(np.array([(cx - q, cy - q), (cx + q, cy - q), (cx - q, cy + q), (cx + q, cy + q)]), q)
    return best


def _centroid(ring: np.ndarray) -> tuple[float, float]:
    x, y = ring[:, 0], ring[:, 1]
    x2, y2 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y2 - x2 * y
    area = cross.sum() / 2
    if abs(area) < 1e-15:
        return float(x.mean()), float(y.mean())
    return float(((x + x2) * cross).sum() / (6 * area)), float(((y + y2) * cross).sum() / (6 * area))


def _covers(county: dict, points: np.ndarray) -> np.ndarray:
    """Which points lie in the county (in one of its polygons, not in their holes)."""
    inside = np.zeros(len(points), dtype=bool)
    for polygon in county["polygons"]:
        (x0, y0), (x1, y1) = polygon[0].min(axis=0), polygon[0].max(axis=0)
        near = (points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1)
        inside[near] |= _inside(points[near], *_segments(polygon))
    return inside


@lru_cache(maxsize=1)
def _shapes() -> tuple[dict, ...]:
    """Each county once, in drawing order (largest first, so an enclave is drawn over the county around it): its
    rings projected, the rings that bound its label (its largest polygon, the enclaves in it as holes), its pole of
    inaccessibility and its click grid. Computed once per process."""
    counties = []
    for feature in geojson()["features"]:
        polygons = [[np.array([project(lon, lat) for lon, lat, *_ in ring]) for ring in polygon]
                    for polygon in _polygons(feature["geometry"])]
        counties.append({"code": str(feature["properties"]["code"]), "name": feature["properties"].get("name", ""),
                         "polygons": polygons,
                         "area": sum(_ring_area(p[0]) - sum(_ring_area(h) for h in p[1:]) for p in polygons)})
    counties.sort(key=lambda c: -c["area"])
    lo, hi = _bounds(counties)
    rows = np.arange(lo[1] + GRID / 2, hi[1], GRID * math.sqrt(3) / 2)  # a hexagonal grid: every click is near one
    grid = np.array([(x, y) for j, y in enumerate(rows) for x in np.arange(lo[0] + GRID * (0.25 + j % 2 / 2), hi[0], GRID)])
    owner = np.full(len(grid), -1)
    for i, c in enumerate(counties):  # later (smaller, enclave) counties win the points they cover
        owner[_covers(c, grid)] = i
    for i, c in enumerate(counties):
        enclaves = [p[0] for other in counties[i + 1:] for p in other["polygons"]
                    if any(_inside(p[0][:1], *_segments(mine)).all() for mine in c["polygons"])]
        c["rings"] = [*max(c["polygons"], key=lambda p: _ring_area(p[0])), *enclaves]
        c["pole"] = _pole(c["rings"])
        c["boundary"] = np.concatenate([_densify(r, DENSE) for r in c["rings"]])
        c["grid"] = grid[owner == i]
    return tuple(counties)


def _bounds(counties) -> tuple[np.ndarray, np.ndarray]:
    every = np.concatenate([p[0] for c in counties for p in c["polygons"]])
    return every.min(axis=0), every.max(axis=0)


@lru_cache(maxsize=1)
def _city_mask() -> tuple[np.ndarray, np.ndarray, float]:
    """Which cells of a fine raster over the city touch a county, grown by a cell: a quick test for callouts (a
    point off the raster is off the city)."""
    shapes = _shapes()
    lo, hi = _bounds(shapes)
    cell = 0.008
    origin = lo - cell * 2
    nx, ny = (np.ceil((hi + cell * 2 - origin) / cell)).astype(int)
    xs, ys = origin[0] + (np.arange(nx) + 0.5) * cell, origin[1] + (np.arange(ny) + 0.5) * cell
    centres = np.stack(np.meshgrid(xs, ys, indexing="ij"), axis=-1).reshape(-1, 2)
    mask = np.zeros(len(centres), dtype=bool)
    for c in shapes:
        mask |= _covers(c, centres)
    # a cell whose centre is outside may still be crossed by a border: mark the cells of the boundary points too
    boundary = np.concatenate([_densify(p[0], cell / 2) for c in shapes for p in c["polygons"]])
    idx = np.floor((boundary - origin) / cell).astype(int)
    mask = mask.reshape(nx, ny)
    mask[idx[:, 0], idx[:, 1]] = True
    grown = mask.copy()  # one cell more all round: a box touching the boundary is not clear of it
    grown[1:] |= mask[:-1]
    grown[:-1] |= mask[1:]
    grown[:, 1:] |= mask[:, :-1]
    grown[:, :-1] |= mask[:, 1:]
    return grown, origin, cell


def _on_city(points: np.ndarray) -> np.ndarray:
    mask, origin, cell = _city_mask()
    idx = np.floor((points - origin) / cell).astype(int)
    ok = (idx[:, 0] >= 0) & (idx[:, 0] < mask.shape[0]) & (idx[:, 1] >= 0) & (idx[:, 1] < mask.shape[1])
    out = np.zeros(len(points), dtype=bool)
    out[ok] = mask[idx[ok, 0], idx[ok, 1]]
    return out


@lru_cache(maxsize=16)
def _candidates(index: int) -> np.ndarray:
    """Candidate label centres inside county `index` (enclaves excluded), nearest its pole of inaccessibility first."""
    c = _shapes()[index]
    (x0, y0), (x1, y1) = c["rings"][0].min(axis=0), c["rings"][0].max(axis=0)
    step = min(x1 - x0, y1 - y0) / 30
    cand = np.array([(x, y) for x in np.arange(x0 + step / 2, x1, step) for y in np.arange(y0 + step / 2, y1, step)])
    cand = np.vstack([np.array([c["pole"]]), cand[_inside(cand, *_segments(c["rings"]))]])
    return cand[np.argsort(((cand - np.array(c["pole"])) ** 2).sum(axis=1), kind="stable")]


@lru_cache(maxsize=256)
def _label_room(index: int, aspect: float) -> np.ndarray:
    """For each candidate of county `index`, the half-height (projected units) of the largest box of width:height
    `aspect` centred there that stays inside the county."""
    return _box_half(_candidates(index), _shapes()[index]["boundary"], aspect)


# --- labels -------------------------------------------------------------------------------------------------

def _em(ch: str) -> float:
    """Rough advance of a character in em for the sans CJK fonts of FONT: enough to know whether a label fits."""
    if ch in " .,:;":
        return 0.3
    if ord(ch) >= 0x2E80 or ch in NOTICE + "⚠—":
        return 1.0
    return 0.6


def _label_px(lines: list[str], size: int) -> tuple[float, float]:
    """Width and height in px of an annotation of these lines (plain text, no tags) at font `size`."""
    return max(sum(_em(ch) for ch in line) for line in lines) * size + 6, 1.47 * size * len(lines) + 2


def _box_hits(box, points: np.ndarray) -> np.ndarray:
    x, y, w, h = box
    return (np.abs(points[:, 0] - x) <= w / 2) & (np.abs(points[:, 1] - y) <= h / 2)


def _boxes_overlap(p, q) -> bool:
    return abs(p[0] - q[0]) * 2 < p[2] + q[2] and abs(p[1] - q[1]) * 2 < p[3] + q[3]


def _callout(anchor: tuple[float, float], w: float, h: float, taken: list,
             y_limits: tuple[float, float]) -> tuple[float, float] | None:
    """Where to put the label of a county too small to hold it: the nearest spot clear of every county (in the
    white around the city) and of the other labels, its leader line crossing no other label."""
    sx, sy = anchor
    angles = np.radians(np.arange(0, 360, 10))
    dist = np.repeat(np.arange(0.06, 1.2, 0.01), len(angles))
    turn = np.tile(angles, len(dist) // len(angles))
    cand = np.c_[sx + dist * np.cos(turn), sy + dist * np.sin(turn)]
    cand = cand[(cand[:, 1] - h / 2 >= y_limits[0]) & (cand[:, 1] + h / 2 <= y_limits[1])]
    cand = cand[~_on_city(cand)]
    t = np.linspace(-0.5, 0.5, 9)
    for x, y in cand:  # nearest first
        edge = np.concatenate([np.c_[x + t * w, np.full(9, y - h / 2)], np.c_[x + t * w, np.full(9, y + h / 2)],
                               np.c_[np.full(9, x - w / 2), y + t * h], np.c_[np.full(9, x + w / 2), y + t * h]])
        if _on_city(edge).any():
            continue
        box = (x, y, w, h)
        line = np.c_[np.linspace(sx, x, 30), np.linspace(sy, y, 30)]
        if any(_boxes_overlap(box, o) or _box_hits(o, line).any() for o in taken):
            continue
        return float(x), float(y)
    return None


# --- colours ------------------------------------------------------------------------------------------------

def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def colour_at(t: float) -> str:
    """The scale's colour at t in [0, 1] (linear in RGB between the stops, as plotly's colour bar draws it)."""
    t = min(1.0, max(0.0, t))
    for (t0, c0), (t1, c1) in zip(SCALE, SCALE[1:]):
        if t <= t1:
            f = 0 if t1 == t0 else (t - t0) / (t1 - t0)
            return "#" + "".join(f"{round(u + (v - u) * f):02x}" for u, v in zip(_rgb(c0), _rgb(c1)))
    return SCALE[-1][1]


def _luminance(colour: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_colour(fill: str) -> str:
    """White or near-black, whichever contrasts more with `fill` (WCAG contrast ratio)."""
    lum = _luminance(fill)
    return "#ffffff" if 1.05 / (lum + 0.05) >= (lum + 0.05) / (_luminance("#111111") + 0.05) else "#111111"


def _range(values: list[float | None], is_total: bool) -> tuple[float, float]:
    if not is_total:
        return 0.0, 1.0
    known = [v for v in values if v is not None and v == v]
    return (min(known), max(known)) if known else (0.0, 1.0)


def fill_colour(value: float | None, lo: float, hi: float) -> str:
    """A county's fill: the scale's colour of `value` on lo–hi (outside it, the end's), grey when there is none."""
    if value is None or value != value:
        return GREY
    return colour_at(0.5 if hi <= lo else (value - lo) / (hi - lo))


# --- the figure ---------------------------------------------------------------------------------------------

def _path(polygons: list) -> tuple[np.ndarray, np.ndarray]:
    """All rings of a county as one path, NaN between rings (a gap: plotly fills each ring)."""
    parts = []
    for polygon in polygons:
        for ring in polygon:
            parts += [ring, ring[:1], np.array([[np.nan, np.nan]])]
    path = np.round(np.concatenate(parts[:-1]), 5)
    return path[:, 0], path[:, 1]


def _esc(text) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@lru_cache(maxsize=64)
def _placement(sizes: tuple[tuple[float, float], ...],
               y_limits: tuple[float, float]) -> tuple[tuple[tuple[float, float], tuple[float, float] | None], ...]:
    """For each county (in _shapes() order) with a label of `sizes` (width, height in projected units): the label's
    anchor inside the county, and the spot of its callout (None when the label fits at the anchor)."""
    anchors, fits = [], []
    for i, (w, h) in enumerate(sizes):
        # the box's aspect rounded up: a little wider than the label, never narrower
        room = _label_room(i, math.ceil(w / h * 20) / 20)
        ok = np.flatnonzero(room * 2 >= h)  # candidates are sorted nearest the pole first
        fits.append(bool(len(ok)))
        anchors.append(tuple(float(v) for v in _candidates(i)[ok[0] if len(ok) else int(room.argmax())]))
    taken = [(*a, w, h) for a, f, (w, h) in zip(anchors, fits, sizes) if f]
    spots = []
    for a, f, (w, h) in zip(anchors, fits, sizes):
        at = None if f else _callout(a, w * 1.1, h * 1.1, taken, y_limits)
        if at is not None:
            taken.append((*at, w * 1.1, h * 1.1))
        spots.append((a, at))
    return tuple(spots)


def county_map(values: pl.DataFrame, label: str, selected: tuple[str, ...] = ()) -> go.Figure:
    """The seven counties coloured by 值 (red worst → amber → green best; no value grey), each with its name and
    its shown value (显示) written on it, ⚑ before the name of a county 列入通报, the `selected` counties outlined
    thick and dark. `values` is overview.map_values(): county_code, 区县, 值, 显示, 排名, 总分, 通报, 通报原因.

    A label sits inside its county where it fits at the figure's height; a county too small for it (银州区 and
    调兵山市 at least) has it just outside the city with a leader line to a dot inside the county. Clicking a county
    anywhere, or its label, selects it: see clicked_county()."""
    is_total = label == TOTAL_LABEL
    rows = {r["county_code"]: r for r in values.iter_rows(named=True)}
    lo, hi = _range([r["值"] for r in rows.values()], is_total)
    shapes = _shapes()
    (x0, y0), (x1, y1) = _bounds(shapes)
    y_limits = (y0 - PAD, y1 + PAD)
    # px per unit: the height decides, unless the map's column is narrower (总览 at 1440 px with the sidebar gives
    # it about DESKTOP_WIDTH px): labels are placed for the smaller scale, so they stay apart there too
    scale = min((HEIGHT - MARGIN["t"] - MARGIN["b"]) / (y_limits[1] - y_limits[0]),
                DESKTOP_WIDTH / (x1 - x0 + 2 * PAD))

    labels = []
    for c in shapes:
        r = rows.get(c["code"], {})
        name = r.get("区县") or c["name"]
        flagged = r.get("通报") == "列入通报"
        lines = [f"{NOTICE} {name}" if flagged else name, r.get("显示") or "—"]
        w_px, h_px = _label_px(lines, LABEL_SIZE)
        labels.append({"county": c, "row": r, "name": name, "flagged": flagged, "lines": lines, "at": None,
                       "w": round(w_px / scale, 4), "h": round(h_px / scale, 4), "fill": fill_colour(r.get("值"), lo, hi)})
    for lab, (anchor, at) in zip(labels, _placement(tuple((lab["w"], lab["h"]) for lab in labels), y_limits)):
        lab["anchor"], lab["at"] = anchor, at

    fig = go.Figure()
    for lab in labels:  # 1. the filled polygons, enclaves last
        c = lab["county"]
        xs, ys = _path(c["polygons"])
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines", fill="toself", fillcolor=lab["fill"], name=lab["name"],
            line=SELECTED_LINE if c["code"] in selected else BORDER_LINE, hoverinfo="skip", showlegend=False,
            meta={"county_code": c["code"], "role": "county"}))
    for lab in labels:  # 2. the selected counties' outlines again, over their neighbours' fills
        c = lab["county"]
        if c["code"] in selected:
            xs, ys = _path(c["polygons"])
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=SELECTED_LINE, hoverinfo="skip", showlegend=False,
                                     meta={"county_code": c["code"], "role": "outline"}))
    annotations = []
    for lab in labels:  # 3. what is clicked and hovered: invisible markers over each county and on its label
        c, r = lab["county"], lab["row"]
        notice, reason = r.get("通报") or "", r.get("通报原因") or ""
        hover = (f"<b>{_esc(lab['name'])}</b><br>{_esc(label)}:{_esc(r.get('显示') or '—')}"
                 + (f"<br>考评排名:第 {r['排名']} 名" if r.get("排名") is not None else "")
                 + (f"<br>{NOTICE} {_esc(notice)}" if lab["flagged"] else (f"<br>{_esc(notice)}" if notice else ""))
                 + (f"({_esc(reason)})" if lab["flagged"] and reason else "")
                 + "<extra>点击选择该区县</extra>")
        spots = np.array([lab["anchor"], *([lab["at"]] if lab["at"] else [])])
        points = np.vstack([spots, c["grid"]]) if len(c["grid"]) else spots
        fig.add_trace(go.Scatter(
            x=np.round(points[:, 0], 5), y=np.round(points[:, 1], 5), mode="markers", name=lab["name"],
            marker={"size": CLICK_MARKER, "color": "rgba(0,0,0,0)", "opacity": 0},
            selected={"marker": {"opacity": 0}}, unselected={"marker": {"opacity": 0}},
            customdata=np.full((len(points), 1), c["code"], dtype=object), hovertemplate=hover, showlegend=False,
            hoverlabel={"bgcolor": "white", "bordercolor": "#555555", "align": "left",
                        "font": {"color": "#111111", "size": 15}},
            meta={"county_code": c["code"], "role": "click"}))
        note = {"x": lab["anchor"][0], "y": lab["anchor"][1], "xref": "x", "yref": "y", "name": c["code"],
                "text": f"<b>{_esc(lab['lines'][0])}</b><br>{_esc(lab['lines'][1])}", "align": "center"}
        if lab["at"] is None:
            annotations.append({**note, "showarrow": False,
                                "font": {"family": FONT, "size": LABEL_SIZE, "color": text_colour(lab["fill"])}})
        else:  # a callout: the text in the white around the city, a leader line to a dot in the county
            annotations.append({**note, "showarrow": True, "ax": lab["at"][0], "ay": lab["at"][1], "axref": "x",
                                "ayref": "y", "arrowhead": 6, "arrowsize": 1.4, "arrowwidth": 1.5,
                                "arrowcolor": "#333333", "standoff": 0, "bgcolor": "rgba(255,255,255,0.92)",
                                "bordercolor": lab["fill"], "borderwidth": 2, "borderpad": 2,
                                "font": {"family": FONT, "size": LABEL_SIZE, "color": "#111111"}})
    # 4. the colour bar under the map, drawn by an invisible marker that carries the colour scale
    cx, cy = labels[0]["anchor"]
    fig.add_trace(go.Scatter(
        x=[cx], y=[cy], mode="markers", hoverinfo="skip", showlegend=False, meta={"role": "colourbar"},
        marker={"size": 0.1, "opacity": 0, "color": [lo], "cmin": lo, "cmax": hi if hi > lo else lo + 1,
                "colorscale": [[t, c] for t, c in SCALE], "showscale": True,
                "colorbar": {"title": {"text": "分" if is_total else "%", "side": "right"},
                             "tickformat": ".0f" if is_total else ".0%", "orientation": "h", "len": 0.45,
                             "thickness": 14, "x": 0.5, "xanchor": "center", "y": -0.01, "yanchor": "top",
                             "tickfont": {"size": 13}}}))
    annotations.append({
        "xref": "paper", "yref": "paper", "x": 0.5, "y": 0, "yshift": -58, "xanchor": "center", "yanchor": "top",
        "showarrow": False, "font": {"size": 13, "color": "#444444"}, "name": "legend",
        "text": f"{NOTICE} 列入通报 · 黑色粗框:已选区县<br>灰色:无数值 · 点击区县即选择该区县"})
    # room for the callouts also where the width decides the scale (a phone): their text keeps its size in px
    edges = [lab["at"][0] + s * lab["w"] * 0.55 * scale / NARROW for lab in labels if lab["at"] for s in (-1, 1)]
    fig = _layout(fig, f"各区县{label}", height=HEIGHT)
    fig.update_layout(
        annotations=annotations, dragmode=False, hovermode="closest", hoverdistance=20, clickmode="event+select",
        showlegend=False, margin=MARGIN, plot_bgcolor="white",
        xaxis={"visible": False, "fixedrange": True, "constrain": "domain",
               "range": [min([x0 - PAD, *edges]), max([x1 + PAD, *edges])]},
        yaxis={"visible": False, "fixedrange": True, "range": list(y_limits), "scaleanchor": "x", "scaleratio": 1,
               "constrain": "domain"})
    return fig


def clicked_county(selection: dict | None) -> str | None:
    """The county code of the first clicked point in a st.plotly_chart selection (st.session_state[key].selection:
    {"points": [{"curve_number", "point_index", "customdata", …}], …}), or None when nothing (or no county) was
    clicked. Also reads a point's "location" (the MapLibre choropleth's), so either map works with it."""
    if not selection:
        return None
    codes = {c["code"] for c in _shapes()}
    for point in selection.get("points") or []:
        if not isinstance(point, dict):
            continue
        data = point.get("customdata")
        for code in (data[0] if isinstance(data, (list, tuple)) and data else data, point.get("location")):
            if isinstance(code, str) and code in codes:
                return code
    return None
