"""Province maps: per-commune aggregates, boundary layers, crosswalks and choropleths.

Public API (docs/maps.md):

- `maps.aggregate.commune_aggregates(scores_df)`, `with_mpi`, `totals`, `rates_from_counts`,
  `change_between`
- `maps.boundaries.import_boundaries(path, code_field=…)`, `default_boundaries(province)`,
  `national_boundaries()`, `load_communes()`
- `maps.crosswalk.load_crosswalk(path=None)`, `to_current_layout(old_aggregates, crosswalk)`
- `maps.layouts.detect_layout(codes)`, `resolve_layout(codes, declared, what)` (2020–2024 or 2025)
- `maps.choropleth.choropleth(aggregates, boundaries, …)`, `to_html(map)`, `to_png(…)`, `map_layer`

Most of these names are also importable from `maps` itself (not `choropleth` and `classify`,
which are also submodule names); geopandas and folium load only when a geometry or map
function is first used, so `import maps` is cheap.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "commune_aggregates": "maps.aggregate",
    "totals": "maps.aggregate",
    "rates_from_counts": "maps.aggregate",
    "change_between": "maps.aggregate",
    "with_mpi": "maps.aggregate",
    "import_boundaries": "maps.boundaries",
    "default_boundaries": "maps.boundaries",
    "national_boundaries": "maps.boundaries",
    "load_communes": "maps.boundaries",
    "ImportReport": "maps.boundaries",
    "BoundaryError": "maps.boundaries",
    "detect_layout": "maps.layouts",
    "resolve_layout": "maps.layouts",
    "LayoutError": "maps.layouts",
    "load_crosswalk": "maps.crosswalk",
    "to_current_layout": "maps.crosswalk",
    "to_html": "maps.choropleth",
    "to_png": "maps.choropleth",
    "map_layer": "maps.choropleth",
    "read_scores": "maps.scores_io",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'maps' has no attribute {name!r}")
