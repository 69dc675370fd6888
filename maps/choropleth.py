"""Commune choropleths: an interactive folium map (standalone HTML) and a static PNG.

The web map carries the commune geometry once: a single GeoJSON layer whose colour follows the
measure picked in the layer control (poor rate, near-poor rate, combined, each indicator, M0,
change since an earlier round). Each feature holds its class and value per measure, so the file
stays small (< 1 MB for a province, < 5 MB for the 3,321 communes). Every piece of text that
comes from data (names, titles, labels) is HTML-escaped in Python, and the embedded JSON cannot
close its <script> element.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from jinja2 import Template

from maps.aggregate import change_between, indicators_of
from maps.classify import NO_DATA_COLOR, Classes, classify
from maps.labels import APPROXIMATE, NO_DATA, measure_pair, pick
from povcensus import fmt

CHANGE_MEASURES = ("poor_rate", "near_poor_rate", "combined_rate")
COORDINATE_DIGITS = 4  # ~11 m: finer than any commune boundary a web map can show


LEAN_JS = [js for js in folium.Map.default_js if js[0] == "leaflet"]
LEAN_CSS = [css for css in folium.Map.default_css if css[0] == "leaflet_css"]
STATIC = Path(__file__).with_name("static")


class LeanMap(folium.Map):
    """A folium Map that needs Leaflet only (no jQuery, Bootstrap or icon fonts)."""

    default_js = LEAN_JS
    default_css = LEAN_CSS


def default_measures(aggregates: pd.DataFrame) -> list[str]:
    """Measures offered in the layer control: class rates, every indicator, MPI M0 if present."""
    measures = ["poor_rate", "near_poor_rate", "combined_rate"]
    measures += [f"dep_{ind}_rate" for ind in indicators_of(aggregates)]
    if "mpi_M0" in aggregates.columns:
        measures.append("mpi_M0")
    return [m for m in measures if m in aggregates.columns]


def map_layer(aggregates: pd.DataFrame, boundaries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Boundaries joined to aggregates on the GSO commune code (communes without data kept, NaN)."""
    data = aggregates.assign(commune_code=aggregates["commune_code"].astype(str))
    keep = [c for c in data.columns if c not in ("name", "province_code", "geometry")]
    layer = boundaries.merge(data[keep], on="commune_code", how="left")
    layer.attrs = dict(boundaries.attrs)
    return layer


def is_approximate(boundaries: gpd.GeoDataFrame) -> bool:
    """True when the layer is the embedded approximate one (or contains approximate shapes)."""
    flagged = "approximate" in boundaries.columns and bool(
        boundaries["approximate"].fillna(False).any()
    )
    return flagged or bool(boundaries.attrs.get("approximate"))


def choropleth(
    aggregates: pd.DataFrame,
    boundaries: gpd.GeoDataFrame,
    *,
    measure: str = "poor_rate",
    scheme: str = "quantile",
    k: int = 5,
    thresholds: Sequence[float] | None = None,
    title: str | None = None,
    compare: pd.DataFrame | None = None,
    measures: Sequence[str] | None = None,
    lang: str = "both",
    indicator_labels: Mapping[str, tuple[str, str]] | None = None,
    tiles: str | folium.TileLayer | None = None,
) -> folium.Map:
    """A folium map of ``aggregates`` on ``boundaries``, ``measure`` shown first.

    ``compare`` is an earlier round's aggregates on today's layout (see
    `maps.crosswalk.to_current_layout`); it adds diverging "change" layers in percentage points.
    ``scheme="fixed"`` uses ``thresholds`` for the rate (%) layers. ``lang`` is ``both``
    (Vietnamese with English in parentheses), ``vi`` or ``en``. ``tiles`` is None by default:
    no background, nothing fetched, no attribution for tiles that are not shown (offline);
    pass a tile URL (with ``folium.TileLayer(url, attr=…)``) or ``"OpenStreetMap"`` for one.
    The scale bar is metric only.
    """
    if boundaries.empty:
        raise ValueError("Lớp ranh giới rỗng / the boundary layer is empty: nothing to draw")
    data = _with_changes(aggregates, compare)
    chosen = _measure_list(data, measure, measures, compare is not None)
    layer = map_layer(data, boundaries)
    specs = [_measure_spec(layer, m, scheme, k, thresholds, lang, indicator_labels) for m in chosen]
    fmap = LeanMap(tiles=tiles, control_scale=False, prefer_canvas=False)
    _MetricScale().add_to(fmap)
    _CommuneLayer(
        _features(layer, specs, lang), [s["public"] for s in specs], lang, auto_title=title is None
    ).add_to(fmap)
    missing = sorted(set(data["commune_code"].astype(str)) - set(layer["commune_code"]))
    heading = title or pick(measure_pair(measure, indicator_labels), lang)
    _add_title(fmap, heading, is_approximate(boundaries), lang, missing)
    bounds = layer.total_bounds
    fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    fmap.povcensus_missing_geometry = missing
    return fmap


