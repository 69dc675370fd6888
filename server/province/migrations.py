"""The province view's own tables, migrated by `server.db.upgrade` as `province.mNNN_…`.

`server.db.MIGRATION_MODULES` lists this module; `all_migrations()` records each function under
the prefix `province.`, so our numbering never collides with the server's (`m001_initial`) or
the review's (`review.m001_…`). We only add tables prefixed `province_`.

- `province_aggregates`: one row per round × commune, the full aggregate row as JSON (counts,
  rates, indicator rates, MPI, computed-vs-final class counts), written in one transaction.
- `province_aggregate_runs`: per round, the change stamp the stored rows were computed at; the
  dashboard recomputes only when the round's current stamp differs (see queries/province.py).
- `province_demo`: a marker row written by `povcensus demo`, so the demo never overwrites a
  database it did not build.
- `province_boundary_layers` (m010): imported commune boundary layers (GeoJSON, EPSG:4326) with
  source, date, layout, licence note and the import report; history kept.
"""

from __future__ import annotations

import sqlite3

_TABLES = """
CREATE TABLE province_aggregates (
    round_id INTEGER NOT NULL, commune_code TEXT NOT NULL, stamp TEXT NOT NULL,
    data TEXT NOT NULL, PRIMARY KEY (round_id, commune_code));
CREATE TABLE province_aggregate_runs (
    round_id INTEGER PRIMARY KEY, stamp TEXT NOT NULL, computed_at TEXT NOT NULL,
    seconds REAL NOT NULL, households INTEGER NOT NULL);
CREATE TABLE province_demo (
    id INTEGER PRIMARY KEY CHECK (id = 1), built_at TEXT NOT NULL, households INTEGER NOT NULL,
    seed INTEGER NOT NULL)
"""


def m001_province_tables(conn: sqlite3.Connection) -> None:
    """Stored per-commune aggregates with their change stamp, and the demo marker."""
    for statement in _TABLES.split(";\n"):
        if statement.strip():
            conn.execute(statement)


def m010_boundary_layers(conn: sqlite3.Connection) -> None:
    """Imported commune boundary layers with their provenance; every import is kept (history),
    the dashboard draws the newest of the layout it needs (server/province/boundary_store.py)."""
    conn.execute(
        """CREATE TABLE province_boundary_layers (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            imported_at TEXT NOT NULL,
            imported_by INTEGER,
            province_code TEXT NOT NULL,
            layout TEXT NOT NULL CHECK (layout IN ('2025', '2020-2024')),
            filename TEXT NOT NULL,
            source TEXT NOT NULL,
            source_date TEXT,
            licence TEXT,
            code_field TEXT NOT NULL,
            features INTEGER NOT NULL,
            matched INTEGER NOT NULL,
            report TEXT NOT NULL,
            geojson TEXT NOT NULL)"""
    )
    conn.execute(
        "CREATE INDEX province_boundary_layers_newest "
        "ON province_boundary_layers (province_code, layout, id)"
    )
