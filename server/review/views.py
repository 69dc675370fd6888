"""Review pages: home, commune queue, household file and decisions, audit, settings, language.

Views parse the request, check role and commune scope, call `server.queries.review*` and
render; no SQL here. Access (the security matrix in tests/test_review_security.py):
anonymous → login page; enumerator → 403; commune staff → their own communes only (403
elsewhere); province → read every commune, audit and settings, no commune decision; admin → all.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale

from scoring.text import en_number, vi_number
from server import scoring_adapter
from server.auth import commune_scope, current_user, login_required, require_commune
from server.db import get_db
from server.queries import review as review_queries
from server.queries import review_commune as steps_queries
from server.queries import review_quarantine as quarantine_queries
from server.queries import rounds as round_queries
from server.review import answers, explain, forms, i18n, labels
from server.review.forms import DecisionForm, LanguageForm, SettingsForm
from server.review.i18n import gettext as _

bp = Blueprint("review", __name__, url_prefix="/review")
READERS = ("commune", "province", "admin")
WRITERS = ("commune", "admin")


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "CLASS_LABELS": labels.CLASS_LABELS,
        "STATUS_LABELS": labels.STATUS_LABELS,
        "FLAG_LABELS": labels.FLAG_LABELS,
        "CATEGORY_LABELS": labels.CATEGORY_LABELS,
        "ACTION_LABELS": labels.ACTION_LABELS,
        "CONFLICT_LABELS": labels.CONFLICT_LABELS,
        "language_form": LanguageForm(formdata=None),
        # our own translation domain for our templates (see server/review/i18n.py)
        "gettext": i18n.template_gettext,
        "_": i18n.template_gettext,
        "ngettext": i18n.template_ngettext,
        "question_label": lambda path: answers.question_label(path, locale()),
        "answer": lambda path, value: answers.answer_label(path, value, locale()),
        # numbers in the official's format (20.400, 7,5); template-wide formats are issue14's
        "number": lambda value: (en_number if locale() == "en" else vi_number)(value),
        "has_province": "province.dashboard" in current_app.view_functions,
    }


# --- access -------------------------------------------------------------------------------


def commune_page(*, write: bool = False) -> Callable[[Callable], Callable]:
    """Signed in, a reviewing role, and the commune in the user's scope (else 403)."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        @login_required
        def wrapped(commune: str, *args: Any, **kwargs: Any):
            if current_user().role not in (WRITERS if write else READERS):
                abort(403)
            require_commune(commune)
            return view(commune, *args, **kwargs)

        return wrapped

    return decorator


def province_page(view: Callable) -> Callable:
    @functools.wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any):
        if current_user().role not in ("province", "admin"):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def can_write() -> bool:
    user = current_user()
    return user is not None and user.role in WRITERS


# --- helpers ------------------------------------------------------------------------------


def current_round() -> dict[str, Any] | None:
    """The round asked for (`?round=<label>`), else the province's open annual round, else the
    latest one."""
    db, province = get_db(), current_app.config["PROVINCE"]
    label = request.args.get("round")
    if label:
        found = round_queries.get_round(db, label)
        if found is None or found["province_code"] != province:
            abort(404)
        return found
    found = round_queries.open_round_for(db, province)
    if found is None:
        rounds = [r for r in round_queries.list_rounds(db) if r["province_code"] == province]
        found = rounds[-1] if rounds else None
    return found


def need_round() -> dict[str, Any]:
    found = current_round()
    if found is None:
        abort(404, description=_("No review round has been opened yet."))
    return found


def today() -> date:
    return datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def locale() -> str:
    return str(get_locale() or "vi")


def refused(error: review_queries.ReviewError) -> None:
    flash(error.message(locale()), "error")


def failed_status() -> int:
    """Status of a form page shown again with what was typed: 400 when its CSRF token had
    expired or was invalid (see server.review.resubmit), 422 when the input was refused."""
    return 400 if g.get("csrf_failed") else 422