def tile_layer(url: str | None, attribution: str | None = None) -> folium.TileLayer | None:
    """A background tile layer for ``url`` (None: no background). A URL needs its attribution;
    OpenStreetMap's is known. Only what is shown is attributed: no tiles, no tile credit."""
    if not url:
        return None
    if not attribution and "openstreetmap.org" in url:
        attribution = "&copy; OpenStreetMap contributors"
    if not attribution:
        raise ValueError(
            "Hãy ghi nguồn nền bản đồ / give the attribution of tile URL "
            f"{url!r} (--tiles-attribution, MAP_TILES_ATTRIBUTION)"
        )
    return folium.TileLayer(tiles=url, attr=attribution)


def to_html(fmap: folium.Map, *, inline_assets: bool = True) -> str:
    """The map as one standalone HTML document.

    With ``inline_assets`` (default) Leaflet's script and stylesheet (vendored in
    maps/static, BSD-2-Clause) are embedded, so the file opens offline; only the background
    tiles need a network. ``inline_assets=False`` links Leaflet from its CDN (~165 kB smaller).
    """
    page = fmap.get_root().render()
    if not inline_assets:
        return page
    js_tag = f'<script src="{LEAN_JS[0][1]}"></script>'
    css_tag = f'<link rel="stylesheet" href="{LEAN_CSS[0][1]}"/>'
    if js_tag not in page or css_tag not in page:
        raise RuntimeError("folium's Leaflet tags changed; cannot inline assets")
    page = page.replace(js_tag, f"<script>{leaflet_asset('leaflet.js')}</script>", 1)
    return page.replace(css_tag, f"<style>{_inline_css()}</style>", 1)


def leaflet_asset(name: str) -> str:
    """Text of a vendored Leaflet file (``leaflet.js`` or ``leaflet.css``), e.g. for a web server."""
    return (STATIC / name).read_text(encoding="utf-8")


def _inline_css() -> str:
    css = leaflet_asset("leaflet.css")
    for image in ("layers-2x.png", "layers.png"):
        encoded = base64.b64encode((STATIC / image).read_bytes()).decode("ascii")
        css = css.replace(f"url(images/{image})", f"url(data:image/png;base64,{encoded})")
    return css


def _with_changes(aggregates: pd.DataFrame, compare: pd.DataFrame | None) -> pd.DataFrame:
    if compare is None:
        return aggregates
    changes = change_between(aggregates, compare, CHANGE_MEASURES)
    merged = aggregates.assign(commune_code=aggregates["commune_code"].astype(str))
    return merged.merge(
        changes.assign(commune_code=changes["commune_code"].astype(str)),
        on="commune_code",
        how="left",
    )


def _measure_list(
    data: pd.DataFrame, measure: str, measures: Sequence[str] | None, compare: bool
) -> list[str]:
    chosen = list(measures) if measures is not None else default_measures(data)
    if compare:
        chosen += [f"change_{m}" for m in CHANGE_MEASURES if f"change_{m}" in data.columns]
    missing = [m for m in [measure, *chosen] if m not in data.columns]
    if missing:
        raise ValueError(
            f"Không có chỉ tiêu / unknown measure(s) {missing}; available: {default_measures(data)}"
        )
    return [measure, *[m for m in dict.fromkeys(chosen) if m != measure]]


def _digits(measure: str) -> int:
    return 3 if measure.startswith("mpi_") or measure.startswith("change_mpi") else 1


def measure_classes(
    layer: pd.DataFrame,
    measure: str,
    *,
    scheme: str = "quantile",
    k: int = 5,
    thresholds: Sequence[float] | None = None,
) -> Classes:
    """Class one measure of a joined layer the way the maps do (shared by HTML and PNG)."""
    diverging = measure.startswith("change_")
    percent = measure.endswith("_rate") or "_rate_" in measure
    use = scheme if (scheme != "fixed" or percent) else "quantile"
    return classify(
        layer[measure].to_numpy(dtype=float),
        scheme=use,
        k=k,
        thresholds=thresholds,
        diverging=diverging,
    )


