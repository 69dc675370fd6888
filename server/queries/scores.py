"""Scores beside the official ones: re-score a whole round under another standard.

Raw submissions and the official (on-arrival) scores are never touched; each simulated score is
a row with `official = 0` for the household's current version, standard and mode.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import sqlite_utils

from server import scoring_adapter
from server.db import transaction
from server.ingest import insert_score
from server.queries.rounds import RoundError, get_round

CHUNK = 500  # households per transaction


def rescore_round(
    db: sqlite_utils.Database,
    round_label: str,
    standard: str,
    *,
    mode: str = "income",
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Score every current household of the round under `standard`; returns class counts.

    `on_progress(done, total)` is called after each chunk. Raises RoundError for an unknown
    round, or when asked to overwrite the round's own official standard.
    """
    review_round = get_round(db, round_label)
    if review_round is None:
        raise RoundError(f"no round {round_label!r}")
    if standard == review_round["standard"] and mode == "income":
        raise RoundError(f"{standard} is the official standard of {round_label}; pick another")
    scoring_adapter.standard(standard)  # fail before any work when the standard is unknown
    rows = db.execute(
        "SELECT household_id, version, record FROM households WHERE round_id = ?"
        " ORDER BY household_id",
        [review_round["id"]],
    ).fetchall()
    counts: dict[str, int] = {}
    for start in range(0, len(rows), CHUNK):
        scored = []
        for household_id, version, record_json in rows[start : start + CHUNK]:
            score = scoring_adapter.classify(json.loads(record_json), standard, mode=mode)
            counts[score.get("classification")] = counts.get(score.get("classification"), 0) + 1
            scored.append((household_id, version, score))
        with transaction(db) as conn:
            for household_id, version, score in scored:
                insert_score(conn, review_round["id"], household_id, version, score, official=False)
        if on_progress:
            on_progress(min(start + CHUNK, len(rows)), len(rows))
    return counts


def score_counts(db: sqlite_utils.Database, round_label: str) -> list[dict]:
    """Households per (standard, mode, official, classification) in the round's current versions."""
    return list(
        db.query(
            "SELECT s.standard, s.mode, s.official, s.classification, count(*) AS households"
            " FROM scores s JOIN households h ON h.round_id = s.round_id"
            " AND h.household_id = s.household_id AND h.version = s.household_version"
            " JOIN review_rounds r ON r.id = s.round_id WHERE r.label = ?"
            " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3 DESC, 4",
            [round_label],
        )
    )
