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


class Packer:
    """zlib with pinned preset dictionaries, one format byte first; new rows get the newest.

    Loading a 32 KB dictionary costs more than packing a record, so one compressor per format
    is primed once and copied for each use (a copy gives exactly the bytes a fresh one would).
    Level 3: half the time of level 6 for ≈ 12 % more bytes (issue 16); the level is not part
    of the stored format."""

    def __init__(self, dictionaries: dict[int, tuple[str, str]], what: str) -> None:
        self.dictionaries, self.what = dictionaries, what
        self.format = max(dictionaries)
        self._packers: dict[int, Any] = {}
        self._unpackers: dict[int, Any] = {}

    @cache  # noqa: B019 — a few module-level packers, kept for the process's life
    def dictionary(self, number: int) -> bytes:
        """The preset dictionary of format `number`, checked against its pinned sha256."""
        name, sha256 = self.dictionaries[number]
        data = (Path(__file__).parent / "data" / name).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise RuntimeError(f"{name} was changed: stored {self.what}s need it unchanged")
        return data

    def pack(self, data: bytes) -> bytes:
        if self.format not in self._packers:
            self._packers[self.format] = zlib.compressobj(
                3, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, self.dictionary(self.format)
            )
        packer = self._packers[self.format].copy()
        return bytes([self.format]) + packer.compress(data) + packer.flush()

    def unpack(self, stored: bytes) -> bytes:
        if not stored or stored[0] not in self.dictionaries:
            raise ValueError(f"unknown stored {self.what} format {stored[:1]!r}")
        if stored[0] not in self._unpackers:
            self._unpackers[stored[0]] = zlib.decompressobj(zdict=self.dictionary(stored[0]))
        unpacker = self._unpackers[stored[0]].copy()
        return unpacker.decompress(stored[1:]) + unpacker.flush()


_TEXTS = Packer(
    {
        1: (
            "record_dictionary_1.txt",
            "962299830cc25ecd4af34da65dcfe97dc7cbd02dccd6e2273917c2aa3b6fb499",
        )
    },
    "text",
)
dictionary = _TEXTS.dictionary


def pack_text(text: str | bytes) -> bytes:
    """Text (a JSON record or payload, an XML instance) in its stored form."""
    return _TEXTS.pack(text.encode("utf-8") if isinstance(text, str) else text)


def unpack_text(stored: bytes | str) -> str:
    """The text back from its stored form (plain text is returned as it is)."""
    return stored if isinstance(stored, str) else _TEXTS.unpack(stored).decode("utf-8")


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
