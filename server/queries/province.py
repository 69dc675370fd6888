"""Province figures per commune and round: computed once per change of the round, then stored.

`commune_table(db, review_round)` is what the dashboard and the official tables read. Rows are
stored per round × commune in `province_aggregates`, each with the commune's *change stamp* at
the time it was computed; a page view compares the stored stamps with the current ones
(`commune_stamps`: three grouped, indexed look-ups) and recomputes only the communes whose stamp
moved — a decision in one commune recomputes that commune, not the province. A commune's stamp
moves whenever anything its figures depend on moves:

- a new household or household version (ingest, quarantine resolution): count and sum of
  versions of its households in the round;
- a commune decision, override, meeting or recognition: its last `review_events` id in the round;
- the previous round's recognised lists (the movement's start): their row count for the commune.

Each commune row holds the class counts by *final* class (the commune's override applied) and,
beside them, by *computed* class (`<class>_computed`) and the number of overrides, the
deprivation counts and rates per indicator (via `maps.aggregate.commune_aggregates`), MPI
(H, A, M0 from the global-MPI analysis standard), poor / near-poor households by the head's
ethnicity (`eth_<code>_<class>`) and the movement of poor and near-poor households
(`mv_<class>_<start|exited|fell_back|new|end>`, `mv_<class>_balanced`) from the review's
`categorise`.
"""

from __future__ import annotations

import json
import math
import threading
import time
from typing import Any

import numpy as np
import pandas as pd
import sqlite_utils

from server.db import transaction, utcnow
from server.household_rows import record_of
from server.queries.review import DECISION_JOIN, FINAL_CLASS_SQL, STATUS_SQL

CLASSES = ("poor", "near_poor", "average", "not_poor")
ETHNICITIES = ("kinh", "tay", "thai", "muong", "khmer", "hmong", "nung", "dao", "chut", "other")
MOVEMENT_KEYS = ("start", "exited", "fell_back", "new", "end")
_compute_lock = threading.Lock()  # one recomputation at a time per process


# --- the change stamp ---------------------------------------------------------------------


def commune_stamps(db: sqlite_utils.Database, review_round: dict[str, Any]) -> dict[str, str]:
    """Per commune, a string that changes whenever that commune's figures may change."""
    round_id = review_round["id"]
    stamps: dict[str, list[str]] = {}
    for code, writes in db.execute(  # bumped with every household write (server.db m067)
        "SELECT commune_code, writes FROM household_writes WHERE round_id = ?", [round_id]
    ):
        stamps.setdefault(code, []).append(f"h{writes}")
    for code, last in db.execute(
        "SELECT commune_code, max(id) FROM review_events WHERE round_id = ?"
        " AND commune_code IS NOT NULL GROUP BY commune_code",
        [round_id],
    ):
        stamps.setdefault(code, []).append(f"e{last}")
    previous = previous_round(db, review_round)
    if previous is not None:
        for code, count in db.execute(
            "SELECT commune_code, count(*) FROM review_recognised WHERE round_id = ?"
            " GROUP BY commune_code",
            [previous["id"]],
        ):
            stamps.setdefault(code, []).append(f"s{count}")
    return {code: ":".join(parts) for code, parts in stamps.items()}


def change_stamp(db: sqlite_utils.Database, review_round: dict[str, Any]) -> str:
    """One string for the whole round (changes when any commune's stamp changes)."""
    return _round_stamp(commune_stamps(db, review_round))


def previous_round(db: sqlite_utils.Database, review_round: dict[str, Any]) -> dict | None:
    """The round whose recognised lists are this round's start (the review's rule)."""
    from server.queries.review_commune import previous_round as review_previous

    return review_previous(db, review_round)


# --- reading the round's households -------------------------------------------------------


