"""How a score's full result is stored (issue 16): compressed JSON in `scores.result`.

A score row keeps, in plain columns, what lists, filters and aggregates read — class,
deprivation count, the deprived indicators (`scores.deprivations`, a JSON array), provisional,
standard and version. The whole `Classification.to_dict()` (rule, income, every indicator's
facts and explanation) is read for one household at a time, so it is stored compressed with
zlib (level 3, server.packing.Packer) and a preset dictionary of typical results: ≈ 7 KB of
JSON become ≈ 0.6–0.7 KB (plain zlib gives ≈ 2.3 KB, and a row that size still fills a 4 KB
page alone).

Stored form: one format byte, then the zlib stream. Format 1 uses
`data/score_result_dictionary_1.txt` (results of synthetic households under vn-2016, vn-2027
and vn-2022, serialised as `result_json` does, last 32 KB). A dictionary is never edited once
shipped — its sha256 is pinned below, or rows written with it could not be read — a better
one is added as format 2. Every reader goes through `unpack_result`, which also reads the
plain-JSON text of rows written before migration m063.

Format 0 is a *summary*, what every score is stored as since issue 16's third step (official
scores at ingest, simulations of `povcensus rescore`): only its rule and income per person
beside the columns, as compact JSON after the byte 0 (≈ 80 B). The full result with its
explanation is recomputed on demand from the household version's stored record under the same standard
(scoring is deterministic; tested): storing it cost ≈ 650 B per score and ≈ 0.4 ms of ingest
per household (JSON and zlib) for text read one household at a time. Rows of format 1 (and
plain JSON) written before stay readable as they are.
"""

from __future__ import annotations

import json
from typing import Any

from server.packing import Packer

_RESULTS = Packer(
    {
        1: (
            "score_result_dictionary_1.txt",
            "4925b0a60a3ef8a86505cb2205255b2f7da9269c539895512d06925a21d55bb6",
        )
    },
    "score result",
)
dictionary = _RESULTS.dictionary


def result_json(score: dict[str, Any]) -> str:
    """The result as JSON text, serialised the way it always was (ASCII escapes, str() for the
    odd non-JSON value)."""
    return json.dumps(score, default=str)


def pack_result(score: dict[str, Any]) -> bytes:
    """The stored form of a score's result."""
    return pack_result_json(result_json(score))


def pack_result_json(text: str) -> bytes:
    return _RESULTS.pack(text.encode("utf-8"))


def unpack_result(stored: bytes | str) -> dict[str, Any]:
    """The full result dict from `scores.result`: a packed BLOB, or JSON text (rows before
    m063). A summary row has none: ValueError (see `is_summary`)."""
    if isinstance(stored, str):
        return json.loads(stored)
    if is_summary(stored):
        raise ValueError("a summary score keeps no explanation: recompute it from the record")
    return json.loads(_RESULTS.unpack(stored).decode("utf-8"))


SUMMARY = b"\x00"  # format byte of a summary result


def pack_summary(score: dict[str, Any]) -> bytes:
    """The stored form of a score without its explanation: its rule and income per person
    (of a full `classify` result, or of a batch one, `scoring_adapter.classify_many`)."""
    income = score.get("income_per_capita_month")
    if income is None and isinstance(score.get("income"), dict):
        income = score["income"].get("per_capita_month")
    kept = {"rule": score.get("rule"), "income_per_capita_month": income}
    return SUMMARY + json.dumps(kept, separators=(",", ":")).encode("ascii")


def is_summary(stored: bytes | str) -> bool:
    return isinstance(stored, bytes) and stored[:1] == SUMMARY


def unpack_summary(stored: bytes) -> dict[str, Any]:
    """{"rule", "income_per_capita_month"} of a summary row."""
    return json.loads(stored[1:])


def deprivations_json(score: dict[str, Any]) -> str | None:
    """`scores.deprivations`: the deprived indicators' ids as a compact JSON array (what
    SQLite's json_extract gives), None when the result has none."""
    found = score.get("deprivations")
    return None if found is None else json.dumps(found, separators=(",", ":"))


SCORE_COLUMNS = (
    "standard",
    "standard_version",
    "mode",
    "provisional",
    "classification",
    "deprivation_count",
    "result",
    "deprivations",
)


def score_columns(score: dict[str, Any]) -> tuple:
    """A score's values for the `scores` columns named in `SCORE_COLUMNS`, in that order: the
    one place that knows how a score (full or batch) is stored — ingest, the demo's bulk path
    and rescoring all write through it."""
    provisional = score.get("provisional")
    return (
        score.get("standard"),
        score.get("standard_version"),
        score.get("mode", "income"),
        None if provisional is None else int(bool(provisional)),
        score.get("classification"),
        score.get("deprivation_count"),
        pack_summary(score),
        deprivations_json(score),
    )
