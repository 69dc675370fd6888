"""Commune boundaries: import a user's layer, or build the embedded approximate default.

`import_boundaries` reads GeoJSON, GeoPackage or Shapefile (pyogrio), reprojects to EPSG:4326,
repairs invalid geometries, matches the code field to the national commune list and simplifies
large layers; everything it did is in the returned `ImportReport`.

No openly licensed commune polygons exist, so `default_boundaries` derives an *approximate*
layer from the commune list alone (centroid and official area of each commune): Voronoi cells
of all 3,321 centroids, each clipped to a disc around its centroid whose radius is chosen so
that the clipped cell has the official area where the cell is large enough. Maps drawn on it say
"ranh giới gần đúng / approximate boundaries". docs/maps.md describes the method and its limits.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from maps.codes import normalise_code
from maps.layouts import LAYOUT_2025, LAYOUT_NAMES, LAYOUT_OLD, detect_layout

COMMUNES_CSV = Path(__file__).resolve().parents[1] / "survey_forms" / "data" / "communes.csv"
WGS84 = "EPSG:4326"
METRIC_CRS = "EPSG:32648"  # UTM 48N: metres, area error < 1 % across Vietnam
MIN_VERTEX_BUDGET = 30_000  # a province layer below this is never simplified
VERTICES_PER_FEATURE = 40  # national budget: ~133,000 vertices keeps the HTML under 5 MB
BOUNDARY_COLUMNS = ["commune_code", "name", "province_code", "matched", "approximate", "geometry"]
# Vietnam with its islands (Trường Sa reaches 117.8° E, Cà Mau 8.4° N), with a margin
VIETNAM_LON = (101.5, 118.0)
VIETNAM_LAT = (6.0, 24.0)
NEAR_METRES = 1_000  # a commune's listed centroid this close to its polygon is "near" it
SUSPECT_SHARE = 0.25  # more suspects than this share of the matched communes: wrong layer
# Projected systems a Vietnamese commune layer usually comes in (named in the --crs hint)
CANDIDATE_CRS = {
    "EPSG:3405": "VN-2000 / UTM 48N",
    "EPSG:3406": "VN-2000 / UTM 49N",
    "EPSG:9209": "VN-2000 / TM-3 105°30′ (Hà Tĩnh, Nghệ An)",
    "EPSG:5897": "VN-2000 / TM-3 zone 482",
    "EPSG:5898": "VN-2000 / TM-3 zone 491",
    "EPSG:32648": "WGS 84 / UTM 48N",
    "EPSG:32649": "WGS 84 / UTM 49N",
}


class BoundaryError(ValueError):
    """A layer that must not become a map, with a one-line reason (Vietnamese / English).

    ``report`` holds what the import found up to the failure, so a caller can print it.
    """

    def __init__(self, message: str, report: ImportReport | None = None):
        super().__init__(message)
        self.report = report


def load_communes(province: str | None = None) -> pd.DataFrame:
    """The national commune list (3,321 post-2025 communes), optionally one province's."""
    frame = pd.read_csv(COMMUNES_CSV, dtype={"province_code": str, "commune_code": str})
    if province is not None:
        frame = frame[frame["province_code"] == normalise_code(province, width=2)]
        if frame.empty:
            raise ValueError(f"Không có tỉnh mã / no province with code {province!r}")
    return frame.reset_index(drop=True)