def invalid(form) -> None:
    """Say which fields are wrong (the expired-token message is the layout's, not repeated)."""
    if g.get("csrf_failed"):
        return
    problems = "; ".join(
        f"{form[name].label.text}: {' '.join(map(str, errs))}"
        for name, errs in form.errors.items()
        if name in form and name != "csrf_token"
    )
    flash(
        _("The form is incomplete or expired; please try again.")
        + (f" ({problems})" if problems else ""),
        "error",
    )


def commune_info(code: str) -> dict[str, Any]:
    row = (
        get_db().execute("SELECT code, name, kind FROM communes WHERE code = ?", [code]).fetchone()
    )
    # kind (xa / phuong / dac_khu) decides "Thôn" or "Tổ dân phố" (server.labels.village_word)
    return {"code": code, "name": row[1] if row else code, "kind": row[2] if row else None}


def page_context(commune: str, review_round: dict[str, Any]) -> dict[str, Any]:
    """What every commune page's layout needs."""
    return {
        "commune": commune_info(commune),
        "review_round": review_round,
        "can_write": can_write() and review_round["status"] == "open",
        "recognition": steps_queries.recognition(get_db(), review_round["id"], commune),
        "quarantine_count": quarantine_queries.open_count(get_db(), review_round["id"], commune),
    }


# --- home, language -----------------------------------------------------------------------


def site_index():
    """`/`: the review home for signed-in people, else the login page."""
    if current_user() is None:
        return redirect(url_for("auth.login"))
    from server.review.homes import role_home

    return redirect(role_home(current_user().role))


@bp.record_once
def _home_rule(state) -> None:
    state.app.add_url_rule("/", "index", site_index)


@bp.get("/")
@login_required
def home():
    user = current_user()
    if user.role not in READERS:
        abort(403)
    review_round = current_round()
    communes = commune_scope(user)
    if user.role == "commune" and len(communes) == 1:
        return redirect(url_for("review.queue", commune=communes[0]))
    summary = steps_summary(review_round, communes) if review_round else []
    return render_template("review/home.html", review_round=review_round, communes=summary)


def steps_summary(review_round: dict[str, Any], communes: tuple[str, ...]) -> list[dict]:
    db = get_db()
    counts = (
        {
            row[0]: row[1]
            for row in db.execute(
                "SELECT commune_code, count(*) FROM households WHERE round_id = ? GROUP BY 1",
                [review_round["id"]],
            )
        }
        if communes
        else {}
    )
    recognised = {
        row[0]
        for row in db.execute(
            "SELECT commune_code FROM review_recognitions WHERE round_id = ?", [review_round["id"]]
        )
    }
    names = dict(db.execute("SELECT code, name FROM communes").fetchall())
    return [
        {
            "code": c,
            "name": names.get(c, c),
            "households": counts.get(c, 0),
            "recognised": c in recognised,
        }
        for c in communes
    ]


@bp.post("/language")
def set_language():
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.lang.data
    target = form.next.data or ""
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("review.home")
    return redirect(target)


# --- the queue ----------------------------------------------------------------------------


QUEUE_KEYS = ("class", "village", "status", "sort", "page", "round")


def queue_args() -> dict[str, str]:
    """The queue's filter, sort, page and round as asked, carried through the household pages
    and decisions so the commune head comes back to the same place."""
    return {key: request.args[key] for key in QUEUE_KEYS if request.args.get(key)}


def queue_filter(commune: str) -> review_queries.QueueFilter:
    args = request.args
    return review_queries.QueueFilter(
        commune_code=commune,
        klass=args.get("class") if args.get("class") in review_queries.CLASSES else None,
        village=args.get("village") or None,
        status=args.get("status") if args.get("status") in review_queries.STATUSES else None,
        sort=args.get("sort") if args.get("sort") in review_queries.SORTS else "household",
        page=args.get("page", 1, type=int),
    )


