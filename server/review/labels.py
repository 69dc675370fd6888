"""Names people read for the workflow's codes (classes, statuses, actions, list categories).

Lazy strings: translated (Vietnamese by default, English on request) when rendered.
"""

from __future__ import annotations

from server.review.i18n import lazy_gettext as _l

CLASS_LABELS = {
    "poor": _l("Poor"),
    "near_poor": _l("Near-poor"),
    "average": _l("Average living standard"),
    "not_poor": _l("Not poor"),
    None: _l("Not scored"),
}
STATUS_LABELS = {
    "submitted": _l("To check"),
    "resubmitted": _l("New version to check"),
    "confirmed": _l("Confirmed"),
    "returned": _l("Returned to enumerator"),
    "overridden": _l("Class overridden"),
    "resurvey": _l("Re-survey (meeting)"),
}
FLAG_LABELS = {
    "overridden": _l("override"),
    "provisional": _l("provisional standard"),
    "complaint": _l("open complaint"),
    "resubmitted": _l("came back"),
    "duplicate_person": _l("possible duplicate person"),  # issue 12
}
CATEGORY_LABELS = {
    "poor": _l("Poor households"),
    "near_poor": _l("Near-poor households"),
    "exited_poor": _l("Households exiting poverty"),
    "exited_near_poor": _l("Households exiting near-poverty"),
    "new_poor": _l("Newly poor households"),
    "fell_back_poor": _l("Households falling back into poverty"),
    "new_near_poor": _l("Newly near-poor households"),
    "fell_back_near_poor": _l("Households falling back into near-poverty"),
}
ACTION_LABELS = {
    "confirm": _l("Confirmed"),
    "return": _l("Returned with comment"),
    "override": _l("Class overridden"),
    "resurvey": _l("Sent back for re-survey"),
    "meeting": _l("Village meeting"),
    "posting": _l("List posted"),
    "reposting": _l("Re-check result posted"),
    "complaint": _l("Complaint registered"),
    "recheck": _l("Complaint re-checked"),
    "recognise": _l("Lists recognised"),
    "settings": _l("Settings changed"),
    "quarantine_accept": _l("Quarantined version accepted"),
    "quarantine_keep": _l("Current version kept over a conflict"),
    "quarantine_duplicate": _l("Conflict closed as a duplicate (same answers)"),
}
CONFLICT_LABELS = {
    "id_reused": _l("Same submission id, other content"),
    "stale_base": _l("Edit of an older version"),
    "unknown_base": _l("Edit of an unknown version"),
}
