"""Duplicate persons: one person listed in two current households of the province's round.

Read from the `persons` index (server/db.py m030; written with each household by
server.household_rows since m064); the matching rule is `survey_forms.persons.same_person_pairs`:
the same citizen id anywhere in the round, else the same normalised name + birth year + commune.
Nothing is blocked: the commune queue shows a flag and the other household, the province lists
every pair.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlite_utils

from survey_forms.communes import communes_by_code
from survey_forms.persons import Person, same_person_pairs

_COLUMNS = "household_id, commune_code, member_no, name, birth_year, citizen_id"


def _persons(rows: Iterable[tuple]) -> list[Person]:
    return [Person(*row) for row in rows]


def _candidates(
    db: sqlite_utils.Database, round_id: int, commune_code: str, household_ids: list[str]
) -> list[Person]:
    """Everyone the members of these households (of this commune) could be matched with: the
    commune's members of the same normalised name and birth year (`persons_name` index) and,
    anywhere in the round, holders of the same citizen ids. Reading only those keeps a queue
    page fast in a commune of any size."""
    marks = ", ".join("?" * len(household_ids))
    mine = f"p.round_id = ? AND p.commune_code = ? AND p.household_id IN ({marks})"
    args = [round_id, commune_code, *household_ids]
    other = ", ".join("o." + column.strip() for column in _COLUMNS.split(","))
    # INDEXED BY: without statistics (the server never runs ANALYZE) SQLite would start from
    # every member of the commune (or round) with a name (or id) and take 100× longer.
    page = "persons p INDEXED BY persons_household"
    rows = db.execute(
        f"SELECT {other} FROM {page} JOIN persons o INDEXED BY persons_name"
        " ON o.round_id = p.round_id AND o.commune_code = p.commune_code"
        " AND o.name_key = p.name_key AND o.birth_year = p.birth_year"
        f" WHERE p.name_key IS NOT NULL AND {mine}"
        f" UNION SELECT {other} FROM {page} JOIN persons o INDEXED BY persons_citizen_id"
        " ON o.round_id = p.round_id AND o.citizen_id = p.citizen_id"
        f" WHERE p.citizen_id IS NOT NULL AND o.citizen_id IS NOT NULL AND {mine}"
        f" UNION SELECT {_COLUMNS} FROM {page} WHERE {mine}",
        [*args, *args, *args],
    ).fetchall()
    return _persons(rows)


def commune_duplicates(
    db: sqlite_utils.Database, round_id: int, commune_code: str, household_ids: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """Household id (of those given, in this commune) → the other households holding one of its
    members, with the member and the reason."""
    if not household_ids:
        return {}
    wanted = set(household_ids)
    found: dict[str, list[dict[str, Any]]] = {}
    candidates = _candidates(db, round_id, commune_code, household_ids)
    for a, b, reason in same_person_pairs(candidates):
        for mine, other in ((a, b), (b, a)):
            if mine.household_id in wanted and mine.commune_code == commune_code:
                found.setdefault(mine.household_id, []).append(_match(mine, other, reason))
    return found


def _match(mine: Person, other: Person, reason: str) -> dict[str, Any]:
    return {
        "member_no": mine.member_no,
        "name": mine.name,
        "birth_year": mine.birth_year,
        "reason": reason,
        "household_id": other.household_id,
        "commune_code": other.commune_code,
        "commune_name": _commune_name(other.commune_code),
        "other_member_no": other.member_no,
    }


def _commune_name(code: str) -> str:
    commune = communes_by_code().get(code)
    return commune.name if commune else code


def duplicate_persons(db: sqlite_utils.Database, round_id: int) -> list[dict[str, Any]]:
    """Every pair of members of two current households taken for one person, for the province."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM persons WHERE round_id = ? ORDER BY commune_code", [round_id]
    ).fetchall()
    return [
        {
            "reason": reason,
            "name": a.name,
            "birth_year": a.birth_year,
            "citizen_id": a.citizen_id or b.citizen_id,
            "household_a": a.household_id,
            "commune_a": a.commune_code,
            "member_a": a.member_no,
            "household_b": b.household_id,
            "commune_b": b.commune_code,
            "member_b": b.member_no,
        }
        for a, b, reason in same_person_pairs(_persons(rows))
    ]