@bp.get("/c/<commune>/")
@commune_page()
def queue(commune: str):
    review_round = need_round()
    wanted = queue_filter(commune)
    db = get_db()
    standard = scoring_adapter.standard(review_round["standard"])
    return render_template(
        "review/queue.html",
        provisional=bool(standard.provisional),
        page=review_queries.list_queue(db, review_round["id"], wanted),
        counts=review_queries.queue_counts(db, review_round["id"], commune),
        villages=review_queries.villages(db, review_round["id"], commune),
        wanted=wanted,
        class_codes=standard_classes(standard),
        statuses=review_queries.STATUSES,
        sorts=review_queries.SORTS,
        page_url=lambda number: url_for(
            "review.queue", commune=commune, **{**request.args.to_dict(), "page": number}
        ),
        args=queue_args(),
        bulk_form=forms.BulkConfirmForm(formdata=None),
        **page_context(commune, review_round),
    )


def standard_classes(standard) -> tuple[str, ...]:
    """The classes a round's standard can give: no "average living" filter for a standard
    without that line (vn-2022 has it; the provisional vn-2027 has not)."""
    has_average = any("average" in lines for lines in standard.lines.values())
    return tuple(c for c in review_queries.CLASSES if c != "average" or has_average)


# --- one household ------------------------------------------------------------------------


def household_or_404(review_round: dict, commune: str, household_id: str) -> dict[str, Any]:
    found = review_queries.household_file(get_db(), review_round["id"], household_id)
    # A household of another commune is "not found" here, never shown through this URL.
    if found is None or found["state"]["commune_code"] != commune:
        abort(404)
    return found


@bp.get("/c/<commune>/h/<household_id>")
@commune_page()
def household(commune: str, household_id: str):
    review_round = need_round()
    found = household_or_404(review_round, commune, household_id)
    form = DecisionForm(formdata=None, version=found["state"]["version"])
    return render_household(commune, review_round, found, form)


def render_household(
    commune: str,
    review_round: dict,
    found: dict,
    form: DecisionForm,
    complaint_form: forms.ComplaintForm | None = None,
):
    household_id = found["state"]["household_id"]
    return render_template(
        "review/household.html",
        file=found,
        form=form,
        args=queue_args(),
        around=review_queries.neighbours(
            get_db(), review_round["id"], queue_filter(commune), household_id
        ),
        complaint_form=complaint_form or forms.ComplaintForm(formdata=None, received_on=today()),
        complaints=[
            c
            for c in steps_queries.list_complaints(get_db(), review_round["id"], commune)
            if c["household_id"] == household_id
        ],
        locale=locale(),
        explained=explain.score_view(found["score"], found["state"]["record"], locale()),
        **page_context(commune, review_round),
    )


@bp.post("/c/<commune>/h/<household_id>/decision")
@commune_page(write=True)
def decide(commune: str, household_id: str):
    review_round = need_round()
    found = household_or_404(review_round, commune, household_id)
    form = DecisionForm()
    # where to go next is decided before the decision changes the queue (a "to check" filter
    # would otherwise lose the household's place)
    around = review_queries.neighbours(
        get_db(), review_round["id"], queue_filter(commune), household_id
    )

    # a refused decision shows the page again with every choice and the text as typed
    def again():
        return render_household(commune, review_round, found, form), failed_status()

    if not form.validate_on_submit():
        invalid(form)
        return again()
    try:
        review_queries.record_decision(
            get_db(),
            round_id=review_round["id"],
            household_id=household_id,
            user_id=current_user().id,
            decision=form.decision.data,
            version=int(form.version.data),
            reason=form.comment.data,
            override_class=form.override_class.data or None,
        )
    except (review_queries.ReviewError, ValueError) as error:
        if isinstance(error, review_queries.ReviewError):
            refused(error)
        else:
            flash(_("The form is incomplete or expired; please try again."), "error")
        return again()
    flash(_("Decision recorded."), "ok")
    if request.form.get("then") == "next" and around["next"]:
        return redirect(
            url_for(
                "review.household", commune=commune, household_id=around["next"], **queue_args()
            )
        )
    return redirect(url_for("review.queue", commune=commune, **queue_args()))


