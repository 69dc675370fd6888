"""Commune boundary layers as server data: store a checked import, find the newest one.

A layer reaches the database only through `maps.boundaries.import_boundaries`, whose checks
(CRS, extent, axes, codes, province, layout, centroids) raise before anything is stored; the
cleaned layer is kept as GeoJSON (EPSG:4326) with where it came from, its date, layout and
licence note, and the import report. Every import is a new row: the history stays, the
dashboard draws the newest layer of the layout it needs (`newest_layer`), and the embedded
approximate layer only when none was imported.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from server.db import transaction, utcnow

COLUMNS = (
    "id, imported_at, imported_by, province_code, layout, filename, source, source_date, "
    "licence, code_field, features, matched"
)


def store_layer(
    db: sqlite_utils.Database,
    report: Any,
    *,
    filename: str,
    source: str,
    source_date: str | None,
    licence: str | None,
    province: str,
    imported_by: int | None,
) -> dict[str, Any]:
    """Store ``report.boundaries`` (an `ImportReport` that passed the checks); returns the row.

    The layer must cover ``province`` (the server's): a layer of another province is refused
    here too, whoever imported it.
    """
    if province not in report.province_codes:
        raise ValueError(
            f"Lớp ranh giới không thuộc tỉnh {province} / the layer does not cover province "
            f"{province} (it covers {', '.join(report.province_codes) or 'none'})"
        )
    layer = report.boundaries
    own = layer[layer["province_code"] == province]
    geojson = own[["commune_code", "name", "geometry"]].to_json(drop_id=True)
    details = report.to_dict()
    with transaction(db) as conn:
        cursor = conn.execute(
            "INSERT INTO province_boundary_layers (imported_at, imported_by, province_code, "
            "layout, filename, source, source_date, licence, code_field, features, matched, "
            "report, geojson) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                utcnow(),
                imported_by,
                province,
                report.layout,
                filename,
                source,
                source_date or None,
                licence or None,
                report.code_field,
                len(own),
                int(own["matched"].sum()),
                json.dumps(details, ensure_ascii=False, default=str),
                geojson,
            ],
        )
        layer_id = cursor.lastrowid
    return get_layer_info(db, layer_id)


def get_layer_info(db: sqlite_utils.Database, layer_id: int) -> dict[str, Any]:
    """One stored layer's provenance (no geometry)."""
    row = db.execute(
        f"SELECT {COLUMNS} FROM province_boundary_layers WHERE id = ?", [layer_id]
    ).fetchone()
    return _as_info(row)


def list_layers(db: sqlite_utils.Database, province: str) -> list[dict[str, Any]]:
    """Every imported layer of the province, newest first (the history)."""
    rows = db.execute(
        f"SELECT {COLUMNS} FROM province_boundary_layers WHERE province_code = ? ORDER BY id DESC",
        [province],
    ).fetchall()
    return [_as_info(row) for row in rows]


def newest_layer_info(
    db: sqlite_utils.Database, province: str, layout: str = "2025"
) -> dict[str, Any] | None:
    """Provenance of the newest imported layer of ``layout``, or None."""
    row = db.execute(
        f"SELECT {COLUMNS} FROM province_boundary_layers WHERE province_code = ? AND layout = ? "
        "ORDER BY id DESC LIMIT 1",
        [province, layout],
    ).fetchone()
    return _as_info(row) if row else None


def load_layer(db: sqlite_utils.Database, layer_id: int):
    """The stored layer as a GeoDataFrame in the maps' boundary columns (EPSG:4326)."""
    import geopandas as gpd

    (text, province, layout) = db.execute(
        "SELECT geojson, province_code, layout FROM province_boundary_layers WHERE id = ?",
        [layer_id],
    ).fetchone()
    layer = gpd.GeoDataFrame.from_features(json.loads(text)["features"], crs="EPSG:4326")
    layer["commune_code"] = layer["commune_code"].astype(str)
    layer = layer.assign(province_code=province, matched=True, approximate=False)
    layer = layer[["commune_code", "name", "province_code", "matched", "approximate", "geometry"]]
    layer.attrs["layout"] = layout
    layer.attrs["layer_id"] = layer_id
    return layer


def _as_info(row) -> dict[str, Any]:
    keys = [k.strip() for k in COLUMNS.split(",")]
    return dict(zip(keys, row, strict=True))
