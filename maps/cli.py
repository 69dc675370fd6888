"""`povcensus boundaries …` and `povcensus map …`: boundary import and choropleth files from the shell.

Thin on purpose: read the arguments, call maps' functions, print a report. Domain errors are
shown as a message (Vietnamese and English) with exit code 1; `--debug` shows the traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd

from maps.scores_io import read_scores

CODE_FIELD_GUESSES = ("commune_code", "ma_xa", "ward_code", "ma", "code")


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
@click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
def import_command(
    file: Path,
    code_field: str,
    layer: str | None,
    no_repair: bool,
    output: Path | None,
    as_json: bool,
    debug: bool,
) -> None:
    """Import FILE (GeoJSON, GeoPackage or Shapefile): reproject to EPSG:4326, repair, match codes.

    Example: povcensus boundaries import xa.shp --code-field MA_XA -o boundaries.geojson
    """
    from maps.boundaries import import_boundaries

    try:
        report = import_boundaries(file, code_field=code_field, layer=layer, repair=not no_repair)
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
    help="Crosswalk for --compare in the 2020–2024 layout.",
)
@click.option(
    "--old-layout",
    is_flag=True,
    help="--compare uses 2020–2024 codes (bundled crosswalk unless --crosswalk).",
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
    title: str | None,
    lang: str,
    png: Path | None,
    debug: bool,
) -> None:
    """Draw a commune choropleth from SCORES (output of `povcensus score`, JSONL or CSV).

    Example: povcensus map scored.jsonl -o map.html --measure poor_rate --scheme natural_breaks --png map.png
    """
    from maps.aggregate import commune_aggregates
    from maps.choropleth import choropleth, to_html, to_png

    try:
        aggregates = commune_aggregates(read_scores(scores))
        layer = _boundaries_for(aggregates, boundary_file, code_field)
        previous = _previous(compare, crosswalk, old_layout)
        cuts = [float(t) for t in thresholds.split(",")] if thresholds else None
        fmap = choropleth(
            aggregates,
            layer,
            measure=measure,
            scheme=scheme,
            k=k,
            thresholds=cuts,
            title=title,
            compare=previous,
            lang=lang,
        )
        output.write_text(to_html(fmap), encoding="utf-8")
        if png is not None:
            to_png(
                aggregates,
                layer,
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
        f"{len(aggregates)} xã có số liệu / communes with data, {len(layer)} trên bản đồ / on the map → {output}"
    )
    if png is not None:
        click.echo(f"PNG → {png}")


def _boundaries_for(aggregates: pd.DataFrame, boundary_file: Path | None, code_field: str | None):
    from maps.boundaries import default_boundaries, import_boundaries, load_communes

    if boundary_file is not None:
        field = code_field or _guess_code_field(boundary_file)
        return import_boundaries(boundary_file, code_field=field).boundaries
    communes = load_communes().set_index("commune_code")
    provinces = sorted(set(communes["province_code"].reindex(aggregates["commune_code"]).dropna()))
    if len(provinces) == 1:
        return default_boundaries(provinces[0])
    layer = default_boundaries(None)
    return layer[layer["province_code"].isin(provinces)] if provinces else layer


def _guess_code_field(path: Path) -> str:
    import pyogrio

    fields = list(pyogrio.read_info(path)["fields"])
    found = next((f for f in CODE_FIELD_GUESSES if f in fields), None)
    if found is None:
        raise ValueError(f"Hãy chỉ rõ --code-field / give --code-field; fields: {fields}")
    return found


def _previous(
    compare: Path | None, crosswalk: Path | None, old_layout: bool
) -> pd.DataFrame | None:
    from maps.aggregate import commune_aggregates
    from maps.crosswalk import load_crosswalk, to_current_layout

    if compare is None:
        return None
    previous = commune_aggregates(read_scores(compare))
    if old_layout or crosswalk is not None:
        previous = to_current_layout(previous, load_crosswalk(crosswalk))
    return previous