@bp.post("/c/<commune>/confirm-many")
@commune_page(write=True)
def confirm_many(commune: str):
    """Bulk confirmation: the first POST (from the queue) shows the households picked for a
    last look; the second (`commit`) confirms them, one audit event each."""
    review_round = need_round()
    form = forms.BulkConfirmForm()
    back = redirect(url_for("review.queue", commune=commune, **queue_args()))
    if not form.validate_on_submit():
        flash(_("The form is incomplete or expired; please try again."), "error")
        return back
    picked = _picked(request.form.getlist("pick"))
    if not picked:
        flash(_("No household was selected."), "error")
        return back
    if not request.form.get("commit"):
        rows = review_queries.decisions(get_db(), review_round["id"], [commune])
        chosen = {household_id for household_id, _version in picked}
        return render_template(
            "review/confirm_many.html",
            rows=[row for row in rows if row["household_id"] in chosen],
            picked=picked,
            form=form,
            args=queue_args(),
            **page_context(commune, review_round),
        )
    try:
        outcome = review_queries.confirm_many(
            get_db(),
            round_id=review_round["id"],
            commune_code=commune,
            picked=picked,
            user_id=current_user().id,
        )
    except review_queries.ReviewError as error:
        refused(error)
        return back
    flash(_("%(n)s households confirmed.", n=len(outcome["confirmed"])), "ok")
    skipped: dict[str, list[str]] = {}
    for household_id, why_vi, why_en in outcome["skipped"]:
        skipped.setdefault(why_en if locale() == "en" else why_vi, []).append(household_id)
    for why, households in skipped.items():
        # ids of households not in this commune are not echoed back
        named = "" if why in ("không tìm thấy hộ", "no such household") else ": "
        flash(
            f"{len(households)} × {why}" + (named + ", ".join(households) if named else ""),
            "error",
        )
    return back


def _picked(values: list[str]) -> list[tuple[str, int]]:
    """`<household id>:<version>` pairs from the check boxes (malformed ones ignored)."""
    picked = []
    for value in values:
        household_id, _, version = value.rpartition(":")
        if household_id and version.isdigit():
            picked.append((household_id, int(version)))
    return picked


# --- quarantined conflicts ---------------------------------------------------------------


@bp.get("/c/<commune>/conflicts")
@commune_page()
def conflicts(commune: str):
    review_round = need_round()
    if review_round["status"] == "open":
        closed = quarantine_queries.close_duplicates(get_db(), review_round["id"], commune)
        if closed:
            flash(
                _(
                    "%(n)s conflicts had the same answers as the current version: closed as"
                    " duplicates (recorded in the history).",
                    n=len(closed),
                ),
                "ok",
            )
    return _conflicts_page(commune, review_round)


def _conflicts_page(commune: str, review_round: dict, failed=None, failed_id=None, bulk=None):
    """The open conflicts, differences only unless `?all=1`; a refused resolution (or bulk
    keep) is shown again as typed."""
    rows = quarantine_queries.list_open(get_db(), review_round["id"], commune)
    for row in rows:
        current = row["current"]["record"] if row["current"] else None
        row["comparison"] = quarantine_queries.compare(current, row["record"])
    return render_template(
        "review/conflicts.html",
        conflicts=rows,
        form=forms.QuarantineForm(formdata=None),
        failed_form=failed,
        failed_id=failed_id,
        bulk_form=bulk or forms.KeepManyForm(formdata=None),
        show_all=request.args.get("all") == "1",
        locale=locale(),
        **page_context(commune, review_round),
    )


