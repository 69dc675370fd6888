"""How a score's full result is stored (issue 16): zlib-compressed JSON in `scores.result`.

A score row keeps, in plain columns, what lists, filters and aggregates read — class,
deprivation count, the deprived indicators (`scores.deprivations`, a JSON array), provisional,
standard and version. The whole `Classification.to_dict()` (rule, income, every indicator's
facts and explanation) is read for one household at a time, so it is stored compressed:
≈ 7 KB of JSON become ≈ 2.3 KB. Every reader goes through `unpack_result`, which also reads
the plain-JSON text of rows written before migration m063.
"""

from __future__ import annotations

import json
import zlib
from typing import Any


def result_json(score: dict[str, Any]) -> str:
    """The result as JSON text, serialised the way it always was (ASCII escapes, str() for the
    odd non-JSON value)."""
    return json.dumps(score, default=str)


def pack_result(score: dict[str, Any]) -> bytes:
    """The stored form of a score's result: zlib (level 6) of its JSON."""
    return pack_result_json(result_json(score))


def pack_result_json(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), 6)


def unpack_result(stored: bytes | str) -> dict[str, Any]:
    """The result dict from `scores.result`: a zlib BLOB, or JSON text (rows before m063)."""
    if isinstance(stored, bytes):
        stored = zlib.decompress(stored).decode("utf-8")
    return json.loads(stored)


def deprivations_json(score: dict[str, Any]) -> str | None:
    """`scores.deprivations`: the deprived indicators' ids as a compact JSON array (what
    SQLite's json_extract gives), None when the result has none."""
    found = score.get("deprivations")
    return None if found is None else json.dumps(found, separators=(",", ":"))
