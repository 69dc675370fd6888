"""The JSON sync API under /api/v1 — wire format fixed in `offline_sync.protocol`.

Views parse the request, authenticate the device token, call query/ingest functions and
serialise; no SQL here. Every error is the one JSON shape of `server.errors`.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from marshmallow import ValidationError

from offline_sync.protocol import (
    API_PREFIX,
    MAX_BATCH_ITEMS,
    canonical_json,
)
from server import openapi
from server.db import get_db, utcnow
from server.errors import ApiError, register_handlers
from server.ingest import Submission, field_error, ingest_many, rejected
from server.queries import households as household_queries
from server.queries import rounds as round_queries
from server.queries.users import commune_scope, user_for_token
from server.schemas import ItemSchema

bp = Blueprint("api", __name__, url_prefix=API_PREFIX)
_item_schema = ItemSchema()
_SQLITE_MAX_INT = 2**63 - 1


@bp.record_once
def _setup(state) -> None:
    register_handlers(state.app, API_PREFIX)


@bp.before_request
def _authenticate() -> None:
    if request.endpoint == "api.openapi_document":
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = user_for_token(get_db(), token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        raise ApiError("unauthorized")
    g.user = user


# --- request bodies -----------------------------------------------------------------------


def read_json() -> Any:
    """The request body as JSON: application/json, optionally gzip; precise 400/413/415."""
    if request.mimetype != "application/json":
        raise ApiError("unsupported_media_type")
    raw = request.get_data(cache=False)  # werkzeug raises 413 above MAX_CONTENT_LENGTH
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding == "gzip":
        raw = _gunzip(raw, current_app.config["MAX_JSON_BYTES"])
    elif encoding not in ("identity", ""):
        raise ApiError("unsupported_media_type")
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        reason = f"{error.msg} at line {error.lineno}, column {error.colno}"
        raise ApiError("malformed_json", reason=reason) from error
    except UnicodeDecodeError as error:
        raise ApiError("malformed_json", reason="the body is not UTF-8") from error
    except RecursionError as error:
        raise ApiError("malformed_json", reason="nested too deeply") from error
    except ValueError as error:
        raise ApiError("malformed_json", reason=str(error)) from error


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _gunzip(raw: bytes, limit: int) -> bytes:
    """Decompress, refusing more than `limit` bytes of output (a gzip bomb is a 413, not OOM)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(raw, limit + 1)
    except zlib.error as error:
        raise ApiError("malformed_gzip") from error
    if len(data) > limit:
        raise ApiError("payload_too_large", limit=limit)
    if not inflater.eof:
        raise ApiError("malformed_gzip")
    return data


# --- endpoints ----------------------------------------------------------------------------


@bp.post("/submissions/batch")
def push_batch():
    """Store a batch of submissions; one result per item, in order (see the protocol)."""
    body = read_json()
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise ApiError("invalid_request", reason='expected an object {"items": [...]}')
    items = body["items"]
    if len(items) > MAX_BATCH_ITEMS:
        raise ApiError("payload_too_large", limit=f"{MAX_BATCH_ITEMS} items")
    province = current_app.config["PROVINCE"]
    scope = commune_scope(get_db(), g.user, province)
    current_round = round_queries.open_round_for(get_db(), province)
    results: list[dict[str, Any] | None] = []
    subs: list[tuple[int, Submission]] = []
    for item in items:
        checked = _check_item(item)
        results.append(checked if isinstance(checked, dict) else None)
        if not isinstance(checked, dict):
            subs.append((len(results) - 1, checked))
    outcomes = ingest_many(
        get_db(),
        [sub for _index, sub in subs],
        province=province,
        scope=scope,
        open_round=current_round,
    )
    for (index, _sub), outcome in zip(subs, outcomes, strict=True):
        results[index] = outcome.to_result()
    return jsonify({"results": results, "server_time": utcnow()})


def _check_item(item: Any) -> dict[str, Any] | Submission:
    """One batch item through the envelope check: its Submission, or its protocol Result."""
    if not isinstance(item, dict):
        message = ("Each item must be a JSON object", "Mỗi mục phải là một đối tượng JSON")
        return rejected(None, None, field_error(None, "", "invalid_item", *message)).to_result()
    try:
        loaded = _plain_item(item) or _item_schema.load(item)
    except ValidationError as error:
        return _invalid_item(item, error).to_result()
    payload, sha256 = _payload_and_hash(loaded)
    return Submission(
        instance_id=loaded["id"],
        form_id=loaded["form_id"],
        form_version=loaded["form_version"],
        record=loaded["record"],
        payload=payload,
        sha256=sha256,
        format="json",
        user=g.user,
        household_id=loaded["household_id"],
        base_id=loaded["base"],
    )


