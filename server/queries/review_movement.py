"""Movement of the lists between rounds: previous class, list categories, and the check
end = start − exited + fell back + new (for poor and for near-poor).

How rounds link (the "start" of the movement): the previous round of a round is the latest
*annual* round of the same province with an earlier year (for a rolling round: the latest
round before it, by year then id). Its recognised lists (`review_recognised`) for this commune
are the start; a household's earlier recognised classes decide "fell back" (tái nghèo) versus
"newly poor" (phát sinh mới). With no recognised earlier round the start is empty.

Every household of the start list must have a record this round; when some do not, the
identity fails (and `review_commune.recognise` refuses).

Which household is on which list is decided in ONE place, `placement(status, …)` (the list
rule): meetings, the posting list, recognition, the movement tables and the province exports
all read it. A household sent back (returned, re-survey) is on no list — it is "đang rà soát
lại", listed apart, never as a class — and, like one still waiting to be checked, it blocks its
village's meeting.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from server.queries.review import household_rows_sql

CATEGORIES = (
    "poor",
    "near_poor",
    "exited_poor",
    "exited_near_poor",
    "new_poor",
    "fell_back_poor",
    "new_near_poor",
    "fell_back_near_poor",
)
# The six lists the commune chairman recognises (the near-poor "new / fell back" are kept for
# the movement tables and posted too, but are not separate recognised lists).
RECOGNISED_LISTS = (
    "poor",
    "near_poor",
    "exited_poor",
    "exited_near_poor",
    "new_poor",
    "fell_back_poor",
)


# --- the list rule ------------------------------------------------------------------------

# Statuses whose class the commune has accepted (the law lets only these be posted/recognised).
DECIDED = ("confirmed", "overridden")
# Waiting for the commune's check: their computed class is only a proposal.
TO_CHECK = ("submitted", "resubmitted")
# Sent back to the enumerator: on no list until a new version (or decision) arrives.
UNDER_REVIEW = ("returned", "resurvey")
# Any of these in a village means its meeting cannot be held yet.
BLOCKS_MEETING = TO_CHECK + UNDER_REVIEW


@dataclass(frozen=True)
class Placement:
    """Where one household stands on the legal lists.

    `categories`: the lists it counts in (poor, near_poor, exited_poor, …); empty while under
    review. `proposed`: counted only as the computed proposal (not yet checked) — on no posted
    or recognised list. `under_review`: returned / re-survey ("đang rà soát lại").
    """

    categories: tuple[str, ...]
    proposed: bool
    under_review: bool

    @property
    def blocks_meeting(self) -> bool:
        return self.proposed or self.under_review

    @property
    def on_legal_lists(self) -> bool:
        """Posted and recognised: only a class the commune accepted."""
        return not (self.proposed or self.under_review)


def placement(
    status: str, final_class: str | None, previous_class: str | None, ever: set[str]
) -> Placement:
    """THE list rule: which lists a household is on, from its review status, its final class,
    its class on the previous recognised lists and the classes it was ever recognised with."""
    if status in UNDER_REVIEW:
        return Placement((), proposed=False, under_review=True)
    categories = tuple(_categories(final_class, previous_class, ever))
    return Placement(categories, proposed=status not in DECIDED, under_review=False)


def commune_households(
    db, round_id: int, commune_code: str, village: str | None = None
) -> list[dict]:
    sql = household_rows_sql() + " WHERE h.round_id = ? AND h.commune_code = ?"
    args: list[Any] = [round_id, commune_code]
    if village is not None:
        sql += " AND h.village = ?"
        args.append(village)
    return list(db.query(sql + " ORDER BY h.household_id", args))


# --- movement and categories --------------------------------------------------------------


def previous_round(db, review_round: dict[str, Any]) -> dict[str, Any] | None:
    """The round whose recognised lists are this round's start (see the module docstring)."""
    if review_round["kind"] == "annual":
        sql = (
            "SELECT * FROM review_rounds WHERE province_code = ? AND kind = 'annual'"
            " AND year < ? ORDER BY year DESC, id DESC LIMIT 1"
        )
        args = [review_round["province_code"], review_round["year"]]
    else:
        sql = (
            "SELECT * FROM review_rounds WHERE province_code = ? AND id != ? AND"
            " (year < ? OR (year = ? AND id < ?)) ORDER BY year DESC, id DESC LIMIT 1"
        )
        args = [
            review_round["province_code"],
            review_round["id"],
            review_round["year"],
            review_round["year"],
            review_round["id"],
        ]
    rows = list(db.query(sql, args))
    return rows[0] if rows else None


def _start_list(db, previous: dict | None, commune_code: str) -> dict[str, dict]:
    if previous is None:
        return {}
    return {
        row["household_id"]: row
        for row in db.query(
            "SELECT * FROM review_recognised WHERE round_id = ? AND commune_code = ?"
            " AND final_class IN ('poor', 'near_poor')",
            [previous["id"], commune_code],
        )
    }