def household_frame(
    db: sqlite_utils.Database, round_id: int, communes: list[str] | None = None
) -> pd.DataFrame:
    """One row per current household: codes, computed and final class, status, deprivations,
    head's ethnicity, area, members; plus `mpi_c` (global MPI deprivation score) when known.

    Reads the households' plain columns (server.db m069), not their records; the MPI score of
    a household version is computed once from its record and kept (`household_mpi`)."""
    rows = db.execute(
        "SELECT h.household_id, h.commune_code, h.classification, "
        f"{FINAL_CLASS_SQL}, {STATUS_SQL}, s.deprivations, h.head_ethnicity, h.area,"
        " h.member_count, m.c_i, h.version"
        f" FROM households h{DECISION_JOIN}"
        " LEFT JOIN scores s ON s.round_id = h.round_id AND s.household_id = h.household_id"
        " AND s.household_version = h.version AND s.official = 1"
        " LEFT JOIN household_mpi m ON m.round_id = h.round_id"
        " AND m.household_id = h.household_id AND m.version = h.version"
        " WHERE h.round_id = ?"
        + (f" AND h.commune_code IN ({', '.join('?' * len(communes))})" if communes else "")
        + " ORDER BY h.household_id",
        [round_id, *(communes or [])],
    ).fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [()] * 11

    def text(values) -> np.ndarray:  # object arrays: pandas takes them as they are (4× faster)
        return np.array(values, dtype=object)

    frame = pd.DataFrame(
        {
            "household_id": text(columns[0]),
            "commune_code": text(columns[1]),
            "computed_class": text(columns[2]),
            "classification": text(columns[3]),
            "status": text(columns[4]),
            "deprivations": text(_space_separated(columns[5])),
            # Official tables count a household by its head's ethnicity.
            "ethnicity": text([value or "other" for value in columns[6]]),
            "area": text(columns[7]),
            "n_members": list(columns[8]),
        },
        copy=False,
    )
    mpi = [r[9] for r in rows]
    missing = [i for i, value in enumerate(mpi) if value is None]
    if missing:
        computed = _cache_mpi(db, round_id, [(rows[i][0], rows[i][10]) for i in missing])
        for i in missing:
            mpi[i] = computed.get(rows[i][0])
    if rows and all(value is not None for value in mpi):
        frame["mpi_c"] = mpi
    return frame


def _space_separated(arrays: list[str | None]) -> list[str]:
    """Deprived ids as space-separated text from `scores.deprivations` JSON arrays; a commune
    has a few hundred distinct patterns among its households, so each is parsed once."""
    parsed: dict[str | None, str] = {None: "", "": ""}
    out = []
    for text in arrays:
        if text not in parsed:
            parsed[text] = " ".join(json.loads(text))
        out.append(parsed[text])
    return out


def _cache_mpi(db, round_id: int, versions: list[tuple[str, int]]) -> dict[str, float]:
    """Compute and keep the MPI c_i of these (household, version)s from their records."""
    found: dict[str, float] = {}
    for start in range(0, len(versions), 20_000):
        chunk = dict(versions[start : start + 20_000])
        marks = ", ".join("?" * len(chunk))
        records = [
            record_of(stored)
            for household_id, version, stored in db.execute(
                "SELECT household_id, version, record FROM households WHERE round_id = ?"
                f" AND household_id IN ({marks})",
                [round_id, *chunk],
            )
            if chunk.get(household_id) == version
        ]
        scores = _mpi_scores(records)
        if scores is None:
            return found  # logged; the figures stand without the MPI
        rows = [
            (round_id, record["household_id"], chunk[record["household_id"]], score)
            for record, score in zip(records, scores, strict=True)
        ]
        with transaction(db) as conn:
            conn.executemany("INSERT OR REPLACE INTO household_mpi VALUES (?, ?, ?, ?)", rows)
        found.update({row[1]: row[3] for row in rows})
    return found


def _mpi_scores(records: list[dict[str, Any]]) -> list[float] | None:
    """Global-MPI c_i per household (vectorised), or None when it cannot be computed."""
    if not records:
        return None
    try:
        from scoring.mpi import mpi_tables
        from survey_forms.tables import households_to_tables

        households_df, members_df = households_to_tables(records)
        return list(mpi_tables(households_df, members_df)["c_i"].astype(float))
    except Exception:  # noqa: BLE001 — MPI is an analysis layer; the legal figures stand without it
        import logging

        logging.getLogger(__name__).exception("MPI could not be computed")
        return None


