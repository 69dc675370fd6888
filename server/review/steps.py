"""Review pages after the household checks: village meetings (with printable minutes), the
public posting list, complaints and their re-check (phúc tra), and recognition of the lists.

Same access rules as `server.review.views` (reading: commune staff of the commune, province,
admin; acting: commune staff of the commune and admin).
"""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale

from server.auth import current_user
from server.db import get_db
from server.queries import review as review_queries
from server.queries import review_commune as steps_queries
from server.review import forms, workdays
from server.review.i18n import gettext as _
from server.review.views import (
    bp,
    commune_page,
    failed_status,
    household_or_404,
    invalid,
    need_round,
    page_context,
    refused,
    render_household,
    today,
)


def _back(endpoint: str, commune: str, **values):
    return redirect(url_for(endpoint, commune=commune, round=request.args.get("round"), **values))


def _invalid(form) -> None:
    invalid(form)


# --- village meetings ---------------------------------------------------------------------


@bp.get("/c/<commune>/meetings")
@commune_page()
def meetings(commune: str):
    return _meetings_page(commune, forms.MeetingForm(formdata=None, held_on=today()))


def _meetings_page(commune: str, form: forms.MeetingForm):
    review_round = need_round()
    db = get_db()
    overview = steps_queries.village_overview(db, review_round["id"], commune)
    form.village.choices = [(v["village"], v["village"]) for v in overview]
    return render_template(
        "review/meetings.html",
        overview=overview,
        form=form,
        meetings=steps_queries.list_meetings(db, review_round["id"], commune),
        **page_context(commune, review_round),
    )


@bp.post("/c/<commune>/meetings")
@commune_page(write=True)
def record_meeting(commune: str):
    review_round = need_round()
    form = forms.MeetingForm()
    form.village.choices = [
        (v, v) for v in review_queries.villages(get_db(), review_round["id"], commune)
    ]
    if not form.validate_on_submit():
        _invalid(form)
        return _meetings_page(commune, form), failed_status()
    try:
        meeting = steps_queries.record_meeting(
            get_db(),
            round_id=review_round["id"],
            commune_code=commune,
            village=form.village.data,
            held_on=form.held_on.data,
            chair=form.chair.data.strip(),
            secretary=(form.secretary.data or "").strip() or None,
            attendees=form.attendees.data,
            agree=form.agree.data,
            note=(form.note.data or "").strip() or None,
            user_id=current_user().id,
            today=today(),
        )
    except review_queries.ReviewError as error:
        refused(error)
        return _meetings_page(commune, form), failed_status()
    if meeting["passed"]:
        flash(_("The meeting passed the village's results."), "ok")
    else:
        flash(
            _(
                "The meeting did not pass (under 50 %): the village's households go back for re-survey."
            ),
            "error",
        )
    return _back("review.minutes", commune, meeting_id=meeting["id"])


@bp.get("/c/<commune>/meetings/<int:meeting_id>")
@commune_page()
def minutes(commune: str, meeting_id: int):
    meeting = steps_queries.get_meeting(get_db(), meeting_id)
    if meeting is None or meeting["commune_code"] != commune:
        abort(404)
    return render_template(
        "review/minutes.html", meeting=meeting, **page_context(commune, need_round())
    )


# --- public posting -----------------------------------------------------------------------


@bp.get("/c/<commune>/posting")
@commune_page()
def posting(commune: str):
    return _posting_page(commune, forms.PostingForm(formdata=None, posted_from=today()))


def _posting_page(commune: str, form: forms.PostingForm):
    review_round = need_round()
    db = get_db()
    settings = steps_queries.round_settings(db, review_round)
    return render_template(
        "review/posting.html",
        posting=steps_queries.posting_list(db, review_round, commune),
        postings=steps_queries.list_postings(db, review_round["id"], commune),
        settings=settings,
        days_off=workdays.days_off_between(
            today(), today() + timedelta(days=60), settings["holidays"], str(get_locale() or "vi")
        ),
        form=form,
        order=steps_queries.CATEGORIES,
        today_iso=today().isoformat(),
        **page_context(commune, review_round),
    )


@bp.post("/c/<commune>/posting")
@commune_page(write=True)
def record_posting(commune: str):
    review_round = need_round()
    form = forms.PostingForm()
    if not form.validate_on_submit():
        _invalid(form)
        return _posting_page(commune, form), failed_status()
    try:
        steps_queries.record_posting(
            get_db(),
            review_round=review_round,
            commune_code=commune,
            kind=form.kind.data,
            posted_from=form.posted_from.data,
            place=(form.place.data or "").strip() or None,
            note=(form.note.data or "").strip() or None,
            user_id=current_user().id,
            today=today(),
        )
    except review_queries.ReviewError as error:
        refused(error)
        return _posting_page(commune, form), failed_status()
    flash(_("Posting recorded."), "ok")
    return _back("review.posting", commune)