@bp.post("/c/<commune>/conflicts/<int:quarantine_id>")
@commune_page(write=True)
def resolve_conflict(commune: str, quarantine_id: int):
    review_round = need_round()
    form = forms.QuarantineForm()
    if not form.validate_on_submit():
        invalid(form)
        return _conflicts_page(commune, review_round, form, quarantine_id), failed_status()
    if quarantine_queries.get_open(get_db(), review_round["id"], commune, quarantine_id) is None:
        abort(404)
    try:
        quarantine_queries.resolve(
            get_db(),
            round_id=review_round["id"],
            commune_code=commune,
            quarantine_id=quarantine_id,
            action=form.action.data,
            reason=form.reason.data,
            user=current_user(),
            province=current_app.config["PROVINCE"],
        )
    except review_queries.ReviewError as error:
        refused(error)
        return _conflicts_page(commune, review_round, form, quarantine_id), failed_status()
    flash(_("Conflict resolved."), "ok")
    return redirect(url_for("review.conflicts", commune=commune, round=request.args.get("round")))


@bp.post("/c/<commune>/conflicts/keep")
@commune_page(write=True)
def keep_conflicts(commune: str):
    """ "Keep the current version" for the selected conflicts, one reason for all."""
    review_round = need_round()
    form = forms.KeepManyForm()
    chosen = [int(v) for v in request.form.getlist("pick") if v.isdigit()]
    if not form.validate_on_submit() or not chosen:
        if not chosen and not g.get("csrf_failed"):
            flash(_("No conflict was selected."), "error")
        else:
            invalid(form)
        return _conflicts_page(commune, review_round, bulk=form), failed_status()
    outcome = quarantine_queries.keep_many(
        get_db(),
        round_id=review_round["id"],
        commune_code=commune,
        quarantine_ids=chosen,
        reason=form.reason.data,
        user=current_user(),
        province=current_app.config["PROVINCE"],
    )
    if outcome["kept"]:
        flash(_("Current version kept for %(n)s conflicts.", n=len(outcome["kept"])), "ok")
    for _id, message_vi, message_en in outcome["refused"]:
        flash(message_en if locale() == "en" else message_vi, "error")
    return redirect(url_for("review.conflicts", commune=commune, round=request.args.get("round")))


# --- province: audit and settings ---------------------------------------------------------


@bp.get("/audit")
@province_page
def audit():
    communes = commune_scope(current_user())
    wanted = request.args.get("commune") or None
    if wanted and wanted not in communes:
        abort(403)
    action = request.args.get("action") or None
    page = review_queries.audit_events(
        get_db(),
        # province-wide roles see every event, also those of no commune (settings)
        communes=(wanted,) if wanted else None,
        action=action if action in labels.ACTION_LABELS else None,
        page=request.args.get("page", 1, type=int),
    )
    names = {code: commune_info(code)["name"] for code in communes}  # the filter reads names
    return render_template(
        "review/audit.html",
        page=page,
        wanted=wanted,
        action=action,
        communes=sorted(communes, key=lambda code: names[code]),
        commune_names=names,
    )


@bp.route("/settings", methods=["GET", "POST"])
@province_page
def settings():
    review_round = need_round()
    db = get_db()
    current = steps_queries.round_settings(db, review_round)
    form = SettingsForm(
        data={"posting_days": current["posting_days"], "holidays": current["holidays"]}
    )
    if request.method == "POST":
        form = SettingsForm()
        if form.validate_on_submit():
            try:
                steps_queries.save_settings(
                    db,
                    review_round["id"],
                    posting_days=form.posting_days.data,
                    holidays=form.holidays.data or "",
                    user_id=current_user().id,
                )
            except review_queries.ReviewError as error:
                refused(error)
            except ValueError:
                flash(_("A holiday is not a date (YYYY-MM-DD)."), "error")
            else:
                flash(_("Settings saved."), "ok")
                return redirect(url_for("review.settings", round=request.args.get("round")))
    return render_template(
        "review/settings.html", form=form, review_round=review_round, current=current
    )
