"""The JSON batch sync protocol, shared word for word by the client and the server.

Wire format (all bodies UTF-8 JSON; request bodies may be gzip with `Content-Encoding: gzip`;
auth is `Authorization: Bearer <device token>`):

POST /api/v1/submissions/batch
    {"items": [Item, ...]}                       at most MAX_BATCH_ITEMS items
    → 200 {"results": [Result, ...], "server_time": ISO}   one result per item, same order
    → 413 when the body is over the server's limit (the client halves the batch and retries)

    Item   = {"id": uuid, "household_id", "form_id", "form_version",
              "base": uuid | null,        # the submission this one edits (its id), if any
              "record": {canonical household record}}
    Result = {"id", "household_id", "outcome": accepted|duplicate|conflict|rejected,
              "version": int | null,      # household version the item became (accepted/duplicate)
              "classification": str | null,
              "errors": [FieldError dict, ...],        # rejected: why, per field (vi + en)
              "conflict": {"reason": str, "current_id": uuid | null} | null}

    The server stores each item at most once: same id + same content hash → `duplicate`
    (a harmless retry); same id + other content, or `base` that is not the household's current
    version → `conflict` (quarantined for a person to resolve). Each item commits on its own.

GET /api/v1/sync/pull?cursor=N[&limit=M]
    → 200 {"cursor": int, "has_more": bool, "changes": [Change, ...]}
    Change = {"seq": int, "kind": "assignment" | "decision", "household_id", "round",
              "data": {...}}  # assignment: last round's record to start from; decision: action, comment, by, at
    The cursor is the last `seq` seen; start from 0. Changes are those for the device's communes.

GET /api/v1/households/<household_id>  → the current server version: {"household_id", "version",
    "submission_id", "record", "classification"} (used to resolve a conflict by taking the server's).
GET /api/v1/me → {"user", "role", "communes": [...], "round": {...} | null}

Errors, everywhere in the JSON API: {"error": {"code", "message", "message_vi", "details"}}.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal, TypedDict

API_PREFIX = "/api/v1"
BATCH_PATH = f"{API_PREFIX}/submissions/batch"
PULL_PATH = f"{API_PREFIX}/sync/pull"
HOUSEHOLD_PATH = f"{API_PREFIX}/households/{{household_id}}"
ME_PATH = f"{API_PREFIX}/me"

MAX_BATCH_ITEMS = 500

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
CONFLICT = "conflict"
REJECTED = "rejected"
OUTCOMES = (ACCEPTED, DUPLICATE, CONFLICT, REJECTED)

Outcome = Literal["accepted", "duplicate", "conflict", "rejected"]


class Item(TypedDict):
    id: str
    household_id: str
    form_id: str
    form_version: str
    base: str | None
    record: dict[str, Any]


class Result(TypedDict, total=False):
    id: str
    household_id: str
    outcome: Outcome
    version: int | None
    classification: str | None
    errors: list[dict[str, Any]]
    conflict: dict[str, Any] | None


def canonical_json(value: Any) -> bytes:
    """Serialise so that equal content always gives equal bytes (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_hash(item: Item | dict[str, Any]) -> str:
    """sha256 of what makes two posts of one submission id "the same": record and base."""
    return hashlib.sha256(
        canonical_json({"record": item["record"], "base": item.get("base")})
    ).hexdigest()