# --- complaints ---------------------------------------------------------------------------


@bp.get("/c/<commune>/complaints")
@commune_page()
def complaints(commune: str):
    return _complaints_page(commune)


def _complaints_page(commune: str, failed: forms.ResolveForm | None = None, failed_id=None):
    """The complaints; a refused re-check is shown again, as typed, on its own complaint."""
    review_round = need_round()
    return render_template(
        "review/complaints.html",
        complaints=steps_queries.list_complaints(get_db(), review_round["id"], commune),
        resolve_form=forms.ResolveForm(formdata=None, recheck_on=today()),
        failed_form=failed,
        failed_id=failed_id,
        **page_context(commune, review_round),
    )


@bp.post("/c/<commune>/h/<household_id>/complaints")
@commune_page(write=True)
def register_complaint(commune: str, household_id: str):
    review_round = need_round()
    state = review_queries.household_state(get_db(), review_round["id"], household_id)
    if state is None or state["commune_code"] != commune:
        abort(404)
    form = forms.ComplaintForm()

    def again():
        found = household_or_404(review_round, commune, household_id)
        decision = forms.DecisionForm(formdata=None, version=found["state"]["version"])
        return render_household(commune, review_round, found, decision, form), failed_status()

    if not form.validate_on_submit():
        _invalid(form)
        return again()
    try:
        steps_queries.register_complaint(
            get_db(),
            round_id=review_round["id"],
            household_id=household_id,
            complainant=form.complainant.data,
            content=form.content.data,
            received_on=form.received_on.data,
            user_id=current_user().id,
            today=today(),
        )
    except review_queries.ReviewError as error:
        refused(error)
        return again()
    flash(_("Complaint registered."), "ok")
    return _back("review.complaints", commune)


@bp.post("/c/<commune>/complaints/<int:complaint_id>/resolve")
@commune_page(write=True)
def resolve_complaint(commune: str, complaint_id: int):
    complaint = steps_queries.get_complaint(get_db(), complaint_id)
    if complaint is None or complaint["commune_code"] != commune:
        abort(404)
    form = forms.ResolveForm()
    if not form.validate_on_submit():
        _invalid(form)
        return _complaints_page(commune, form, complaint_id), failed_status()
    try:
        steps_queries.resolve_complaint(
            get_db(),
            complaint_id=complaint_id,
            recheck_on=form.recheck_on.data,
            outcome=form.outcome.data,
            new_class=form.new_class.data or None,
            note=form.note.data,
            user_id=current_user().id,
            today=today(),
        )
    except review_queries.ReviewError as error:
        refused(error)
        return _complaints_page(commune, form, complaint_id), failed_status()
    flash(_("Re-check recorded."), "ok")
    return _back("review.complaints", commune)


# --- recognition --------------------------------------------------------------------------


@bp.get("/c/<commune>/recognition")
@commune_page()
def recognition(commune: str):
    return _recognition_page(commune, forms.RecognitionForm(formdata=None, recognised_on=today()))


def _recognition_page(commune: str, form: forms.RecognitionForm):
    review_round = need_round()
    db = get_db()
    context = page_context(commune, review_round)
    done = context["recognition"]
    return render_template(
        "review/recognition.html",
        blockers=[]
        if done
        else steps_queries.recognition_blockers(db, review_round, commune, today()),
        data=None if done else steps_queries.categorise(db, review_round, commune),
        lists=steps_queries.recognised_lists(db, review_round["id"], commune) if done else None,
        form=form,
        order=steps_queries.CATEGORIES,
        **context,
    )


@bp.post("/c/<commune>/recognition")
@commune_page(write=True)
def recognise(commune: str):
    review_round = need_round()
    form = forms.RecognitionForm()
    if not form.validate_on_submit():
        _invalid(form)
        return _recognition_page(commune, form), failed_status()
    try:
        steps_queries.recognise(
            get_db(),
            review_round=review_round,
            commune_code=commune,
            recognised_on=form.recognised_on.data,
            decision_no=(form.decision_no.data or "").strip() or None,
            user_id=current_user().id,
            today=today(),
        )
    except review_queries.ReviewError as error:
        refused(error)
        return _recognition_page(commune, form), failed_status()
    flash(_("The lists are recognised and locked."), "ok")
    return _back("review.recognition", commune)