@dataclass
class ImportReport:
    """What `import_boundaries` found and did. `boundaries` is the cleaned layer."""

    source: str
    code_field: str
    features: int
    source_crs: str | None
    reprojected: bool
    repaired: list[str] = field(default_factory=list)
    invalid_dropped: list[str] = field(default_factory=list)
    empty_dropped: int = 0
    not_polygon_dropped: list[str] = field(default_factory=list)
    duplicates_merged: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    layout: str | None = None
    layout_reason: str = ""
    province_codes: list[str] = field(default_factory=list)
    suspects: list[str] = field(default_factory=list)  # centroid far from its own polygon
    codes_matched: bool = False  # the matching step ran (a refusal before it has no match lines)
    simplify_tolerance: float | None = None
    vertices_before: int = 0
    vertices_after: int = 0
    boundaries: gpd.GeoDataFrame | None = None

    def to_dict(self) -> dict:
        """The report without the geometry, for JSON output and storage."""
        data = {k: v for k, v in self.__dict__.items() if k != "boundaries"}
        data["matched_count"] = len(self.matched)
        return data

    def lines(self) -> list[str]:
        """Human-readable summary, Vietnamese then English."""
        out = [
            f"Tệp / file: {self.source} — {self.features} đối tượng / features",
            f"Hệ tọa độ / CRS: {self.source_crs}"
            + (
                " → EPSG:4326 (đã chuyển / reprojected)"
                if self.reprojected
                else " (không đổi / unchanged)"
            ),
        ]
        if self.codes_matched:
            out += [
                f"Khớp mã / matched: {len(self.matched)}",
                f"Bộ mã / layout: {LAYOUT_NAMES.get(self.layout or '', '—')}"
                + (f" ({self.layout_reason})" if self.layout_reason else ""),
                f"Tỉnh / provinces: {', '.join(self.province_codes) or '—'}",
                f"Mã không khớp / unmatched codes: {', '.join(self.unmatched) or '—'}",
                f"Xã thiếu trong tệp / communes missing from the file: {len(self.missing)}",
                f"Đã sửa hình học / repaired geometries: {', '.join(self.repaired) or '—'}",
            ]
        if self.invalid_dropped or self.empty_dropped or self.not_polygon_dropped:
            out.append(
                f"Bỏ qua / dropped: invalid {', '.join(self.invalid_dropped) or '—'}; "
                f"not polygons {', '.join(self.not_polygon_dropped) or '—'}; empty {self.empty_dropped}"
            )
        if self.suspects:
            out.append(
                "Tâm xã nằm xa ranh giới của xã / commune centroid far from its polygon: "
                + ", ".join(self.suspects)
            )
        if self.duplicates_merged:
            out.append(
                f"Gộp mã trùng / merged duplicate codes: {', '.join(self.duplicates_merged)}"
            )
        if self.simplify_tolerance:
            out.append(
                f"Đơn giản hóa / simplified: tolerance {self.simplify_tolerance:g}°, "
                f"{self.vertices_before} → {self.vertices_after} vertices"
            )
        return out


def import_boundaries(
    path: str | Path,
    *,
    code_field: str,
    layer: str | None = None,
    repair: bool = True,
    max_vertices: int | str | None = "auto",
    crs: str | None = None,
    layout: str | None = None,
    province: str | None = None,
) -> ImportReport:
    """Read a boundary file and return an `ImportReport` whose ``boundaries`` is ready to map.

    Formats: GeoJSON, GeoPackage (``layer`` picks one), Shapefile (the ``.shp``; a ``.zip`` works
    too). ``crs`` states the file's coordinate system when it has none (or a wrong one); a file
    without one is read as EPSG:4326 only if its numbers are longitudes and latitudes.
    ``repair=False`` reports invalid geometries and drops them instead of repairing.
    ``max_vertices="auto"`` simplifies only layers above `vertex_budget`; ``None`` never does.
    ``layout`` ("2025" or "2020-2024") confirms the layout where the codes cannot tell;
    ``province`` is the province the layer must cover.

    Geometry sanity comes before any map: a `BoundaryError` (one-line reason, the report so far
    in ``error.report``) for an empty layer, features without a code, projected numbers without
    a CRS (naming the systems that fit), coordinates outside Vietnam or with swapped axes, no
    code in the commune list, another province's layer, a layout the codes contradict, and a
    layer whose polygons do not hold their communes' listed centroids.
    """
    raw = _read(path, layer)
    report = ImportReport(
        source=str(path),
        code_field=code_field,
        features=len(raw),
        source_crs=raw.crs.to_string() if raw.crs else None,
        reprojected=False,
    )
    if raw.empty:
        raise BoundaryError("Lớp ranh giới rỗng / the boundary layer has no features", report)
    if code_field not in raw.columns:
        raise BoundaryError(
            f"Không có trường mã {code_field!r} / no field {code_field!r}; fields: "
            f"{sorted(c for c in raw.columns if c != 'geometry')}",
            report,
        )
    codes = raw[code_field].map(_code_or_none)
    _require_codes(codes, report)
    gdf = gpd.GeoDataFrame(
        {"commune_code": codes}, geometry=raw.geometry.values, crs=crs or raw.crs
    )
    gdf = _with_crs(gdf, report, stated=crs)
    gdf = _reproject(gdf, report)
    _require_in_vietnam(gdf, report)
    gdf = _clean_geometries(gdf, report, repair=repair)
    gdf = _merge_duplicates(gdf, report)
    report.layout = _layout(gdf, report, declared=layout)
    gdf = _match(gdf, report)
    _require_province(report, province)
    if report.layout == LAYOUT_2025:
        _check_centroids(gdf, report)
    budget = vertex_budget(len(gdf)) if max_vertices == "auto" else max_vertices
    gdf = simplify_layer(gdf, max_vertices=budget, report=report)
    gdf.attrs["layout"] = report.layout
    report.boundaries = gdf
    return report


