"""Scores beside the official ones: re-score a whole round under another standard.

Raw submissions and the official (on-arrival) scores are never touched; each simulated score is
a row with `official = 0` for the household's current version, standard and mode. A page of
households is scored at once by the vectorised batch scorer and stored as a summary (class,
deprivations, rule, income per person; server.score_result format 0): its explanation is
recomputed on demand (`server.queries.households.scores_for`).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import sqlite_utils

from server import scoring_adapter
from server.db import transaction, utcnow
from server.household_rows import record_of
from server.queries.rounds import RoundError, get_round
from server.score_result import SCORE_COLUMNS, score_columns

CHUNK = 2_000  # households per transaction (and per job of a scoring process)
PARALLEL_FROM = 20_000  # households from which scoring runs on a process pool


def rescore_round(
    db: sqlite_utils.Database,
    round_label: str,
    standard: str,
    *,
    mode: str = "income",
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Score every current household of the round under `standard`; returns class counts.

    Resumable: a household whose current version already has this standard's score (an
    earlier, interrupted run) is not scored again. Households are read in pages by id and
    scored on every core for a large round; each page is written in one transaction.
    `on_progress(done, total)` is called after each page. Raises RoundError for an unknown
    round, or when asked to overwrite the round's own official standard.
    """
    review_round = get_round(db, round_label)
    if review_round is None:
        raise RoundError(f"no round {round_label!r}")
    if standard == review_round["standard"] and mode == "income":
        raise RoundError(f"{standard} is the official standard of {round_label}; pick another")
    scoring_adapter.standard(standard)  # fail before any work when the standard is unknown
    round_id = review_round["id"]
    total = db.execute("SELECT count(*) FROM households WHERE round_id = ?", [round_id]).fetchone()
    total, done = total[0], _already_scored(db, round_id, standard, mode)
    if on_progress:
        on_progress(done, total)
    for rows in _scored_pages(db, round_id, standard, mode, parallel=total >= PARALLEL_FROM):
        with transaction(db) as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO scores (round_id, household_id, household_version,"
                f" official, scored_at, {', '.join(SCORE_COLUMNS)})"
                f" VALUES (?,?,?,0,?, {', '.join('?' * len(SCORE_COLUMNS))})",
                [(round_id, row[0], row[1], utcnow(), *row[2:]) for row in rows],
            )
        done += len(rows)
        if on_progress:
            on_progress(done, total)
    return _class_counts(db, round_id, standard, mode)


def _unscored_pages(db, round_id: int, standard: str, mode: str):
    """Pages of (household id, version, stored record) without this score yet, by id."""
    after = ""
    while True:
        rows = db.execute(
            "SELECT h.household_id, h.version, h.record FROM households h"
            " WHERE h.round_id = ? AND h.household_id > ? AND NOT EXISTS (SELECT 1 FROM"
            " scores s WHERE s.round_id = h.round_id AND s.household_id = h.household_id"
            " AND s.household_version = h.version AND s.standard = ? AND s.mode = ?)"
            " ORDER BY h.household_id LIMIT ?",
            [round_id, after, standard, mode, CHUNK],
        ).fetchall()
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def _scored_pages(db, round_id: int, standard: str, mode: str, *, parallel: bool):
    pages = _unscored_pages(db, round_id, standard, mode)
    workers = min(os.cpu_count() or 1, 4)
    if not parallel or workers < 2:
        for page in pages:
            yield score_rows(standard, mode, page)
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
        pending: deque = deque()
        for page in pages:
            pending.append(pool.submit(score_rows, standard, mode, page))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def score_rows(standard: str, mode: str, page: list[tuple]) -> list[tuple]:
    """Score rows (without round and time) for a page of (household id, version, record);
    runs in a worker process for large rounds. The page is scored in one batch; when the batch
    refuses (a household the standard cannot score), each household is scored alone, so the
    one at fault raises as it always did."""
    records = [record_of(stored) for _household_id, _version, stored in page]
    try:
        scores = scoring_adapter.classify_many(records, standard, mode=mode)
    except scoring_adapter.Unscorable:
        scores = [
            scoring_adapter.classify(record, standard, mode=mode, explained=False)
            for record in records
        ]
    return [
        (household_id, version, *score_columns(score))
        for (household_id, version, _stored), score in zip(page, scores, strict=True)
    ]


def _already_scored(db, round_id: int, standard: str, mode: str) -> int:
    return db.execute(
        "SELECT count(*) FROM households h JOIN scores s ON s.round_id = h.round_id"
        " AND s.household_id = h.household_id AND s.household_version = h.version"
        " WHERE h.round_id = ? AND s.standard = ? AND s.mode = ?",
        [round_id, standard, mode],
    ).fetchone()[0]


def _class_counts(db, round_id: int, standard: str, mode: str) -> dict[str, int]:
    """Households per class under this score, over the round's current versions."""
    return dict(
        db.execute(
            "SELECT s.classification, count(*) FROM households h JOIN scores s"
            " ON s.round_id = h.round_id AND s.household_id = h.household_id"
            " AND s.household_version = h.version"
            " WHERE h.round_id = ? AND s.standard = ? AND s.mode = ? GROUP BY 1",
            [round_id, standard, mode],
        ).fetchall()
    )


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