def _invalid_item(item: dict[str, Any], error: ValidationError):
    """`rejected`, with one FieldError per envelope field marshmallow refused."""
    item_id = item.get("id") if isinstance(item.get("id"), str) else None
    household_id = item.get("household_id")
    household_id = household_id if isinstance(household_id, str) else None
    errors = []
    for path, messages in _flatten(error.messages):
        text = "; ".join(map(str, messages))
        errors.append(
            field_error(
                household_id,
                path,
                "invalid_item",
                f"Invalid item field: {text}",
                f"Trường của mục gửi không hợp lệ: {text}",
            )
        )
    return rejected(item_id, household_id, *errors)


_ITEM_TEXT_FIELDS = ("id", "household_id", "form_id", "form_version")


def _plain_item(item: dict[str, Any]) -> dict[str, Any] | None:
    """The item as ItemSchema would load it, when it is plainly valid (the common case, without
    marshmallow's per-field cost); None sends it through ItemSchema for precise errors."""
    texts = [item.get(name) for name in _ITEM_TEXT_FIELDS]
    base = item.get("base")
    if not all(isinstance(text, str) and 0 < len(text) <= 128 for text in texts):
        return None
    if not (base is None or (isinstance(base, str) and 0 < len(base) <= 128)):
        return None
    if not isinstance(item.get("record"), dict):
        return None
    return {
        **dict(zip(_ITEM_TEXT_FIELDS, texts, strict=True)),
        "base": base,
        "record": item["record"],
    }


def _payload_and_hash(item: dict[str, Any]) -> tuple[str, str]:
    """The item as canonical JSON (what is stored) and its protocol content hash, serialising
    the record once: canonical JSON sorts keys, so "record" comes last in both texts."""
    record = canonical_json(item["record"]).decode()
    envelope = {key: item[key] for key in ("base", "form_id", "form_version", "household_id", "id")}
    payload = canonical_json(envelope).decode()[:-1] + ',"record":' + record + "}"
    hashed = '{"base":' + canonical_json(item["base"]).decode() + ',"record":' + record + "}"
    return payload, hashlib.sha256(hashed.encode()).hexdigest()


def _flatten(messages: Any, prefix: str = "") -> list[tuple[str, list]]:
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            out += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    return [(prefix, messages if isinstance(messages, list) else [messages])]


@bp.get("/sync/pull")
def pull():
    """Changes for the device's communes after `cursor` (assignments, review decisions)."""
    cursor = _int_arg("cursor", 0, minimum=0)
    limit = min(
        _int_arg("limit", current_app.config["PULL_LIMIT"], minimum=1),
        current_app.config["PULL_LIMIT"],
    )
    scope = commune_scope(get_db(), g.user, current_app.config["PROVINCE"])
    changes = household_queries.changes_since(get_db(), scope, cursor, limit + 1)
    has_more = len(changes) > limit
    changes = changes[:limit]
    last = changes[-1]["seq"] if changes else cursor
    return jsonify({"cursor": last, "has_more": has_more, "changes": changes})


def _int_arg(name: str, default: int, *, minimum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError("invalid_request", reason=f"{name} must be an integer") from None
    if value < minimum or value > _SQLITE_MAX_INT:
        raise ApiError(
            "invalid_request", reason=f"{name} must be between {minimum} and {_SQLITE_MAX_INT}"
        )
    return value


@bp.get("/households/<household_id>")
def get_household(household_id: str):
    """The household's current server version (to resolve a conflict by taking it)."""
    db = get_db()
    label = request.args.get("round")
    found = household_queries.get_household(db, household_id, round_label=label)
    scope = commune_scope(db, g.user, current_app.config["PROVINCE"])
    # Another commune's household answers exactly like an unknown one: ids cannot be probed.
    if found is None or found["commune_code"] not in scope:
        raise ApiError("not_found", reason=f"household {household_id}")
    return jsonify(
        {
            key: found[key]
            for key in (
                "household_id",
                "round",
                "version",
                "submission_id",
                "record",
                "classification",
            )
        }
    )


@bp.get("/me")
def me():
    db = get_db()
    province = current_app.config["PROVINCE"]
    current_round = round_queries.open_round_for(db, province)
    return jsonify(
        {
            "user": g.user.username,
            "role": g.user.role,
            "communes": list(commune_scope(db, g.user, province)),
            "round": {k: current_round[k] for k in ("label", "year", "kind", "standard", "status")}
            if current_round
            else None,
        }
    )


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3 description of this API (no token needed)."""
    return jsonify(openapi.document(current_app))
