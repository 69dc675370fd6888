"""How a score's full result is stored (issue 16): compressed JSON in `scores.result`.

A score row keeps, in plain columns, what lists, filters and aggregates read — class,
deprivation count, the deprived indicators (`scores.deprivations`, a JSON array), provisional,
standard and version. The whole `Classification.to_dict()` (rule, income, every indicator's
facts and explanation) is read for one household at a time, so it is stored compressed with
zlib and a preset dictionary of typical results: ≈ 7 KB of JSON become ≈ 0.4 KB (plain zlib
gives ≈ 2.3 KB, and a row that size still fills a 4 KB page alone).

Stored form: one format byte, then the zlib stream. Format 1 uses
`data/score_result_dictionary_1.txt` (results of synthetic households under vn-2016, vn-2027
and vn-2022, serialised as `result_json` does, last 32 KB). A dictionary is never edited once
shipped — its sha256 is pinned below, or rows written with it could not be read — a better
one is added as format 2. Every reader goes through `unpack_result`, which also reads the
plain-JSON text of rows written before migration m063.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from functools import cache
from pathlib import Path
from typing import Any

FORMAT = 1  # the format new rows are written in
_DICTIONARIES = {
    1: (
        "score_result_dictionary_1.txt",
        "4925b0a60a3ef8a86505cb2205255b2f7da9269c539895512d06925a21d55bb6",
    )
}


@cache
def dictionary(number: int) -> bytes:
    """The preset dictionary of format `number`, checked against its pinned sha256."""
    name, sha256 = _DICTIONARIES[number]
    data = (Path(__file__).parent / "data" / name).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise RuntimeError(f"{name} was changed: stored score results need it unchanged")
    return data


def result_json(score: dict[str, Any]) -> str:
    """The result as JSON text, serialised the way it always was (ASCII escapes, str() for the
    odd non-JSON value)."""
    return json.dumps(score, default=str)


def pack_result(score: dict[str, Any]) -> bytes:
    """The stored form of a score's result."""
    return pack_result_json(result_json(score))


@cache
def _primed_packer(number: int):
    # A copy of a compressor primed with the dictionary costs half a fresh one (and gives
    # exactly the same bytes).
    # Level 3: half the time of level 6 for ≈ 12 % more bytes (bench_storage, issue 16);
    # the level is not part of the stored format.
    return zlib.compressobj(3, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, dictionary(number))


@cache
def _primed_unpacker(number: int):
    return zlib.decompressobj(zdict=dictionary(number))


def pack_result_json(text: str) -> bytes:
    packer = _primed_packer(FORMAT).copy()
    return bytes([FORMAT]) + packer.compress(text.encode("utf-8")) + packer.flush()


def unpack_result(stored: bytes | str) -> dict[str, Any]:
    """The result dict from `scores.result`: a packed BLOB, or JSON text (rows before m063)."""
    if isinstance(stored, str):
        return json.loads(stored)
    if not stored or stored[0] not in _DICTIONARIES:
        raise ValueError(f"unknown stored score result format {stored[:1]!r}")
    unpacker = _primed_unpacker(stored[0]).copy()
    text = unpacker.decompress(stored[1:]) + unpacker.flush()
    return json.loads(text.decode("utf-8"))


def deprivations_json(score: dict[str, Any]) -> str | None:
    """`scores.deprivations`: the deprived indicators' ids as a compact JSON array (what
    SQLite's json_extract gives), None when the result has none."""
    found = score.get("deprivations")
    return None if found is None else json.dumps(found, separators=(",", ":"))