def _measure_spec(layer, measure, scheme, k, thresholds, lang, indicator_labels) -> dict:
    classes = measure_classes(layer, measure, scheme=scheme, k=k, thresholds=thresholds)
    digits = _digits(measure)
    locale = "en" if lang == "en" else "vi"  # "both": Vietnamese numbers
    legend = [
        [c, f"{r} ({n})"]
        for c, r, n in zip(
            classes.colors, classes.ranges(digits, locale), classes.counts, strict=True
        )
    ]
    legend.append([NO_DATA_COLOR, f"{pick(NO_DATA, lang)} ({classes.no_data})"])
    label = pick(measure_pair(measure, indicator_labels), lang)
    public = {
        "label": html.escape(label),
        "colors": classes.colors,
        "d": digits,
        "loc": "en-US" if locale == "en" else "vi-VN",  # the tooltip's number format
        "legend": [[color, html.escape(text)] for color, text in legend],
    }
    values = layer[measure].to_numpy(dtype=float)
    return {"public": public, "index": classes.index, "values": np.round(values, digits)}


def _features(layer: gpd.GeoDataFrame, specs: list[dict], lang: str) -> dict:
    geoms = shapely.transform(layer.geometry.values, lambda xy: np.round(xy, COORDINATE_DIGITS))
    features = []
    for row, (_, record) in enumerate(layer.iterrows()):
        props = {
            "t": _tooltip(record, lang),
            "k": [int(s["index"][row]) for s in specs],
            "v": [None if np.isnan(s["values"][row]) else float(s["values"][row]) for s in specs],
        }
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": shapely.geometry.mapping(geoms[row]),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _tooltip(record: pd.Series, lang: str) -> str:
    """Static part of a commune's tooltip: escaped name, code, counts and rates."""
    esc = html.escape
    lines = [f"<b>{esc(str(record.get('name') or ''))}</b> ({esc(str(record['commune_code']))})"]
    if pd.isna(record.get("households")):
        lines.append(esc(pick(NO_DATA, lang)))
        return "<br>".join(lines)
    rows = [
        (("Số hộ", "Households"), record["households"], None),
        (("Hộ nghèo", "Poor"), record["poor"], record["poor_rate"]),
        (("Hộ cận nghèo", "Near-poor"), record["near_poor"], record["near_poor_rate"]),
    ]
    locale = "en" if lang == "en" else "vi"  # "both": Vietnamese numbers (5,6 %, 1.144)
    for pair, count, rate in rows:
        text = f"{esc(pick(pair, lang))}: {_number(count, locale)}"
        if rate is not None and not pd.isna(rate):
            text += f" ({fmt.percent(rate, locale, digits=1)})"
        lines.append(text)
    merged = record.get("merged_from_names")
    if isinstance(merged, str) and merged:
        lines.append(f"{esc(pick(('Gộp từ', 'merged from'), lang))}: {esc(merged)}")
    return "<br>".join(lines)


def _number(value: float, locale: str) -> str:
    """A count in the reader's convention (one formatting layer: povcensus.fmt, on Babel)."""
    return fmt.number(value, locale, digits=0 if float(value).is_integer() else 1)


def safe_json(data: object) -> str:
    """JSON that is safe inside a <script> element: no '<', '>' or line separators."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


class _MetricScale(MacroElement):
    """Leaflet's scale bar in metres and kilometres only (its default adds miles and feet)."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self):
        super().__init__()
        self._name = "MetricScale"