def _code_or_none(value: object) -> str | None:
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    code = normalise_code(value)
    return code if code and code.lower() not in ("nan", "none", "null") else None


def _require_codes(codes: pd.Series, report: ImportReport) -> None:
    """Features without a code are an error: merged they would become one commune "None"."""
    missing = np.flatnonzero(codes.isna().to_numpy())
    if len(missing):
        rows = ", ".join(str(i + 1) for i in missing[:10]) + (" …" if len(missing) > 10 else "")
        raise BoundaryError(
            f"{len(missing)} đối tượng không có mã xã (dòng {rows}) / {len(missing)} features "
            f"without a commune code in {report.code_field!r} (rows {rows})",
            report,
        )


def _looks_projected(gdf: gpd.GeoDataFrame) -> bool:
    """Numbers beyond ±180/±90 — unless they are Vietnam's latitude and longitude swapped."""
    minx, miny, maxx, maxy = gdf.total_bounds
    if _extent_problem(gdf) == "swapped":
        return False
    return bool(max(abs(minx), abs(maxx)) > 180 or max(abs(miny), abs(maxy)) > 90)


def _with_crs(
    gdf: gpd.GeoDataFrame, report: ImportReport, *, stated: str | None
) -> gpd.GeoDataFrame:
    """The layer with a usable CRS; projected numbers read as degrees are an error with a hint."""
    if stated is not None:
        report.source_crs = f"{stated} (--crs)"
        return gdf.set_crs(stated, allow_override=True)
    if (gdf.crs is None or gdf.crs.is_geographic) and _looks_projected(gdf):
        minx, miny = gdf.total_bounds[:2]
        fits = _fitting_crs(gdf)
        usual = ", ".join(f"{code} {name}" for code, name in CANDIDATE_CRS.items())
        hint = (
            "khớp / fits: " + ", ".join(f"{code} ({CANDIDATE_CRS[code]})" for code in fits) + "; "
            if fits
            else ""
        ) + f"thường gặp / usual in Vietnam: {usual}"
        raise BoundaryError(
            f"Tệp {'không có hệ tọa độ' if gdf.crs is None else 'ghi độ'} nhưng tọa độ là mét "
            f"(x {minx:.0f}, y {miny:.0f}) — hãy ghi --crs EPSG:… / the file "
            f"{'has no CRS' if gdf.crs is None else 'says degrees'} but its coordinates look "
            f"projected: give --crs EPSG:…; {hint}",
            report,
        )
    if gdf.crs is None:
        report.source_crs = None
        return gdf.set_crs(WGS84)
    return gdf


def _fitting_crs(gdf: gpd.GeoDataFrame) -> list[str]:
    """Candidate systems under which the layer lands in Vietnam with its communes' centroids
    inside their polygons, best first (the ones that only land in Vietnam if none hold them)."""
    communes = load_communes().set_index("commune_code")
    scored = []
    for code in CANDIDATE_CRS:
        try:
            moved = gdf.set_crs(code, allow_override=True).to_crs(WGS84)
        except Exception:  # noqa: BLE001 — a candidate that cannot transform just does not fit
            continue
        if _extent_problem(moved) is not None:
            continue
        known = moved[moved["commune_code"].isin(communes.index)]
        points = gpd.points_from_xy(
            communes.loc[known["commune_code"], "lon"], communes.loc[known["commune_code"], "lat"]
        )
        inside = int(shapely.contains(known.geometry.values, np.asarray(points)).sum())
        scored.append((inside, code))
    best = max((inside for inside, _ in scored), default=0)
    return [code for inside, code in scored if inside == best]


