"""Benchmark: choropleth build time and HTML size, province (69 communes) and national (3,321).

Run: python bench/bench_maps.py [--runs 5] [--households 400000] [--write]
Map build = `choropleth(...)` + `to_html(...)` (Leaflet inlined), the median of several runs,
from precomputed aggregates and a loaded boundary layer. Aggregation and layer preparation
are timed separately. Goals (issue 6): province < 1 s and < 1 MB; national < 10 s and < 5 MB.
`--write` appends the figures to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from maps.aggregate import commune_aggregates
from maps.boundaries import (
    METRIC_CRS,
    count_vertices,
    default_boundaries,
    import_boundaries,
    national_boundaries,
    simplify_layer,
    vertex_budget,
)
from maps.choropleth import choropleth, to_html

ROOT = Path(__file__).resolve().parents[1]
REAL_2025 = ROOT.parent / "shared" / "data" / "geo" / "hatinh_wards_2025_vietnam3dmap.geojson"
INDICATORS = (
    "employment",
    "dependents",
    "nutrition",
    "health_insurance",
    "adult_education",
    "child_schooling",
    "housing_quality",
    "floor_area",
    "water",
    "latrine",
    "telecom",
    "information_means",
)


def synthetic_scores(codes: list[str], n: int, seed: int = 1) -> pd.DataFrame:
    """n scored households spread over codes, 12 vn-2022 indicators and an MPI score."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "household_id": np.arange(n).astype(str),
            "commune_code": rng.choice(codes, n),
            "classification": rng.choice(
                ["poor", "near_poor", "average", "not_poor"], n, p=[0.05, 0.07, 0.2, 0.68]
            ),
            "mpi_c": rng.random(n) * 0.6,
        }
    )
    for ind in INDICATORS:
        frame[f"dep_{ind}"] = rng.random(n) < rng.uniform(0.02, 0.4)
    return frame


def detailed(layer, vertices_per_commune: int = 130, seed: int = 2):
    """The layer with real-boundary-like detail: segmentized and jittered ±40 m (Hà Tĩnh's real file has ~130 vertices per commune)."""
    import shapely

    metric = layer.to_crs(METRIC_CRS)
    spacing = metric.length.to_numpy() / vertices_per_commune
    geoms = shapely.segmentize(metric.geometry.values, spacing)
    # the wiggle is a function of the position, so rings stay closed
    geoms = shapely.transform(geoms, lambda xy: xy + 40 * np.sin(xy[:, ::-1] * 0.013 + seed))
    return metric.set_geometry(shapely.make_valid(geoms)).to_crs(layer.crs)


def timed(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def bench_case(name: str, boundaries, households: int, runs: int) -> dict:
    codes = sorted(boundaries["commune_code"])
    scores = synthetic_scores(codes, households)
    agg_time, aggregates = timed(lambda: commune_aggregates(scores), 3)
    previous = aggregates.assign(
        poor_rate=aggregates["poor_rate"] * 1.1, near_poor_rate=aggregates["near_poor_rate"] * 0.9
    )
    build_time, page = timed(
        lambda: to_html(choropleth(aggregates, boundaries, compare=previous)), runs
    )
    return {
        "case": name,
        "communes": len(boundaries),
        "households": households,
        "aggregate_s": agg_time,
        "map_s": build_time,
        "html_mb": len(page.encode()) / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--households", type=int, default=400_000, help="province census size")
    parser.add_argument(
        "--write", action="store_true", help="append the figures to docs/benchmarks.md"
    )
    args = parser.parse_args()

    start = time.perf_counter()
    if REAL_2025.exists():
        province, source = (
            import_boundaries(REAL_2025, code_field="ma_xa").boundaries,
            "real 2025 boundaries (../shared)",
        )
    else:
        province, source = default_boundaries("42"), "approximate default layer"
    province_prep = time.perf_counter() - start
    start = time.perf_counter()
    national = national_boundaries()
    national_prep = time.perf_counter() - start

    dense = detailed(national)
    start = time.perf_counter()
    thinned = simplify_layer(dense, max_vertices=vertex_budget(len(dense)))
    simplify_time = time.perf_counter() - start
    vertices = (count_vertices(dense), count_vertices(thinned))

    national_runs = max(3, args.runs // 2)
    results = [
        bench_case(f"Hà Tĩnh, {source}", province, args.households, args.runs),
        bench_case("national, approximate layer", national, args.households * 8, national_runs),
        bench_case(
            "national, detailed synthetic geometry, simplified",
            thinned,
            args.households * 8,
            national_runs,
        ),
    ]
    lines = report(results, province_prep, national_prep, args.runs)
    lines.append(
        f"Detailed synthetic national layer: {vertices[0]:,} vertices simplified to {vertices[1]:,} "
        f"(budget {vertex_budget(len(dense)):,}) in {simplify_time:.2f} s."
    )
    print("\n".join(lines))
    if args.write:
        with (ROOT / "docs" / "benchmarks.md").open("a", encoding="utf-8") as handle:
            handle.write("\n" + "\n".join(lines) + "\n")


def report(results: list[dict], province_prep: float, national_prep: float, runs: int) -> list[str]:
    goals = {0: (1.0, 1.0), 1: (10.0, 5.0), 2: (10.0, 5.0)}
    lines = [
        f"## Maps (`bench/bench_maps.py`, {dt.date.today()}, machine: {os.cpu_count()} cores)",
        "",
        f"Map build = `choropleth()` + `to_html()` with every measure layer, 12 indicators, M0 and two change layers, "
        f"Leaflet inlined; median of {runs} runs (national: fewer). Aggregation: `commune_aggregates` on synthetic scores.",
        "",
        "| case | communes | households | aggregate (s) | map build (s) | HTML (MB) | goal |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(results):
        seconds, megabytes = goals[i]
        ok = "met" if r["map_s"] < seconds and r["html_mb"] < megabytes else "MISSED"
        lines.append(
            f"| {r['case']} | {r['communes']} | {r['households']:,} | {r['aggregate_s']:.2f} | {r['map_s']:.2f} | "
            f"{r['html_mb']:.2f} | < {seconds:g} s, < {megabytes:g} MB: {ok} |"
        )
    lines += [
        "",
        f"Layer preparation (once per process): province {province_prep:.2f} s, national approximate layer {national_prep:.2f} s.",
    ]
    return lines


if __name__ == "__main__":
    main()
