"""Province dashboard pages: the map, the sortable commune table, round comparison, downloads.

Every page and download is for the province and admin roles only (`role_required("province")`;
admin always passes); commune users get 403 and anonymous visitors the login page. Views parse
the request, call query functions (`server.queries.province`) and lay out the answer: the
figures themselves are computed once per change of the round and stored.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import get_locale

from server import reports, security
from server.auth import current_user, role_required
from server.db import get_db
from server.labels import round_name, standard_name
from server.queries import province as queries
from server.queries.users import audit

bp = Blueprint("province", __name__, url_prefix="/province")


def N_(text: str) -> str:  # noqa: N802 — marks a message for extraction, translated in the template
    return text


TABLE_NAMES = (N_("results"), N_("movement"), N_("deprivation"), N_("ethnicity"))

# Columns of the commune table (key, heading msgid, kind) — sortable by any of them.
TABLE_COLUMNS = (
    ("commune_code", N_("Code"), "text"),
    ("name", N_("Commune"), "text"),
    ("households", N_("Households"), "int"),
    ("poor", N_("Poor"), "int"),
    ("poor_computed", N_("Poor (computed)"), "int"),
    ("poor_rate", N_("Poor rate (%%)"), "pct"),
    ("near_poor", N_("Near-poor"), "int"),
    ("near_poor_computed", N_("Near-poor (computed)"), "int"),
    ("near_poor_rate", N_("Near-poor rate (%%)"), "pct"),
    ("combined_rate", N_("Poor + near-poor (%%)"), "pct"),
    ("overridden", N_("Overrides"), "int"),
    ("decided", N_("Decided"), "int"),
    ("mpi_M0", N_("MPI M0"), "mpi"),
)
CHANGE_COLUMNS = (
    ("previous_poor_rate", N_("Poor rate before (%%)"), "pct"),
    ("change_poor_rate", N_("Change, poor (pp)"), "change"),
    ("change_near_poor_rate", N_("Change, near-poor (pp)"), "change"),
    ("change_combined_rate", N_("Change, combined (pp)"), "change"),
)
MAP_CACHE_SIZE = 16
_map_cache: OrderedDict[tuple, str] = OrderedDict()
_map_lock = threading.Lock()


# --- request helpers ----------------------------------------------------------------------


def _province() -> str:
    return current_app.config["PROVINCE"]


def _round(param: str = "round", *, required: bool = True) -> dict[str, Any] | None:
    """The round named in the query string (label), else the newest; 404 when unknown."""
    rounds = queries.list_rounds(get_db(), _province())
    label = request.args.get(param)
    if label:
        found = next((r for r in rounds if r["label"] == label), None)
        if found is None:
            abort(404)
        return found
    if not required:
        return None
    return rounds[0] if rounds else None


def _lang() -> str:
    return "en" if str(get_locale() or "vi").startswith("en") else "vi"


def _compare_table(current: pd.DataFrame, compare: dict | None) -> pd.DataFrame:
    """The commune table with the earlier round's poor rate and the changes (percentage points);
    NaN where either round has no figure for the commune."""
    if compare is None:
        return current
    before = queries.ensure_aggregates(get_db(), compare).set_index("commune_code")
    out = current.set_index("commune_code")
    for measure in ("poor_rate", "near_poor_rate", "combined_rate"):
        now = out[measure] if measure in out else pd.Series(math.nan, index=out.index)
        previous = (
            before[measure].reindex(out.index)
            if measure in before
            else pd.Series(math.nan, index=out.index)
        )
        out[f"change_{measure}"] = now.astype(float) - previous.astype(float)
        if measure == "poor_rate":
            out["previous_poor_rate"] = previous
    return out.reset_index()


def _sorted(table: pd.DataFrame, columns: tuple) -> tuple[pd.DataFrame, str, str]:
    keys = [c[0] for c in columns]
    sort = request.args.get("sort", "commune_code")
    sort = sort if sort in keys and sort in table.columns else "commune_code"
    direction = "desc" if request.args.get("dir") == "desc" else "asc"
    ordered = table.sort_values(
        sort, ascending=direction == "asc", na_position="last", kind="stable"
    )
    return ordered, sort, direction


@bp.context_processor
def _helpers() -> dict[str, Any]:
    def lang_url(lang: str) -> str:
        from flask import url_for

        args = {**request.args.to_dict(), "lang": lang}
        return url_for(
            request.endpoint or "province.dashboard", **(request.view_args or {}), **args
        )

    return {"lang_url": lang_url, "has_review": "review.home" in current_app.view_functions}


# --- pages --------------------------------------------------------------------------------


@bp.get("/")
@role_required("province")
def dashboard():
    db = get_db()
    review_round = _round()
    rounds = queries.list_rounds(db, _province())
    if review_round is None:
        return render_template("province/empty.html")
    compare = _round("compare", required=False)
    if compare is not None and compare["id"] == review_round["id"]:
        compare = None
    table = queries.commune_table(db, review_round, province=_province())
    table = _compare_table(table, compare)
    columns = TABLE_COLUMNS + (CHANGE_COLUMNS if compare else ())
    table, sort, direction = _sorted(table, columns)
    run = queries.stored_run(db, review_round["id"])
    totals = _totals(table)
    return render_template(
        "province/dashboard.html",
        review_round=review_round,
        compare=compare,
        rounds=rounds,
        columns=columns,
        rows=table.to_dict("records"),
        totals=totals,
        sort=sort,
        direction=direction,
        run=run,
        provisional=queries.is_provisional(review_round),
        tables=reports.TABLES,
        measure=request.args.get("measure", "poor_rate"),
        boundary_layer=_readable_layer(_layer_info()),
    )


def _totals(table: pd.DataFrame) -> dict[str, Any]:
    sums = {
        key: float(pd.to_numeric(table[key], errors="coerce").fillna(0).sum())
        for key in ("households", "poor", "near_poor", "overridden", "decided")
        if key in table
    }
    households = sums.get("households") or 0
    for klass in ("poor", "near_poor"):
        sums[f"{klass}_rate"] = 100 * sums.get(klass, 0) / households if households else None
    return sums


# --- map ----------------------------------------------------------------------------------


def _map_inputs(review_round: dict, compare: dict | None):
    db = get_db()
    aggregates = queries.ensure_aggregates(db, review_round)
    if aggregates.empty:
        abort(404)
    previous = queries.ensure_aggregates(db, compare) if compare else None
    if previous is not None and previous.empty:
        previous = None
    labels = {ind: (vi, en) for ind, vi, en in queries.round_indicators(review_round)}
    return aggregates, previous, labels


_layer_cache: OrderedDict[tuple, Any] = OrderedDict()


def _boundaries():
    """The newest imported boundary layer of today's layout; the approximate layer (which the
    map labels "ranh giới gần đúng") only when none was imported."""
    from maps.boundaries import default_boundaries
    from server.province.boundary_store import load_layer

    info = _layer_info()
    if info is None:
        return default_boundaries(_province())
    key = (current_app.config["DATABASE"], info["id"])
    with _map_lock:
        if key in _layer_cache:
            return _layer_cache[key]
    layer = load_layer(get_db(), info["id"])
    with _map_lock:
        _layer_cache[key] = layer
        while len(_layer_cache) > 4:
            _layer_cache.popitem(last=False)
    return layer


def _layer_info() -> dict | None:
    from maps.layouts import LAYOUT_2025
    from server.province.boundary_store import newest_layer_info

    return newest_layer_info(get_db(), _province(), LAYOUT_2025)


def _tiles():
    from maps.choropleth import tile_layer

    config = current_app.config
    return tile_layer(config.get("MAP_TILES"), config.get("MAP_TILES_ATTRIBUTION"))


def _png_title(review_round: dict, measure: str, labels: dict) -> str:
    """A readable title: the measure's label and the round, in the page's language."""
    from maps.labels import measure_pair, pick

    lang = _lang()
    heading = pick(measure_pair(measure, labels), lang)
    return f"{heading} — {'round' if lang == 'en' else 'đợt'} {review_round['label']}"


def _map_html(review_round: dict, compare: dict | None, measure: str) -> str:
    """The standalone map page, built once per (round state, comparison, measure, language,
    boundary layer)."""
    db = get_db()
    layer = _layer_info()
    key = (
        current_app.config["DATABASE"],
        layer["id"] if layer else None,
        review_round["id"],
        queries.change_stamp(db, review_round),
        compare["id"] if compare else None,
        queries.change_stamp(db, compare) if compare else None,
        measure,
        current_app.config.get("MAP_TILES"),
        _lang(),
    )
    with _map_lock:
        if key in _map_cache:
            _map_cache.move_to_end(key)
            return _map_cache[key]
    from maps.choropleth import choropleth, to_html

    aggregates, previous, labels = _map_inputs(review_round, compare)
    try:
        fmap = choropleth(
            aggregates,
            _boundaries(),
            measure=measure,
            compare=previous,
            lang=_lang(),
            indicator_labels=labels,
            tiles=_tiles(),
            title=f"{round_name(review_round, _lang())} — {standard_name(review_round['standard'], _lang())}",
        )
    except ValueError:
        abort(400)
    page = to_html(fmap)
    with _map_lock:
        _map_cache[key] = page
        while len(_map_cache) > MAP_CACHE_SIZE:
            _map_cache.popitem(last=False)
    return page


@bp.get("/map.html")
@role_required("province")
def map_html():
    review_round = _round()
    if review_round is None:
        abort(404)
    compare = _round("compare", required=False)
    measure = request.args.get("measure", "poor_rate")
    page = _map_html(review_round, compare, measure)
    # CSP (server/security.py): folium's inline scripts get this request's nonce; the
    # dashboard frames the map (same origin only); tiles only from the configured server.
    page = security.add_script_nonce(page)
    security.allow_same_origin_framing()
    tiles = current_app.config.get("MAP_TILES")
    if tiles:
        parts = urlsplit(tiles)
        host = parts.netloc.replace("{s}", "*")  # Leaflet's subdomain placeholder
        security.extend_csp("img-src", f"{parts.scheme}://{host}")
    response = Response(page, mimetype="text/html")
    if request.args.get("download"):
        _audit_export("map.html", review_round)
        response.headers["Content-Disposition"] = (
            f'attachment; filename="povcensus-map-{review_round["label"]}.html"'
        )
    return response


@bp.get("/map.png")
@role_required("province")
def map_png():
    import tempfile
    from pathlib import Path

    from maps.choropleth import to_png

    review_round = _round()
    if review_round is None:
        abort(404)
    compare = _round("compare", required=False)
    aggregates, previous, labels = _map_inputs(review_round, compare)
    measure = request.args.get("measure", "poor_rate")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "map.png"
        try:
            to_png(
                aggregates,
                _boundaries(),
                measure,
                path,
                compare=previous,
                lang=_lang(),
                indicator_labels=labels,
                title=_png_title(review_round, measure, labels),
            )
        except ValueError:
            abort(400)
        data = path.read_bytes()
    _audit_export("map.png", review_round)
    return Response(
        data,
        mimetype="image/png",
        headers={
            "Content-Disposition": f'attachment; filename="povcensus-map-{review_round["label"]}.png"'
        },
    )


# --- official tables ----------------------------------------------------------------------


@bp.get("/tables/<name>.<fmt>")
@role_required("province")
def table_export(name: str, fmt: str):
    if name not in (*reports.TABLES, "all") or fmt not in ("xlsx", "csv"):
        abort(404)
    review_round = _round()
    if review_round is None:
        abort(404)
    table, meta, indicators = queries.report_inputs(get_db(), review_round, province=_province())
    built = reports.build_tables(table, meta, indicators, name)
    stem = f"povcensus-{name}-{review_round['label']}"
    if fmt == "xlsx":
        data, mimetype, filename = (
            reports.write_xlsx(built),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            f"{stem}.xlsx",
        )
    else:
        data, kind = reports.write_csv(built, _lang())
        mimetype = "text/csv; charset=utf-8" if kind == "csv" else "application/zip"
        filename = f"{stem}.{kind}"
    _audit_export(f"{name}.{fmt}", review_round)
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _audit_export(what: str, review_round: dict) -> None:
    audit(
        get_db(),
        "export",
        user_id=current_user().id,
        target=review_round["label"],
        details={"what": what},
        ip=request.remote_addr,
    )


# --- boundary layers ----------------------------------------------------------------------

UPLOAD_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip")


@bp.get("/boundaries")
@role_required("province")
def boundaries_page():
    from server.province.boundary_store import list_layers

    return _boundaries_page(list_layers(get_db(), _province()))


def _boundaries_page(layers: list[dict], *, error: str | None = None, report=(), status=200):
    from maps.layouts import LAYOUTS

    in_use = _layer_info()
    page = render_template(
        "province/boundaries.html",
        layers=[_readable_layer(layer) for layer in layers],
        in_use=in_use["id"] if in_use else None,
        layouts=LAYOUTS,
        error=error,
        report=list(report),
        imported=request.args.get("imported", type=int),
        form=request.form,
    )
    return page, status


@bp.post("/boundaries")
@role_required("province")
def boundaries_upload():
    """Import an uploaded boundary file: every check of `import_boundaries` runs first; a file
    that fails one is not stored and the page says why (with the import report)."""
    import tempfile
    from pathlib import Path

    from flask import redirect, url_for

    from maps.boundaries import BoundaryError, import_boundaries
    from server.province.boundary_store import list_layers, store_layer

    db = get_db()
    upload = request.files.get("file")
    form = request.form
    name = Path(upload.filename or "").name if upload else ""
    suffix = Path(name).suffix.lower()
    if not name or suffix not in UPLOAD_SUFFIXES or not form.get("source", "").strip():
        message = (
            "Cần một tệp .geojson, .gpkg hoặc .zip (Shapefile) và nguồn / a .geojson, .gpkg or "
            ".zip (Shapefile) file and its source are required"
        )
        return _boundaries_page(list_layers(db, _province()), error=message, status=400)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        upload.save(path)
        try:
            report = import_boundaries(
                path,
                code_field=form.get("code_field", "").strip() or "ma_xa",
                layer=form.get("layer", "").strip() or None,
                crs=form.get("crs", "").strip() or None,
                layout=form.get("layout") or None,
                province=_province(),
            )
            report.source = name
            stored = store_layer(
                db,
                report,
                filename=name,
                source=form["source"].strip(),
                source_date=form.get("source_date", "").strip() or None,
                licence=form.get("licence", "").strip() or None,
                province=_province(),
                imported_by=current_user().id,
            )
        except (BoundaryError, ValueError) as error:
            lines = error.report.lines() if getattr(error, "report", None) else ()
            lines = [line.replace(str(path), name) for line in lines]
            return _boundaries_page(
                list_layers(db, _province()),
                error=str(error).replace(str(path), name),
                report=lines,
                status=400,
            )
    audit(
        db,
        "boundaries_import",
        user_id=current_user().id,
        target=name,
        details={
            "layer_id": stored["id"],
            "layout": stored["layout"],
            "features": stored["features"],
        },
        ip=request.remote_addr,
    )
    return redirect(url_for("province.boundaries_page", imported=stored["id"]), code=303)


def _readable_layer(layer: dict | None) -> dict | None:
    """A layer's provenance with dates as an official reads them (dd/mm/yyyy, local time)."""
    if layer is None:
        return None
    date = layer.get("source_date")
    try:
        from datetime import date as calendar

        shown = calendar.fromisoformat(date).strftime("%d/%m/%Y") if date else None
    except ValueError:
        shown = date  # free text the officer typed: shown as typed
    return {**layer, "imported_local": _local_time(layer["imported_at"]), "source_date": shown}


def _local_time(iso: str | None) -> str:
    """A stored UTC time as an official reads it: Asia/Ho_Chi_Minh, dd/mm/yyyy HH:MM."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    if not iso:
        return "—"
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y %H:%M")
