"""What JSON API clients may send and receive: one marshmallow schema per entity.

Used to check each batch item's envelope (the household record itself is checked by
survey_forms) and to describe the API in `/api/v1/openapi.json`.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from offline_sync.protocol import MAX_BATCH_ITEMS, OUTCOMES

_ID = validate.Length(min=1, max=128)


class ItemSchema(Schema):
    """One submission in a batch (offline_sync.protocol.Item). Unknown keys are ignored, so
    that newer clients can add fields."""

    class Meta:
        unknown = EXCLUDE

    id = fields.String(required=True, validate=_ID, metadata={"description": "client UUID"})
    household_id = fields.String(required=True, validate=_ID)
    form_id = fields.String(required=True, validate=_ID)
    form_version = fields.String(required=True, validate=_ID)
    base = fields.String(
        load_default=None,
        allow_none=True,
        validate=_ID,
        metadata={"description": "id of the submission this one edits"},
    )
    record = fields.Dict(required=True, metadata={"description": "canonical household record"})


class BatchSchema(Schema):
    items = fields.List(
        fields.Nested(ItemSchema), required=True, validate=validate.Length(max=MAX_BATCH_ITEMS)
    )


class FieldErrorSchema(Schema):
    household_id = fields.String(allow_none=True)
    path = fields.String()
    code = fields.String()
    message_vi = fields.String()
    message_en = fields.String()


class ConflictSchema(Schema):
    reason = fields.String(metadata={"enum": ["id_reused", "stale_base", "unknown_base"]})
    current_id = fields.String(allow_none=True)


class ResultSchema(Schema):
    id = fields.String()
    household_id = fields.String(allow_none=True)
    outcome = fields.String(validate=validate.OneOf(OUTCOMES))
    version = fields.Integer(allow_none=True)
    classification = fields.String(allow_none=True)
    errors = fields.List(fields.Nested(FieldErrorSchema))
    conflict = fields.Nested(ConflictSchema, allow_none=True)


class BatchResultSchema(Schema):
    results = fields.List(fields.Nested(ResultSchema))
    server_time = fields.String()


class ChangeSchema(Schema):
    seq = fields.Integer()
    kind = fields.String(validate=validate.OneOf(["assignment", "decision"]))
    household_id = fields.String()
    round = fields.String(allow_none=True)
    data = fields.Dict()


class PullSchema(Schema):
    cursor = fields.Integer()
    has_more = fields.Boolean()
    changes = fields.List(fields.Nested(ChangeSchema))


class HouseholdSchema(Schema):
    household_id = fields.String()
    round = fields.String()
    version = fields.Integer()
    submission_id = fields.String()
    record = fields.Dict()
    classification = fields.String(allow_none=True)


class RoundSchema(Schema):
    label = fields.String()
    year = fields.Integer()
    kind = fields.String()
    standard = fields.String()
    status = fields.String()


class MeSchema(Schema):
    user = fields.String()
    role = fields.String()
    communes = fields.List(fields.String())
    round = fields.Nested(RoundSchema, allow_none=True)


class ErrorBodySchema(Schema):
    code = fields.String()
    message = fields.String()
    message_vi = fields.String()
    details = fields.Raw(allow_none=True)


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema)
