"""The OpenAPI 3 document of the JSON sync API, built with apispec from `server.schemas`."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

from offline_sync.protocol import API_PREFIX
from server import schemas
from server.errors import ERRORS

_SCHEMAS = {
    "Item": schemas.ItemSchema,
    "Batch": schemas.BatchSchema,
    "Result": schemas.ResultSchema,
    "BatchResult": schemas.BatchResultSchema,
    "Pull": schemas.PullSchema,
    "Household": schemas.HouseholdSchema,
    "Me": schemas.MeSchema,
    "Error": schemas.ErrorSchema,
}


def _json(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


def _errors(*statuses: int) -> dict[str, Any]:
    responses = {}
    for status in statuses:
        codes = [code for code, (s, _en, _vi) in ERRORS.items() if s == status]
        responses[str(status)] = {"description": ", ".join(codes), "content": _json("Error")}
    return responses


def _ok(schema: str, description: str) -> dict[str, Any]:
    return {"200": {"description": description, "content": _json(schema)}}


def _paths() -> dict[str, dict[str, Any]]:
    auth_errors = (401,)
    return {
        "/submissions/batch": {
            "post": {
                "summary": "Push a batch of submissions; one result per item, in order",
                "requestBody": {"required": True, "content": _json("Batch")},
                "responses": _ok("BatchResult", "every item's outcome")
                | _errors(400, *auth_errors, 413, 415),
            }
        },
        "/sync/pull": {
            "get": {
                "summary": "Changes for this device's communes after the cursor",
                "parameters": [
                    {"name": "cursor", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                ],
                "responses": _ok("Pull", "a page of changes") | _errors(400, *auth_errors),
            }
        },
        "/households/{household_id}": {
            "get": {
                "summary": "The household's current server version",
                "parameters": [
                    {
                        "name": "household_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {"name": "round", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": _ok("Household", "current version") | _errors(*auth_errors, 404),
            }
        },
        "/me": {
            "get": {
                "summary": "Who this token belongs to, their communes and the open round",
                "responses": _ok("Me", "the device's user") | _errors(*auth_errors),
            }
        },
    }


def document(app: Flask) -> dict[str, Any]:
    """The OpenAPI document (built once per app)."""
    if "povcensus_openapi" not in app.extensions:
        app.extensions["povcensus_openapi"] = build_document()
    return app.extensions["povcensus_openapi"]


def build_document() -> dict[str, Any]:
    """The OpenAPI document as a dict (no app needed)."""
    spec = APISpec(
        title="povcensus sync API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "JSON batch sync (offline_sync.protocol). Errors: "
            '{"error": {"code", "message", "message_vi", "details"}}.'
        },
        servers=[{"url": API_PREFIX}],
        components={"securitySchemes": {"device": {"type": "http", "scheme": "bearer"}}},
        security=[{"device": []}],
    )
    for name, schema in _SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    for path, operations in _paths().items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
