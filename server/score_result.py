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

Format 0 is a *summary*: the score of a policy simulation (`povcensus rescore`) keeps only its
rule and income per person beside the columns, as compact JSON after the byte 0. Its full
explanation is recomputed on demand from the household version's stored record under the
same standard (scoring is deterministic): storing it would cost ≈ 650 B and ≈ 300 µs per
household and simulation, for text nobody reads for most of them (issue 16).
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
SUMMARY_KEYS = ("rule", "income_per_capita_month")


def pack_summary(score: dict[str, Any]) -> bytes:
    """The stored form of a score without its explanation: its rule and income per person."""
    kept = {key: score.get(key) for key in SUMMARY_KEYS}
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
