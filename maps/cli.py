"""`povcensus boundaries …` and `povcensus map …`: boundary import and choropleth files from the shell.

Thin on purpose: read the arguments, call maps' functions, print a report. Domain errors are
shown as a message (Vietnamese and English) with exit code 1; `--debug` shows the traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd

from maps.layouts import LAYOUT_2025, LAYOUT_NAMES, LAYOUT_OLD, LAYOUTS, LayoutError, resolve_layout
from maps.scores_io import read_scores

CODE_FIELD_GUESSES = ("commune_code", "ma_xa", "ward_code", "ma", "code")
LAYOUT_CHOICES = list(LAYOUTS)


def _fail(error: Exception, debug: bool) -> None:
    if debug:
        raise error
    raise click.ClickException(str(error))


@click.group()
def boundaries() -> None:
    """Commune boundary layers: import a file, or export the approximate default.

    Example: povcensus boundaries import hatinh.geojson --code-field ma_xa -o boundaries.geojson
    """


@boundaries.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--code-field", required=True, help="Field holding the 5-digit GSO commune code, e.g. ma_xa."
)
@click.option("--layer", default=None, help="Layer name inside a GeoPackage.")
@click.option(
    "--crs",
    default=None,
    help="CRS of a file that has none (or a wrong one), e.g. EPSG:3405 (VN-2000 / UTM 48N).",
)
@click.option(
    "--layout",
    type=click.Choice(LAYOUT_CHOICES),
    default=None,
    help="Commune layout of the file when its codes cannot tell (old codes were reused in 2025).",
)
@click.option("--province", default=None, help="Province the layer must cover (GSO code, e.g. 42).")
@click.option(
    "--no-repair",
    is_flag=True,
    help="Report invalid geometries and drop them instead of repairing.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the cleaned layer (GeoJSON).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--into-server",
    is_flag=True,
    help="Store the checked layer in the server database (the dashboard then uses it).",
)
@click.option("--db", "database", default=None, help="SQLite database file (with --into-server).")
@click.option("--source", default=None, help="Where the file came from (with --into-server).")
@click.option(
    "--source-date", default=None, help="Date of the source, YYYY-MM-DD (with --into-server)."
)
@click.option("--licence", default=None, help="Licence or terms of use (with --into-server).")
@click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
def import_command(
    file: Path,
    code_field: str,
    layer: str | None,
    crs: str | None,
    layout: str | None,
    province: str | None,
    no_repair: bool,
    output: Path | None,
    as_json: bool,
    into_server: bool,
    database: str | None,
    source: str | None,
    source_date: str | None,
    licence: str | None,
    debug: bool,
) -> None:
    """Import FILE (GeoJSON, GeoPackage or Shapefile): reproject to EPSG:4326, repair, match
    codes, and check it is a sane commune layer before it can become a map.

    Example: povcensus boundaries import xa.shp --code-field MA_XA --crs EPSG:3405 -o boundaries.geojson
    """
    app = _server_app(database) if into_server else None
    if app is not None and province is None:
        province = app.config["PROVINCE"]  # the server's dashboard shows its own province
    try:
        report = _checked_import(
            file,
            code_field=code_field,
            layer=layer,
            repair=not no_repair,
            crs=crs,
            layout=layout,
            province=province,
        )
    except (ValueError, FileNotFoundError) as error:
        _fail(error, debug)
    if output is not None:
        report.boundaries.to_file(output, driver="GeoJSON", engine="pyogrio")
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        for line in report.lines():
            click.echo(line)
        if output is not None:
            click.echo(f"Đã ghi / written: {output}")
    if app is not None:
        try:
            _store_in_server(app, report, file, source, source_date, licence)
        except ValueError as error:
            _fail(error, debug)


def _checked_import(file: Path, **options):
    """`import_boundaries`, printing what was found before a refusal (then exit 1)."""
    from maps.boundaries import BoundaryError, import_boundaries

    try:
        return import_boundaries(file, **options)
    except BoundaryError as error:
        if error.report is not None:
            for line in error.report.lines():
                click.echo(line, err=True)
        raise


def _server_app(database: str | None):
    import os

    from server import create_app

    return create_app({"DATABASE": os.path.abspath(database)} if database else None)


def _store_in_server(
    app,
    report,
    file: Path,
    source: str | None,
    source_date: str | None,
    licence: str | None,
) -> None:
    from server.db import open_app_db
    from server.province.boundary_store import store_layer

    db = open_app_db(app)
    try:
        stored = store_layer(
            db,
            report,
            filename=file.name,
            source=source or file.name,
            source_date=source_date,
            licence=licence,
            province=app.config["PROVINCE"],
            imported_by=None,
        )
    finally:
        db.conn.close()
    click.echo(
        f"Đã lưu vào máy chủ / stored in the server: layer #{stored['id']} "
        f"({stored['layout']}, {stored['features']} xã / communes)",
        err=True,
    )


@boundaries.command("default")
@click.option(
    "--province",
    default="42",
    show_default=True,
    help="Province code; 'all' for the 3,321 communes.",
)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def default_command(province: str, output: Path) -> None:
    """Export the embedded approximate layer (from commune centroids and areas) as GeoJSON.

    Example: povcensus boundaries default --province 42 -o approximate.geojson
    """
    from maps.boundaries import default_boundaries

    layer = default_boundaries(None if province == "all" else province)
    layer.to_file(output, driver="GeoJSON", engine="pyogrio")
    click.echo(f"{len(layer)} xã / communes (ranh giới gần đúng / approximate) → {output}")


@click.command("map")
@click.argument("scores", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="HTML file to write.",
)
@click.option(
    "--measure",
    default="poor_rate",
    show_default=True,
    help="Layer shown first, e.g. near_poor_rate, dep_water_rate, mpi_M0.",
)
@click.option(
    "--scheme",
    type=click.Choice(["quantile", "equal_interval", "natural_breaks", "fixed"]),
    default="quantile",
    show_default=True,
)
@click.option(
    "-k", "--classes", "k", type=int, default=5, show_default=True, help="Number of classes."
)
@click.option(
    "--thresholds", default=None, help="Class upper bounds for --scheme fixed, e.g. 10,20,30."
)
@click.option(
    "--boundaries",
    "boundary_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Boundary file; default: the approximate embedded layer.",
)
@click.option(
    "--code-field", default=None, help="Code field of --boundaries (guessed when omitted)."
)
@click.option(
    "--compare",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Scores of an earlier round: adds change layers.",
)
@click.option(
    "--crosswalk",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Crosswalk for 2020–2024 figures (SCORES or --compare); default: the bundled one.",
)
@click.option(
    "--old-layout",
    is_flag=True,
    help="--compare uses 2020–2024 codes (same as --compare-layout 2020-2024).",
)
@click.option(
    "--layout",
    type=click.Choice(LAYOUT_CHOICES),
    default=None,
    help="Commune layout of SCORES when its codes cannot tell (detected otherwise).",
)
@click.option(
    "--compare-layout",
    type=click.Choice(LAYOUT_CHOICES),
    default=None,
    help="Commune layout of --compare when its codes cannot tell.",
)
@click.option(
    "--boundaries-layout",
    type=click.Choice(LAYOUT_CHOICES),
    default=None,
    help="Commune layout of --boundaries when neither codes nor positions tell.",
)
@click.option("--layer", default=None, help="Layer of --boundaries inside a GeoPackage.")
@click.option("--crs", default=None, help="CRS of --boundaries when the file has none.")
@click.option(
    "--tiles",
    default=None,
    help="Background tile URL, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png (default: none, offline).",
)
@click.option(
    "--tiles-attribution",
    default=None,
    help="Attribution of --tiles (required for a URL other than OpenStreetMap's).",
)
@click.option("--title", default=None, help="Map title.")
@click.option("--lang", type=click.Choice(["both", "vi", "en"]), default="both", show_default=True)
@click.option(
    "--png",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a static PNG of --measure.",
)
@click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
def map_command(
    scores: Path,
    output: Path,
    measure: str,
    scheme: str,
    k: int,
    thresholds: str | None,
    boundary_file: Path | None,
    code_field: str | None,
    compare: Path | None,
    crosswalk: Path | None,
    old_layout: bool,
    layout: str | None,
    compare_layout: str | None,
    boundaries_layout: str | None,
    layer: str | None,
    crs: str | None,
    tiles: str | None,
    tiles_attribution: str | None,
    title: str | None,
    lang: str,
    png: Path | None,
    debug: bool,
) -> None:
    """Draw a commune choropleth from SCORES (output of `povcensus score`, JSONL or CSV).

    Example: povcensus map scored.jsonl -o map.html --measure poor_rate --scheme natural_breaks --png map.png
    """
    from maps.aggregate import commune_aggregates
    from maps.choropleth import choropleth, tile_layer, to_html, to_png

    try:
        aggregates = commune_aggregates(read_scores(scores))
        scores_layout = resolve_layout(aggregates["commune_code"], layout, f"SCORES {scores.name}")
        if boundary_file is not None:
            report = _checked_import(
                boundary_file,
                code_field=code_field or _guess_code_field(boundary_file, layer),
                layer=layer,
                crs=crs,
                layout=boundaries_layout,
                province=_single_province(aggregates, scores_layout),
            )
            for line in report.lines():
                click.echo(line)
            map_layout, boundary_layer = report.layout, report.boundaries
        else:
            map_layout, boundary_layer = LAYOUT_2025, None
        aggregates = _on_layout(aggregates, scores_layout, map_layout, crosswalk, "SCORES")
        if boundary_layer is None:
            boundary_layer = _default_layer(aggregates)
        _require_overlap(aggregates, boundary_layer)
        declared = LAYOUT_OLD if old_layout else compare_layout
        previous = _previous(compare, crosswalk, declared, map_layout)
        cuts = [float(t) for t in thresholds.split(",")] if thresholds else None
        background = tile_layer(tiles, tiles_attribution)
        fmap = choropleth(
            aggregates,
            boundary_layer,
            measure=measure,
            scheme=scheme,
            k=k,
            thresholds=cuts,
            title=title,
            compare=previous,
            lang=lang,
            tiles=background,
        )
        output.write_text(to_html(fmap), encoding="utf-8")
        if png is not None:
            to_png(
                aggregates,
                boundary_layer,
                measure,
                png,
                scheme=scheme,
                k=k,
                thresholds=cuts,
                title=title,
                compare=previous,
                lang=lang,
            )
    except (ValueError, KeyError, FileNotFoundError) as error:
        _fail(error, debug)
    click.echo(
        f"{len(aggregates)} xã có số liệu / communes with data, "
        f"{int(boundary_layer['commune_code'].isin(aggregates['commune_code']).sum())} có ranh "
        f"giới / with a boundary, {len(boundary_layer)} trên bản đồ / on the map → {output}"
    )
    if png is not None:
        click.echo(f"PNG → {png}")


def _single_province(aggregates: pd.DataFrame, layout: str) -> str | None:
    """The one province the scores are from (None when several or unknown)."""
    from maps.boundaries import load_communes, old_communes

    table = old_communes() if layout == LAYOUT_OLD else load_communes().set_index("commune_code")
    provinces = set(table["province_code"].reindex(aggregates["commune_code"]).dropna())
    return provinces.pop() if len(provinces) == 1 else None


def _on_layout(
    aggregates: pd.DataFrame, have: str, want: str, crosswalk: Path | None, what: str
) -> pd.DataFrame:
    """Aggregates on the layout ``want``: as they are, or through the crosswalk; else an error."""
    from maps.crosswalk import load_crosswalk, to_current_layout

    if have == want:
        return aggregates
    if have == LAYOUT_OLD and want == LAYOUT_2025:
        click.echo(
            f"{what}: bộ mã 2020–2024 → chuyển sang xã 2025 qua bảng chuyển đổi / 2020–2024 "
            "codes re-expressed on the 2025 communes through the crosswalk"
        )
        return to_current_layout(aggregates, load_crosswalk(crosswalk))
    raise LayoutError(
        f"{what}: số liệu theo {LAYOUT_NAMES[have]} không vẽ được trên ranh giới theo "
        f"{LAYOUT_NAMES[want]} / figures in the {have} layout cannot be drawn on {want} "
        "boundaries: use boundaries of the same layout"
    )


def _default_layer(aggregates: pd.DataFrame):
    from maps.boundaries import default_boundaries, load_communes

    communes = load_communes().set_index("commune_code")
    provinces = sorted(set(communes["province_code"].reindex(aggregates["commune_code"]).dropna()))
    if len(provinces) == 1:
        return default_boundaries(provinces[0])
    layer = default_boundaries(None)
    return layer[layer["province_code"].isin(provinces)] if provinces else layer


def _require_overlap(aggregates: pd.DataFrame, layer) -> None:
    """Scores and boundaries must share communes: another province's layer is an error."""
    if layer["commune_code"].isin(aggregates["commune_code"]).any():
        return
    layer_provinces = ", ".join(sorted(set(layer["province_code"].dropna()))) or "?"
    raise ValueError(
        f"Ranh giới (tỉnh {layer_provinces}) không có xã nào của số liệu / the boundaries "
        f"(province {layer_provinces}) hold none of the scores' communes "
        f"({', '.join(sorted(aggregates['commune_code'])[:5])} …)"
    )


def _guess_code_field(path: Path, layer: str | None = None) -> str:
    import pyogrio

    target = f"zip://{path}" if path.suffix.lower() == ".zip" else path
    try:
        fields = list(pyogrio.read_info(target, layer=layer)["fields"])
    except Exception as error:  # noqa: BLE001 — pyogrio raises several kinds; one message
        raise ValueError(
            f"Không đọc được tệp ranh giới / cannot read boundary file {path}: {error} "
            "(a GeoPackage with several layers needs --layer)"
        ) from error
    found = next((f for f in CODE_FIELD_GUESSES if f in fields), None)
    if found is None:
        raise ValueError(f"Hãy chỉ rõ --code-field / give --code-field; fields: {fields}")
    return found


def _previous(
    compare: Path | None, crosswalk: Path | None, declared: str | None, map_layout: str
) -> pd.DataFrame | None:
    """The earlier round on the map's layout; its own layout detected or ``declared``."""
    from maps.aggregate import commune_aggregates

    if compare is None:
        return None
    previous = commune_aggregates(read_scores(compare))
    layout = resolve_layout(previous["commune_code"], declared, f"--compare {compare.name}")
    return _on_layout(previous, layout, map_layout, crosswalk, "--compare")
