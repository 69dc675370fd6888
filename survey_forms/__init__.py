"""survey_forms — the household questionnaire, its validation and its ODK XForm.

The canonical household record (docs/household-record.md) is defined once, as data, in
`survey_forms.questionnaire`; `validate_household` / `load_household` check it and
`survey_forms.xform` turns it into an XLSForm / XForm for ODK Collect and KoboCollect. Pure
domain code: no web framework, database or file writes.
"""

from survey_forms.errors import FieldError, InvalidHousehold, InvalidSubmission
from survey_forms.questionnaire import FORM_ID, FORM_VERSION, QUESTIONNAIRE
from survey_forms.schemas import load_household, validate_household

__all__ = [
    "FORM_ID",
    "FORM_VERSION",
    "QUESTIONNAIRE",
    "FieldError",
    "InvalidHousehold",
    "InvalidSubmission",
    "load_household",
    "validate_household",
]
