"""The review pages' forms (Flask-WTF: every one carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from server.review.i18n import lazy_gettext as _l
from server.review.labels import CLASS_LABELS

CLASS_CHOICES = [(code, label) for code, label in CLASS_LABELS.items() if code]


class DecisionForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=[
            ("confirmed", _l("Confirm the computed class")),
            ("returned", _l("Return to the enumerator with a comment")),
            ("overridden", _l("Override the class (reason required)")),
        ],
        validators=[InputRequired()],
    )
    version = HiddenField(validators=[DataRequired()])
    override_class = SelectField(
        _l("New class"), choices=[("", "—"), *CLASS_CHOICES], validators=[Optional()]
    )
    comment = TextAreaField(_l("Comment / reason"), validators=[Length(max=2000)])


class BulkConfirmForm(FlaskForm):
    """Only the CSRF token: the households come as `pick` check boxes."""


class MeetingForm(FlaskForm):
    village = SelectField(_l("Village"), choices=[], validators=[DataRequired()])
    held_on = DateField(_l("Date"), validators=[DataRequired()])
    chair = StringField(
        _l("Chaired by (village head)"), validators=[DataRequired(), Length(max=200)]
    )
    secretary = StringField(_l("Secretary"), validators=[Optional(), Length(max=200)])
    attendees = IntegerField(
        _l("Attendees"), validators=[InputRequired(), NumberRange(min=1, max=100000)]
    )
    agree = IntegerField(
        _l("Attendees agreeing"), validators=[InputRequired(), NumberRange(min=0, max=100000)]
    )
    note = TextAreaField(_l("Notes for the minutes"), validators=[Length(max=4000)])


class PostingForm(FlaskForm):
    kind = SelectField(
        _l("What was posted"),
        choices=[
            ("list", _l("The lists (after the meetings)")),
            ("recheck", _l("The re-check results")),
        ],
    )
    posted_from = DateField(_l("Posted from"), validators=[DataRequired()])
    place = StringField(_l("Where"), validators=[Optional(), Length(max=300)])
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])


class ComplaintForm(FlaskForm):
    complainant = StringField(_l("Complainant"), validators=[DataRequired(), Length(max=200)])
    content = TextAreaField(_l("Complaint"), validators=[DataRequired(), Length(max=4000)])
    received_on = DateField(_l("Received on"), validators=[DataRequired()])


class ResolveForm(FlaskForm):
    recheck_on = DateField(_l("Re-checked on"), validators=[DataRequired()])
    outcome = SelectField(
        _l("Outcome"), choices=[("kept", _l("Class kept")), ("changed", _l("Class changed"))]
    )
    new_class = SelectField(
        _l("Class after re-check"), choices=[("", "—"), *CLASS_CHOICES], validators=[Optional()]
    )
    note = TextAreaField(_l("Re-check findings"), validators=[DataRequired(), Length(max=4000)])


class RecognitionForm(FlaskForm):
    recognised_on = DateField(_l("Recognised on"), validators=[DataRequired()])
    decision_no = StringField(_l("Decision number"), validators=[Optional(), Length(max=100)])


class SettingsForm(FlaskForm):
    posting_days = IntegerField(
        _l("Posting period (working days)"),
        validators=[InputRequired(), NumberRange(min=1, max=60)],
    )
    holidays = TextAreaField(
        _l(
            "Extra days off (YYYY-MM-DD, one per line); !YYYY-MM-DD for a day worked"
            " (a swapped Saturday)"
        ),
        validators=[Length(max=4000)],
    )


class LanguageForm(FlaskForm):
    lang = HiddenField(validators=[DataRequired()])
    next = HiddenField()


class QuarantineForm(FlaskForm):
    action = RadioField(
        _l("Resolution"),
        choices=[
            ("accepted", _l("Accept the quarantined version as a new version")),
            ("kept", _l("Keep the current version")),
        ],
        validators=[InputRequired()],
    )
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class KeepManyForm(FlaskForm):
    """Keep the current version for many conflicts (the `pick` check boxes), one reason."""

    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
