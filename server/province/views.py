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

import pandas as pd
from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import get_locale

from server import reports
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


def _boundaries():
    from maps.boundaries import default_boundaries

    return default_boundaries(_province())


def _map_html(review_round: dict, compare: dict | None, measure: str, tiles: bool) -> str:
    """The standalone map page, built once per (round state, comparison, measure, language)."""
    db = get_db()
    key = (
        review_round["id"],
        queries.change_stamp(db, review_round),
        compare["id"] if compare else None,
        queries.change_stamp(db, compare) if compare else None,
        measure,
        tiles,
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
            tiles="OpenStreetMap" if tiles else None,
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
    page = _map_html(review_round, compare, measure, request.args.get("tiles") == "1")
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
                title=f"{review_round['label']} — {measure}",
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
