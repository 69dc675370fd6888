"""Properties over random valid households (the shared `strategies.households()` builder):
they validate, and they survive the trip through an ODK submission unchanged."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from strategies import households

from survey_forms import load_household, validate_household
from survey_forms.xform import household_to_instance, instance_to_household

# The builder draws survey years up to 2027; judge them from a later day.
LATER = dt.date(2030, 1, 1)


@settings(max_examples=120, deadline=None)
@given(households())
def test_valid_households_validate(record):
    assert validate_household(record, today=LATER) == []


@settings(max_examples=120, deadline=None)
@given(households())
def test_valid_households_survive_an_odk_submission(record):
    loaded = load_household(record, today=LATER)
    back = instance_to_household(household_to_instance(loaded, instance_id="uuid:p"))
    assert back.pop("meta") == {"instanceID": "uuid:p", "deprecatedID": None}
    assert back == loaded