def _extent_problem(gdf: gpd.GeoDataFrame) -> str | None:
    """None when every coordinate lies in Vietnam's extent, else "swapped" or "outside"."""
    minx, miny, maxx, maxy = gdf.total_bounds
    if not np.isfinite([minx, miny, maxx, maxy]).all():
        return "outside"

    def within(low: float, high: float, bounds: tuple[float, float]) -> bool:
        return bounds[0] <= low and high <= bounds[1]

    if within(minx, maxx, VIETNAM_LON) and within(miny, maxy, VIETNAM_LAT):
        return None
    if within(minx, maxx, VIETNAM_LAT) and within(miny, maxy, VIETNAM_LON):
        return "swapped"
    return "outside"


def _require_in_vietnam(gdf: gpd.GeoDataFrame, report: ImportReport) -> None:
    problem = _extent_problem(gdf)
    minx, miny, maxx, maxy = gdf.total_bounds
    box_text = f"[{minx:.3f}, {miny:.3f}, {maxx:.3f}, {maxy:.3f}]"
    if problem == "swapped":
        raise BoundaryError(
            f"Kinh độ và vĩ độ bị đảo chỗ {box_text} / longitude and latitude are swapped "
            f"(x looks like latitude, y like longitude): export the file as lon/lat (x = lon)",
            report,
        )
    if problem == "outside":
        raise BoundaryError(
            f"Tọa độ nằm ngoài Việt Nam {box_text} / coordinates fall outside Vietnam after "
            f"reprojection to EPSG:4326 (CRS {report.source_crs}): check the file's CRS (--crs)",
            report,
        )


def _layout(gdf: gpd.GeoDataFrame, report: ImportReport, *, declared: str | None) -> str | None:
    """The layer's layout: from its codes; where they cannot tell, from the user or positions.
    None when no code is in either list (the matching step then refuses the layer)."""
    evidence = detect_layout(gdf["commune_code"])
    if not (evidence.new_only or evidence.old_only or evidence.reused):
        return declared
    if evidence.new_only and evidence.old_only:
        raise BoundaryError(f"Lớp ranh giới / boundary layer: {evidence.reason}", report)
    if declared is not None:
        wrong = evidence.old_only if declared == LAYOUT_2025 else evidence.new_only
        if declared not in LAYOUT_NAMES or wrong:
            raise BoundaryError(
                f"Lớp ranh giới ghi là {declared} nhưng có mã {', '.join(wrong[:5])} không thuộc "
                f"bộ mã đó / layer declared {declared!r} but codes {', '.join(wrong[:5])} do not "
                "exist in that layout",
                report,
            )
        report.layout_reason = "do người dùng ghi / declared"
        return declared
    if evidence.layout is not None:
        report.layout_reason = evidence.reason
        return evidence.layout
    if evidence.reused and not _centroid_suspects(gdf, evidence.reused):
        report.layout_reason = (
            "mã dùng ở cả hai bộ, vị trí khớp tâm xã 2025 / reused codes, positions match the "
            "2025 communes"
        )
        return LAYOUT_2025
    raise BoundaryError(
        f"Không xác định được bộ mã của lớp / cannot tell the layer's layout — "
        f"{evidence.reason}; hãy ghi / say --layout {LAYOUT_2025} hoặc / or {LAYOUT_OLD}",
        report,
    )


def _require_province(report: ImportReport, province: str | None) -> None:
    if not report.matched:
        shown = ", ".join(report.unmatched[:5])
        raise BoundaryError(
            f"Không mã nào khớp danh mục xã (mã trong tệp: {shown}) / no code matches the commune "
            f"list (codes in the file: {shown}); field {report.code_field!r} must hold 5-digit "
            "GSO commune codes",
            report,
        )
    if province is None:
        return
    wanted = normalise_code(province, width=2)
    if wanted not in report.province_codes:
        names = _province_names()
        found = ", ".join(f"{p} {names.get(p, '')}".strip() for p in report.province_codes)
        raise BoundaryError(
            f"Lớp ranh giới của tỉnh khác: {found}, không phải {wanted} {names.get(wanted, '')} / "
            f"the layer covers another province ({found}), not {wanted}",
            report,
        )


