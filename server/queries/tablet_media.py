"""The form media a tablet downloads with the form: last round's households of its communes.

Opening a round queues last round's households as assignments (server/queries/rounds.py, the
pull feed's `assignment` changes). For ODK Collect the same assignments become
`households.csv`, listed in the form's manifest and read by the form's first question
(survey_forms/xform.py, `previous_household`): the enumerator picks the household to revisit —
or "new household" — and the head's name, village, commune and household id are filled in.
Only the communes the device's user may submit for are listed (the enumerator's own communes);
the bytes are deterministic, so the manifest's md5 changes exactly when the list changes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

import sqlite_utils

HOUSEHOLDS_CSV = "households.csv"
NEW_HOUSEHOLD = "new"  # the CSV's first choice: a household not surveyed last round
COLUMNS = (
    "name",
    "label",
    "household_id",
    "head_name",
    "village",
    "commune_code",
    "previous_class",
)
CLASS_NAMES_VI = {
    "poor": "Hộ nghèo",
    "near_poor": "Hộ cận nghèo",
    "average": "Hộ có mức sống trung bình",
    "not_poor": "Hộ không nghèo",
}


def households_csv(
    db: sqlite_utils.Database, round_id: int | None, communes: Sequence[str]
) -> bytes:
    """The CSV (UTF-8) of the round's assigned households in these communes, "new" first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerow(
        [NEW_HOUSEHOLD, "➕ Hộ mới (chưa rà soát năm trước) / New household", *[""] * 5]
    )
    for row in _assigned(db, round_id, communes):
        writer.writerow([row[column] for column in COLUMNS])
    return buffer.getvalue().encode("utf-8")


def _assigned(db, round_id: int | None, communes: Sequence[str]) -> list[dict[str, str]]:
    if round_id is None or not communes:
        return []
    marks = ", ".join("?" * len(communes))
    rows = db.execute(
        "SELECT c.household_id, c.commune_code, c.data, h.classification FROM changes c"
        " LEFT JOIN review_rounds r ON r.label = json_extract(c.data, '$.previous_round')"
        " LEFT JOIN households h ON h.round_id = r.id AND h.household_id = c.household_id"
        f" WHERE c.kind = 'assignment' AND c.round_id = ? AND c.commune_code IN ({marks})"
        " ORDER BY c.commune_code, c.household_id, c.seq",
        [round_id, *communes],
    ).fetchall()
    latest: dict[str, dict[str, str]] = {}
    for household_id, commune, data, classification in rows:
        record = json.loads(data).get("record") or {}
        head = str(record.get("head_name") or "")
        village = str(record.get("village") or "")
        latest[household_id] = {  # a later assignment of the same household replaces it
            "name": household_id,
            "label": f"{head} – {village} ({household_id})",
            "household_id": household_id,
            "head_name": head,
            "village": village,
            "commune_code": commune,
            "previous_class": CLASS_NAMES_VI.get(classification or "", ""),
        }
    return list(latest.values())