def round_indicators(review_round: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(id, Vietnamese label, English label) of the round's standard's indicators, in order."""
    from server import scoring_adapter

    standard = scoring_adapter.standard(review_round["standard"])
    return [(ind.id, ind.label_vi, ind.label_en) for ind in standard.indicators]


def is_provisional(review_round: dict[str, Any]) -> bool:
    from server import scoring_adapter

    return bool(scoring_adapter.standard(review_round["standard"]).provisional)


# --- computing the aggregates ---------------------------------------------------------------


def compute_aggregates(
    db: sqlite_utils.Database, review_round: dict[str, Any], communes: list[str] | None = None
) -> pd.DataFrame:
    """Commune figures of the round (of `communes`, default all) from their households.

    Communes are computed in groups of at most `AGGREGATE_GROUP` households: a round of
    millions never sits in memory at once (each household's record is parsed for the MPI)."""
    only = f" AND commune_code IN ({', '.join('?' * len(communes))})" if communes else ""
    sizes = dict(  # of the asked communes only: counting a round of millions takes ≈ 0.3 s
        db.execute(
            f"SELECT commune_code, count(*) FROM households WHERE round_id = ?{only} GROUP BY 1",
            [review_round["id"], *(communes or [])],
        ).fetchall()
    )
    wanted = sorted(sizes) if communes is None else [c for c in communes if c in sizes]
    groups: list[list[str]] = [[]]
    for code in wanted:
        if groups[-1] and sum(sizes[c] for c in groups[-1]) + sizes[code] > AGGREGATE_GROUP:
            groups.append([])
        groups[-1].append(code)
    tables = [_compute_group(db, review_round, group) for group in groups if group]
    if not tables:
        return pd.DataFrame(columns=["commune_code", "households"])
    return pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]


AGGREGATE_GROUP = 100_000  # households per group of communes computed at once


def _compute_group(
    db: sqlite_utils.Database, review_round: dict[str, Any], communes: list[str]
) -> pd.DataFrame:
    from maps.aggregate import commune_aggregates as maps_aggregates

    frame = household_frame(db, review_round["id"], communes)
    indicators = [ind for ind, _vi, _en in round_indicators(review_round)]
    if frame.empty:
        return pd.DataFrame(columns=["commune_code", "households"])
    # one flag per indicator, from each distinct pattern of deprivations (not each household)
    codes, patterns = pd.factorize(frame["deprivations"])
    deprived = [set(ids.split()) for ids in patterns]
    for ind in indicators:
        frame[f"dep_{ind}"] = np.array([ind in ids for ids in deprived], dtype=bool)[codes]
    table = maps_aggregates(frame, indicators=indicators).set_index("commune_code")
    table = table.join(_computed_counts(frame)).join(_ethnicity_counts(frame))
    table = table.join(_movement(db, review_round, frame))
    return table.reset_index()


def _computed_counts(frame: pd.DataFrame) -> pd.DataFrame:
    counts = pd.crosstab(frame["commune_code"], frame["computed_class"])
    out = pd.DataFrame(index=counts.index)
    for klass in CLASSES:
        out[f"{klass}_computed"] = counts[klass] if klass in counts else 0
    # issue11, the review's list rule: households sent back are on no list ("đang rà soát lại")
    from server.queries.review_movement import DECIDED, UNDER_REVIEW

    by_status = pd.crosstab(frame["commune_code"], frame["status"]).reindex(counts.index)

    def households(statuses: tuple[str, ...]) -> pd.Series:
        present = [s for s in statuses if s in by_status]
        return by_status[present].sum(axis=1).astype(int) if present else 0

    out["overridden"] = households(("overridden",))
    out["decided"] = households(DECIDED)
    out["under_review"] = households(UNDER_REVIEW)
    return out


def _ethnicity_counts(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=sorted(frame["commune_code"].unique()))
    for klass in ("poor", "near_poor"):
        chosen = frame[frame["classification"] == klass]
        counts = pd.crosstab(chosen["commune_code"], chosen["ethnicity"])
        for eth in ETHNICITIES:
            column = counts[eth] if eth in counts else pd.Series(dtype=int)
            out[f"eth_{eth}_{klass}"] = column.reindex(out.index).fillna(0).astype(int)
    return out


def _movement(db, review_round: dict[str, Any], frame: pd.DataFrame) -> pd.DataFrame:
    """Per commune: start, exited, fell back, new, end for poor and near-poor (review's rules,
    over the households the frame already read)."""
    from server.queries.review_movement import movement_counts

    households: dict[str, list[tuple[str, str, str]]] = {}
    for household_id, code, status, final_class in zip(
        frame["household_id"].tolist(),
        frame["commune_code"].tolist(),
        frame["status"].tolist(),
        frame["classification"].tolist(),
        strict=True,
    ):
        households.setdefault(code, []).append((household_id, status, final_class))
    rows = {}
    for code in sorted(households):
        data = movement_counts(db, review_round, code, households[code])
        row = {"mv_missing": len(data["missing"])}
        for klass in ("poor", "near_poor"):
            moved = data["movement"][klass]
            row.update({f"mv_{klass}_{key}": moved[key] for key in MOVEMENT_KEYS})
            row[f"mv_{klass}_balanced"] = bool(moved["balanced"])
        row["mv_poor_to_near_poor"] = data["movement"]["poor_to_near_poor"]
        rows[code] = row
    return pd.DataFrame.from_dict(rows, orient="index")


# --- storing and reading ------------------------------------------------------------------


def store_aggregates(
    db: sqlite_utils.Database,
    review_round: dict[str, Any],
    stamps: dict[str, str],
    table: pd.DataFrame,
    seconds: float,
) -> None:
    """Replace the rows of the recomputed communes (and drop communes without households),
    and record the round's stamp."""
    round_id = review_round["id"]
    rows = [
        (
            round_id,
            str(row["commune_code"]),
            stamps.get(str(row["commune_code"]), ""),
            json.dumps(_plain(row), ensure_ascii=False),
        )
        for row in table.to_dict("records")
    ]
    with transaction(db) as conn:
        conn.executemany(
            "DELETE FROM province_aggregates WHERE round_id = ? AND commune_code = ?",
            [(round_id, r[1]) for r in rows],
        )
        stored = [
            c
            for (c,) in conn.execute(
                "SELECT commune_code FROM province_aggregates WHERE round_id = ?", [round_id]
            )
        ]
        gone = [(round_id, code) for code in stored if code not in stamps]
        conn.executemany(
            "DELETE FROM province_aggregates WHERE round_id = ? AND commune_code = ?", gone
        )
        conn.executemany("INSERT INTO province_aggregates VALUES (?, ?, ?, ?)", rows)
        households = conn.execute(
            "SELECT coalesce(sum(json_extract(data, '$.households')), 0) FROM province_aggregates"
            " WHERE round_id = ?",
            [round_id],
        ).fetchone()[0]
        conn.execute(
            "INSERT OR REPLACE INTO province_aggregate_runs VALUES (?, ?, ?, ?, ?)",
            [round_id, _round_stamp(stamps), utcnow(), round(seconds, 3), int(households)],
        )


def _round_stamp(stamps: dict[str, str]) -> str:
    import hashlib

    text = "|".join(f"{code}={stamps[code]}" for code in sorted(stamps))
    return f"{len(stamps)}c-" + hashlib.sha1(text.encode()).hexdigest()[:12]  # noqa: S324


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe values: numpy scalars to Python, NaN to null."""
    out = {}
    for key, value in row.items():
        if hasattr(value, "item"):
            value = value.item()
        if isinstance(value, float) and math.isnan(value):
            value = None
        out[key] = value
    return out


def stored_run(db: sqlite_utils.Database, round_id: int) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM province_aggregate_runs WHERE round_id = ?", [round_id]))
    return rows[0] if rows else None


def stored_aggregates(db: sqlite_utils.Database, round_id: int) -> pd.DataFrame:
    rows = [
        json.loads(data)
        for (data,) in db.execute(
            "SELECT data FROM province_aggregates WHERE round_id = ? ORDER BY commune_code",
            [round_id],
        )
    ]
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=["commune_code", "households"])


def stale_communes(
    db: sqlite_utils.Database, review_round: dict[str, Any]
) -> tuple[list[str], dict]:
    """(communes whose stored row is missing or out of date, current stamps) — or ([], …)
    with nothing to do; stored communes that no longer have households count as stale too."""
    stamps = commune_stamps(db, review_round)
    stored = dict(
        db.execute(
            "SELECT commune_code, stamp FROM province_aggregates WHERE round_id = ?",
            [review_round["id"]],
        ).fetchall()
    )
    changed = sorted(code for code, stamp in stamps.items() if stored.get(code) != stamp)
    gone = sorted(set(stored) - set(stamps))
    return changed + gone, stamps


def ensure_aggregates(db: sqlite_utils.Database, review_round: dict[str, Any]) -> pd.DataFrame:
    """The round's aggregates: stored rows whose commune stamp still matches are kept; only the
    communes that changed are recomputed (all of them the first time)."""
    stale, _stamps = stale_communes(db, review_round)
    if stale:
        with _compute_lock:
            stale, stamps = stale_communes(db, review_round)  # another thread may have done it
            if stale:
                started = time.perf_counter()
                changed = [code for code in stale if code in stamps]
                table = (
                    compute_aggregates(db, review_round, changed)
                    if changed
                    else pd.DataFrame(columns=["commune_code", "households"])
                )
                store_aggregates(db, review_round, stamps, table, time.perf_counter() - started)
    return stored_aggregates(db, review_round["id"])


def communes(db: sqlite_utils.Database, province: str) -> pd.DataFrame:
    """The province's communes (code, name, kind) in code order."""
    return pd.DataFrame(
        list(
            db.query(
                "SELECT code AS commune_code, name, kind FROM communes WHERE province_code = ?"
                " ORDER BY code",
                [province],
            )
        )
    )


def commune_table(
    db: sqlite_utils.Database, review_round: dict[str, Any], *, province: str
) -> pd.DataFrame:
    """Every commune of the province (also those without data) with the round's aggregates."""
    aggregates = ensure_aggregates(db, review_round)
    table = communes(db, province).merge(aggregates, on="commune_code", how="left")
    return table


def list_rounds(db: sqlite_utils.Database, province: str) -> list[dict[str, Any]]:
    """The province's rounds, newest first."""
    return list(
        db.query(
            "SELECT * FROM review_rounds WHERE province_code = ? ORDER BY year DESC, id DESC",
            [province],
        )
    )


def province_name(db: sqlite_utils.Database, province: str) -> str:
    row = db.execute(
        "SELECT province FROM communes WHERE province_code = ? AND province IS NOT NULL LIMIT 1",
        [province],
    ).fetchone()
    return row[0] if row else province


def report_inputs(
    db: sqlite_utils.Database, review_round: dict[str, Any], *, province: str
) -> tuple[pd.DataFrame, dict[str, Any], list[tuple[str, str, str]]]:
    """(commune table, meta for headings, indicators) — what `server.reports` lays out."""
    previous = previous_round(db, review_round)
    meta = {
        "round": review_round["label"],
        "standard": review_round["standard"],
        "provisional": is_provisional(review_round),
        "previous": previous["label"] if previous else None,
        "province_name": province_name(db, province),
        "generated_at": utcnow(),
    }
    table = commune_table(db, review_round, province=province)
    return table, meta, round_indicators(review_round)