def _province_names() -> dict[str, str]:
    communes = load_communes()
    return dict(zip(communes["province_code"], communes["province"], strict=False))


def _centroid_suspects(gdf: gpd.GeoDataFrame, codes: list[str]) -> list[str]:
    """Codes (with the distance) whose listed 2025 centroid is over 1 km from their polygon."""
    communes = load_communes().set_index("commune_code")
    shapes = gdf[gdf["commune_code"].isin(codes)].drop_duplicates("commune_code")
    if shapes.empty:
        return []
    points = gpd.GeoSeries(
        gpd.points_from_xy(
            communes.loc[shapes["commune_code"], "lon"], communes.loc[shapes["commune_code"], "lat"]
        ),
        crs=WGS84,
    ).to_crs(METRIC_CRS)
    polygons = shapes.to_crs(METRIC_CRS).geometry.to_numpy()
    distance = shapely.distance(polygons, points.to_numpy())
    far = np.flatnonzero(distance > NEAR_METRES)
    return [f"{shapes['commune_code'].iloc[i]} ({distance[i] / 1000:.1f} km)" for i in far]


def _check_centroids(gdf: gpd.GeoDataFrame, report: ImportReport) -> None:
    """Each 2025 commune's listed centroid must lie in or near its polygon; many far: error."""
    report.suspects = _centroid_suspects(gdf, report.matched)
    if len(report.suspects) > max(1, SUSPECT_SHARE * len(report.matched)):
        raise BoundaryError(
            f"{len(report.suspects)}/{len(report.matched)} xã có tâm nằm ngoài ranh giới của "
            "mình — tệp không phải ranh giới xã 2025 của các mã này? / communes whose listed "
            "centroid lies outside their own polygon: not the July 2025 communes of these "
            f"codes (an older layout, or shifted)? {', '.join(report.suspects[:8])}",
            report,
        )


def _read(path: str | Path, layer: str | None) -> gpd.GeoDataFrame:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Không tìm thấy tệp / file not found: {path}")
    target = f"zip://{path}" if path.suffix.lower() == ".zip" else path
    layers = _readable(path, lambda: [str(name) for name, _ in pyogrio.list_layers(target)])
    if layer is None and len(layers) > 1:
        raise ValueError(
            f"Tệp có nhiều lớp, hãy chọn một / several layers, pick one (--layer): {', '.join(layers)}"
        )
    return _readable(path, lambda: gpd.read_file(target, layer=layer, engine="pyogrio"))


def _readable(path: Path, read):
    """Run a pyogrio read, turning its several error kinds into one bilingual ValueError."""
    try:
        return read()
    except Exception as error:
        raise ValueError(
            f"Không đọc được tệp ranh giới / cannot read boundary file {path}: {error}"
        ) from error


def _reproject(gdf: gpd.GeoDataFrame, report: ImportReport) -> gpd.GeoDataFrame:
    if gdf.crs.equals(WGS84) or gdf.crs.to_epsg() == 4326:
        return gdf.set_crs(WGS84, allow_override=True)
    report.reprojected = True
    return gdf.to_crs(WGS84)


def _clean_geometries(
    gdf: gpd.GeoDataFrame, report: ImportReport, *, repair: bool
) -> gpd.GeoDataFrame:
    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    report.empty_dropped = int(empty.sum())
    gdf = gdf[~empty].copy()
    # points or lines cannot be shaded: a commune layer must be polygons
    areal = gdf.geom_type.isin(["Polygon", "MultiPolygon", "GeometryCollection"])
    report.not_polygon_dropped = gdf.loc[~areal, "commune_code"].tolist()
    gdf = gdf[areal]
    invalid = ~gdf.geometry.is_valid | (gdf.geom_type == "GeometryCollection")
    codes = gdf.loc[invalid, "commune_code"].tolist()
    if not repair:
        report.invalid_dropped = codes
        return gdf[~invalid]
    fixed = shapely.make_valid(gdf.geometry[invalid].values)
    # make_valid may return a collection holding stray lines; keep the areas only
    gdf.loc[invalid, "geometry"] = [_polygonal(g) for g in fixed]
    report.repaired = codes
    still_bad = gdf.geometry.isna() | gdf.geometry.is_empty
    report.invalid_dropped = gdf.loc[still_bad, "commune_code"].tolist()
    return gdf[~still_bad]


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else None