class _CommuneLayer(MacroElement):
    """One GeoJSON layer restyled by a measure switcher, a legend and tooltips."""

    _template = Template(
        """
{% macro header(this, kwargs) %}
<style>
.pc-legend{background:#fff;padding:6px 8px;font:12px/1.4 sans-serif;border-radius:4px;box-shadow:0 0 6px rgba(0,0,0,.3)}
.pc-legend i{display:inline-block;width:14px;height:12px;margin-right:6px;vertical-align:middle;border:1px solid #999}
.leaflet-control-layers-list{max-height:50vh;overflow-y:auto}
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function(){
  var map = {{ this._parent.get_name() }};
  var data = {{ this.data_json }};
  var measures = {{ this.measures_json }};
  var noData = {{ this.no_data_json }};
  var current = 0;
  function style(f){
    var c = f.properties.k[current];
    return {fillColor: c < 0 ? "{{ this.no_data_color }}" : measures[current].colors[c],
            fillOpacity: 0.75, color: "#555", weight: 0.6};
  }
  function tip(f){
    var m = measures[current], v = f.properties.v[current];
    var shown = v === null ? noData : new Intl.NumberFormat(m.loc,
      {minimumFractionDigits: m.d, maximumFractionDigits: m.d}).format(v);
    return f.properties.t + "<br><b>" + m.label + ":</b> " + shown;
  }
  var layer = L.geoJson(data, {style: style, onEachFeature: function(f, l){
    l.bindTooltip(function(){ return tip(f); }, {sticky: true});
  }}).addTo(map);
  window.povcensusLayer = layer;
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function(){ this._div = L.DomUtil.create("div", "pc-legend"); this.update(); return this._div; };
  legend.update = function(){
    var m = measures[current], rows = ["<b>" + m.label + "</b>"];
    m.legend.forEach(function(r){ rows.push('<i style="background:' + r[0] + '"></i>' + r[1]); });
    this._div.innerHTML = rows.join("<br>");
  };
  legend.addTo(map);
  var bases = {}, groups = [];
  measures.forEach(function(m, i){ var g = L.layerGroup(); g.pcIndex = i; bases[m.label] = g; groups.push(g); });
  groups[0].addTo(map);
  L.control.layers(bases, {}, {collapsed: {{ this.collapsed }}}).addTo(map);
  map.on("baselayerchange", function(e){
    if (e.layer.pcIndex === undefined) return;
    current = e.layer.pcIndex; layer.setStyle(style); legend.update();
    var heading = document.querySelector(".pc-title-text");
    if ({{ this.auto_title }} && heading) heading.innerHTML = measures[current].label;
  });
})();
{% endmacro %}
"""
    )

    def __init__(self, data: dict, measures: list[dict], lang: str, *, auto_title: bool = False):
        super().__init__()
        self.auto_title = "true" if auto_title else "false"  # the title follows the chosen measure
        self._name = "CommuneLayer"
        self.data_json = safe_json(data)
        self.measures_json = safe_json(measures)
        self.no_data_json = safe_json(html.escape(pick(NO_DATA, lang)))
        self.no_data_color = NO_DATA_COLOR
        self.collapsed = "true" if len(measures) > 8 else "false"


def _add_title(
    fmap: folium.Map, title: str, approximate: bool, lang: str, missing: list[str]
) -> None:
    """Title box: the title, the approximate-boundaries note, communes with data but no shape."""
    notes = []
    if approximate:
        notes.append(html.escape(pick(APPROXIMATE, lang)))
    if missing:
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        label = pick(
            ("Xã có số liệu nhưng không có ranh giới", "communes with data but no boundary"), lang
        )
        notes.append(f"{html.escape(label)}: {len(missing)} ({html.escape(shown)})")
    note = "".join(f'<div style="font-size:12px;color:#a33">{n}</div>' for n in notes)
    box = (
        '<div class="pc-title" style="position:fixed;top:10px;left:60px;z-index:1000;background:#fff;'
        'padding:6px 10px;border-radius:4px;box-shadow:0 0 6px rgba(0,0,0,.3);font:14px sans-serif">'
        f'<b class="pc-title-text">{html.escape(title)}</b>{note}</div>'
    )
    fmap.get_root().html.add_child(Element(box))


def to_png(
    aggregates: pd.DataFrame,
    boundaries: gpd.GeoDataFrame,
    measure: str,
    path: str | Path,
    *,
    scheme: str = "quantile",
    k: int = 5,
    thresholds: Sequence[float] | None = None,
    title: str | None = None,
    compare: pd.DataFrame | None = None,
    lang: str = "both",
    indicator_labels: Mapping[str, tuple[str, str]] | None = None,
    dpi: int = 150,
) -> Path:
    """A static PNG of one measure with title and legend (matplotlib, no display needed).

    Without ``title`` the heading is the measure's label (in ``lang``), never its code.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    data = _with_changes(aggregates, compare)
    if measure not in data.columns:
        raise ValueError(f"Không có chỉ tiêu / unknown measure {measure!r}")
    layer = map_layer(data, boundaries)
    classes = measure_classes(layer, measure, scheme=scheme, k=k, thresholds=thresholds)
    colors = [NO_DATA_COLOR if i < 0 else classes.colors[i] for i in classes.index]
    fig = Figure(figsize=(8, 9))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    layer.plot(ax=ax, color=colors, edgecolor="#555", linewidth=0.3)
    ax.set_axis_off()
    heading = title or pick(measure_pair(measure, indicator_labels), lang)
    if is_approximate(boundaries):
        heading += f"\n{pick(APPROXIMATE, lang)}"
    ax.set_title(heading, fontsize=12)
    digits = _digits(measure)
    handles = [
        Patch(facecolor=c, edgecolor="#555", label=f"{r} ({n})")
        for c, r, n in zip(
            classes.colors,
            classes.ranges(digits, "en" if lang == "en" else "vi"),
            classes.counts,
            strict=True,
        )
    ]
    handles.append(
        Patch(
            facecolor=NO_DATA_COLOR,
            edgecolor="#555",
            label=f"{pick(NO_DATA, lang)} ({classes.no_data})",
        )
    )
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=True
    )
    path = Path(path)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path