def _ever(db, review_round: dict, household_ids: list[str]) -> dict[str, set[str]]:
    """Classes each household was recognised with in earlier years' rounds."""
    found: dict[str, set[str]] = {}
    earlier = db.execute(
        "SELECT 1 FROM review_recognised rr JOIN review_rounds r ON r.id = rr.round_id"
        " WHERE r.id != ? AND r.year <= ? LIMIT 1",
        [review_round["id"], review_round["year"]],
    ).fetchone()
    if earlier is None:  # no earlier lists at all: nothing to look up household by household
        return found
    for start in range(0, len(household_ids), 500):
        chunk = household_ids[start : start + 500]
        for household_id, klass in db.execute(
            "SELECT rr.household_id, rr.final_class FROM review_recognised rr JOIN review_rounds r"
            f" ON r.id = rr.round_id WHERE rr.household_id IN ({', '.join('?' * len(chunk))})"
            " AND r.id != ? AND r.year <= ?",
            [*chunk, review_round["id"], review_round["year"]],
        ):
            found.setdefault(household_id, set()).add(klass)
    return found


def categorise(db, review_round: dict[str, Any], commune_code: str) -> dict[str, Any]:
    """Households with their previous class and list categories, and the movement check
    (the province figures count the same over distinct situations: `movement_counts`)."""
    previous = previous_round(db, review_round)
    start = _start_list(db, previous, commune_code)
    rows = commune_households(db, review_round["id"], commune_code)
    ever = _ever(db, review_round, [r["household_id"] for r in rows])
    placed: dict[tuple, Placement] = {}  # few distinct inputs: each placed once
    never: frozenset[str] = frozenset()
    for row in rows:
        household_id = row["household_id"]
        prior = start.get(household_id) if start else None
        row["previous_class"] = previous = prior["final_class"] if prior else None
        past = frozenset(ever[household_id]) if household_id in ever else never
        key = (row["status"], row["final_class"], previous, past)
        found = placed.get(key)
        if found is None:
            found = placed[key] = placement(*key[:3], set(past))
        row["placement"] = found
        row["categories"] = list(found.categories)
    present = {row["household_id"] for row in rows}
    missing = sorted(set(start) - present)
    return {
        "previous_round": previous,
        "rows": rows,
        "missing": missing,
        "under_review": [row for row in rows if row["placement"].under_review],
        "movement": movement(rows, start),
    }


def _categories(final: str | None, previous: str | None, ever: set[str]) -> list[str]:
    found = [final] if final in ("poor", "near_poor") else []
    if previous == "poor" and final != "poor":
        found.append("exited_poor")
    if previous == "near_poor" and final != "near_poor":
        found.append("exited_near_poor")
    if final == "poor" and previous != "poor":
        listed_before = previous is None and "poor" in ever
        found.append("fell_back_poor" if listed_before else "new_poor")
    if final == "near_poor" and previous != "near_poor":
        listed_before = previous is None and bool(ever & {"poor", "near_poor"})
        found.append("fell_back_near_poor" if listed_before else "new_near_poor")
    return found


def movement(rows: list[dict], start: dict[str, dict]) -> dict[str, Any]:
    """start, exited, fell back, new and end for poor and near-poor, and whether they add up."""
    result = {}
    listed = Counter()  # households per list (a household is on each of its lists once)
    for r in rows:  # a row stands for `households` alike households (default one)
        for category in r["categories"]:
            listed[category] += r.get("households", 1)
    for klass in ("poor", "near_poor"):
        count = {c: listed[c] for c in (f"exited_{klass}", f"fell_back_{klass}", f"new_{klass}")}
        begin = sum(1 for s in start.values() if s["final_class"] == klass)
        # a household under review is on no list: not in the end count either
        end = listed[klass]
        expected = (
            begin - count[f"exited_{klass}"] + count[f"fell_back_{klass}"] + count[f"new_{klass}"]
        )
        result[klass] = {
            "start": begin,
            "exited": count[f"exited_{klass}"],
            "fell_back": count[f"fell_back_{klass}"],
            "new": count[f"new_{klass}"],
            "end": end,
            "balanced": end == expected,
        }
    result["poor_to_near_poor"] = sum(
        r.get("households", 1)
        for r in rows
        if r["previous_class"] == "poor" and "near_poor" in r["categories"]
    )
    result["under_review"] = sum(
        r.get("households", 1)
        for r in rows
        if r.get("placement") is not None and r["placement"].under_review
    )
    return result


def movement_counts(
    db, review_round: dict[str, Any], commune_code: str, households: list[tuple[str, str, str]]
) -> dict[str, Any]:
    """`categorise`'s "movement" and "missing" for the province figures, from the commune's
    (household id, status, final class) already read: the same `placement` and `movement`
    over the distinct situations, each counted, instead of a row per household (a commune of
    119,000 households has a few dozen situations)."""
    previous = previous_round(db, review_round)
    start = _start_list(db, previous, commune_code)
    ever = _ever(db, review_round, [household[0] for household in households])
    never: frozenset[str] = frozenset()
    situations: Counter = Counter()
    for household_id, status, final_class in households:
        prior = start.get(household_id) if start else None
        past = frozenset(ever[household_id]) if household_id in ever else never
        situations[(status, final_class, prior["final_class"] if prior else None, past)] += 1
    rows = []
    for (status, final_class, previous_class, past), count in situations.items():
        placed = placement(status, final_class, previous_class, set(past))
        rows.append(
            {
                "previous_class": previous_class,
                "placement": placed,
                "categories": list(placed.categories),
                "households": count,
            }
        )
    present = {household[0] for household in households}
    return {"missing": sorted(set(start) - present), "movement": movement(rows, start)}