def _merge_duplicates(gdf: gpd.GeoDataFrame, report: ImportReport) -> gpd.GeoDataFrame:
    dup = gdf["commune_code"].duplicated(keep=False)
    if not dup.any():
        return gdf.reset_index(drop=True)
    report.duplicates_merged = sorted(gdf.loc[dup, "commune_code"].unique())
    return gdf.dissolve(by="commune_code", as_index=False)


def _match(gdf: gpd.GeoDataFrame, report: ImportReport) -> gpd.GeoDataFrame:
    communes = load_communes().set_index("commune_code")
    if report.layout == LAYOUT_OLD:
        communes = old_communes()
    matched = gdf["commune_code"].isin(communes.index)
    report.matched = sorted(gdf.loc[matched, "commune_code"])
    report.unmatched = sorted(gdf.loc[~matched, "commune_code"])
    provinces = set(communes.loc[report.matched, "province_code"])
    in_provinces = communes[communes["province_code"].isin(provinces)].index
    report.missing = sorted(set(in_provinces) - set(report.matched))
    report.province_codes = sorted(provinces)
    report.codes_matched = True
    gdf = gdf.assign(
        name=gdf["commune_code"].map(communes["name"]),
        province_code=gdf["commune_code"].map(communes["province_code"]),
        matched=matched.to_numpy(),
        approximate=False,
    )
    return gdf[BOUNDARY_COLUMNS]


def old_communes() -> pd.DataFrame:
    """The 2020–2024 communes (bundled crosswalk): name and today's province, by old code."""
    from maps.crosswalk import load_crosswalk

    crosswalk = load_crosswalk().drop_duplicates("old_code")
    province_of = load_communes().set_index("commune_code")["province_code"]
    return pd.DataFrame(
        {
            "name": crosswalk["old_name"].to_numpy(),
            "province_code": crosswalk["new_code"].map(province_of).to_numpy(),
        },
        index=pd.Index(crosswalk["old_code"], name="commune_code"),
    )


def count_vertices(gdf: gpd.GeoDataFrame) -> int:
    """Total number of coordinates in a layer (the size that matters for a web map)."""
    return int(shapely.get_num_coordinates(gdf.geometry.values).sum())


def vertex_budget(features: int) -> int:
    """How many vertices a layer of ``features`` communes may keep for a light web map."""
    return max(MIN_VERTEX_BUDGET, VERTICES_PER_FEATURE * features)


def simplify_layer(
    gdf: gpd.GeoDataFrame, *, max_vertices: int | None, report: ImportReport | None = None
) -> gpd.GeoDataFrame:
    """Simplify (topology-preserving, per polygon) until the layer has at most ``max_vertices``.

    The tolerance starts at ~10 m and grows by half each step, so small layers are never touched
    and large ones lose only what a commune-level web map cannot show anyway.
    """
    before = count_vertices(gdf)
    if report is not None:
        report.vertices_before = report.vertices_after = before
    if max_vertices is None or before <= max_vertices:
        return gdf
    tolerance, simplified = 0.0001, gdf
    while count_vertices(simplified) > max_vertices and tolerance < 0.05:
        simplified = gdf.assign(geometry=gdf.geometry.simplify(tolerance, preserve_topology=True))
        tolerance *= 1.5
    if report is not None:
        report.simplify_tolerance = tolerance / 1.5
        report.vertices_after = count_vertices(simplified)
    return simplified


