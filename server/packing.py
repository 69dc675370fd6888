"""How household records and raw submissions are stored compactly (issue 16).

A household's JSON record is ≈ 2.6 KB and an ODK instance ≈ 4 KB; zlib with a preset
dictionary of typical households packs either into ≈ 0.25–0.5 KB, and a row that size shares
its 4 KB page with others instead of filling one alone. Packing is lossless: a raw submission
unpacks to exactly the bytes received (its sha256 is kept beside it), so the submission stays
the verbatim source of truth.

Stored form: one format byte, then the zlib stream. Format 1 uses `data/record_dictionary_1.txt`
(built by `data/make_record_dictionary.py`). A shipped dictionary is never edited — its sha256
is pinned below, or rows written with it could not be read; a better one is added as format 2.
Readers accept plain text too: rows written before the packing migrations (m064, m065) and
rows converted while a migration was interrupted.
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
        "record_dictionary_1.txt",
        "962299830cc25ecd4af34da65dcfe97dc7cbd02dccd6e2273917c2aa3b6fb499",
    )
}


@cache
def dictionary(number: int) -> bytes:
    """The preset dictionary of format `number`, checked against its pinned sha256."""
    name, sha256 = _DICTIONARIES[number]
    data = (Path(__file__).parent / "data" / name).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise RuntimeError(f"{name} was changed: stored records need it unchanged")
    return data


@cache
def _primed_packer(number: int):
    # Loading a 32 KB dictionary costs more than packing a record: prime one compressor and
    # copy it for each use (a copy produces exactly the bytes a fresh one would).
    # Level 3: half the time of level 6 for ≈ 12 % more bytes (bench_storage, issue 16);
    # the level is not part of the stored format.
    return zlib.compressobj(3, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, dictionary(number))


@cache
def _primed_unpacker(number: int):
    return zlib.decompressobj(zdict=dictionary(number))


def pack_text(text: str | bytes) -> bytes:
    """Text (a JSON record or payload, an XML instance) in its stored form."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    packer = _primed_packer(FORMAT).copy()
    return bytes([FORMAT]) + packer.compress(data) + packer.flush()


def unpack_text(stored: bytes | str) -> str:
    """The text back from its stored form (plain text is returned as it is)."""
    if isinstance(stored, str):
        return stored
    if not stored or stored[0] not in _DICTIONARIES:
        raise ValueError(f"unknown stored text format {stored[:1]!r}")
    unpacker = _primed_unpacker(stored[0]).copy()
    return (unpacker.decompress(stored[1:]) + unpacker.flush()).decode("utf-8")


def record_json(record: dict[str, Any]) -> str:
    """A validated household record as stored: compact JSON, UTF-8 (not ASCII escapes, which
    make Vietnamese text 2–3 times longer)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def pack_record(record: dict[str, Any]) -> bytes:
    """`households.record`: the validated record, packed."""
    return pack_text(record_json(record))


def unpack_record(stored: bytes | str) -> dict[str, Any]:
    """The record dict from `households.record` (packed, or JSON text before m064)."""
    return json.loads(unpack_text(stored))