def default_boundaries(province: str | None = "42") -> gpd.GeoDataFrame:
    """The embedded approximate layer (EPSG:4326) for one province, or all 3,321 communes.

    Works offline from the commune list alone. Every row has ``approximate=True`` and the
    frame's ``attrs["approximate"]`` is set, so maps label it "ranh giới gần đúng".
    """
    code = None if province is None else normalise_code(province, width=2)
    layer = _approximate_layer(code).copy()
    layer.attrs["approximate"] = True
    return layer


def national_boundaries() -> gpd.GeoDataFrame:
    """All 3,321 communes as approximate polygons (for the national map and its benchmark)."""
    return default_boundaries(province=None)


@functools.lru_cache(maxsize=8)
def _approximate_layer(province: str | None) -> gpd.GeoDataFrame:
    communes, points, cells, target = _national_cells()
    selected = (
        np.ones(len(communes), bool)
        if province is None
        else (communes["province_code"] == province).to_numpy()
    )
    if not selected.any():
        raise ValueError(f"Không có tỉnh mã / no province with code {province!r}")
    shapes = _clip_to_area(points[selected], cells[selected], target[selected])
    chosen = communes[selected]
    gdf = gpd.GeoDataFrame(
        {
            "commune_code": chosen["commune_code"].to_numpy(),
            "name": chosen["name"].to_numpy(),
            "province_code": chosen["province_code"].to_numpy(),
            "matched": True,
            "approximate": True,
        },
        geometry=shapes,
        crs=METRIC_CRS,
    ).to_crs(WGS84)
    gdf["geometry"] = gdf.geometry.simplify(0.0003, preserve_topology=True)
    return gdf


@functools.lru_cache(maxsize=1)
def _national_cells() -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Every commune's centroid (metres) and Voronoi cell among all 3,321 centroids.

    Cells are computed nationally so that communes on a province border are shaped by their
    neighbours across it, not by an arbitrary province outline.
    """
    communes = load_communes()
    points = gpd.GeoSeries(gpd.points_from_xy(communes["lon"], communes["lat"]), crs=WGS84).to_crs(
        METRIC_CRS
    )
    points = shapely.points(_separate_duplicates(shapely.get_coordinates(points.values)))
    return communes, points, _voronoi_cells(points), _target_areas_m2(communes)


def _separate_duplicates(xy: np.ndarray) -> np.ndarray:
    """Nudge identical centroids a few metres apart so each gets its own Voronoi cell."""
    xy = xy.copy()
    _, first, counts = np.unique(xy, axis=0, return_index=True, return_counts=True)
    for index in first[counts > 1]:
        same = np.flatnonzero((xy == xy[index]).all(axis=1))
        xy[same, 0] += np.arange(len(same)) * 5.0
    return xy


def _voronoi_cells(points: np.ndarray) -> np.ndarray:
    """Voronoi cell of each point, in the points' order (shapely returns them unordered)."""
    collection = shapely.voronoi_polygons(shapely.multipoints(points))
    cells = np.asarray(shapely.get_parts(collection))
    tree = shapely.STRtree(cells)
    point_index, cell_index = tree.query(points, predicate="intersects")
    ordered = np.empty(len(points), dtype=object)
    ordered[point_index] = cells[cell_index]  # a point on a shared edge keeps its last hit: fine
    return ordered


def _target_areas_m2(communes: pd.DataFrame) -> np.ndarray:
    """Official area in m²; a missing or zero area takes the province median."""
    area = pd.to_numeric(communes["area_km2"], errors="coerce")
    median = area.where(area > 0).groupby(communes["province_code"]).transform("median")
    return (area.where(area > 0).fillna(median).fillna(area.median()) * 1e6).to_numpy()


def _clip_to_area(points: np.ndarray, cells: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Intersect each cell with the disc whose radius gives the target area (bisection, vectorised)."""
    low = np.zeros(len(points))
    high = np.sqrt(target / np.pi) * 4.0  # a cell can be elongated: allow well past the round disc
    for _ in range(18):
        mid = (low + high) / 2
        area = shapely.area(shapely.intersection(cells, shapely.buffer(points, mid, quad_segs=6)))
        too_small = area < target
        low = np.where(too_small, mid, low)
        high = np.where(too_small, high, mid)
    return shapely.intersection(cells, shapely.buffer(points, high, quad_segs=6))
