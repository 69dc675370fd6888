"""OpenRosa 1.0 for ODK Collect, KoboCollect and Enketo: form list, form download, submissions.

What real clients depend on (architecture.md): every response carries `X-OpenRosa-Version: 1.0`
and `Date`; `HEAD /submission` answers 204 (401 with a Basic challenge when not authenticated);
`POST /submission` answers 201 (new), 202 (identical duplicate), 409 (conflict) and errors as an
`OpenRosaResponse` — never 200 or 204 to a POST.

Two ways to sign in, because Collect registers Basic credentials only for `https` URLs and never
sends them pre-emptively:

- **Token URL** (`key_bp`, the shape ODK Central uses for App Users): the server URL
  `<base>/key/<device token>` carries the device token in its path; everything under it answers
  without a challenge. Revoking the token or disabling the user stops it at once (each request
  looks the token up). Works over plain http on a commune LAN; the token is redacted from logs
  (`server.log_redaction`).
- **HTTP Basic** (`bp`) with the device token as password; the user name is the account's
  username or the device's name. Only over HTTPS (Collect refuses it over http).

Every absolute URL (formList, manifest, media) is built from `PUBLIC_URL` when set, else from the
request as waitress saw it (with `--trusted-proxy`, the proxy's `X-Forwarded-*`), and a URL
served under a token URL stays under it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
from email.utils import formatdate
from typing import Any
from xml.sax.saxutils import escape

from flask import Blueprint, Response, current_app, g, request, url_for

from server import scoring_adapter
from server.db import get_db, transaction, utcnow
from server.ingest import Submission, ingest
from server.multipart import MultipartError, Part, parse_multipart
from server.queries import forms as form_queries
from server.queries import tablet_media
from server.queries.rounds import open_round_for
from server.queries.users import User, commune_scope, user_for_token

bp = Blueprint("openrosa", __name__)
# The same views under a per-device token URL: /key/<token>/formList, /key/<token>/submission...
key_bp = Blueprint("openrosa_key", __name__, url_prefix="/key/<token>")

NS_RESPONSE = "http://openrosa.org/http/response"
NS_FORMLIST = "http://openrosa.org/xforms/xformsList"
NS_MANIFEST = "http://openrosa.org/xforms/xformsManifest"
XML_TYPE = "text/xml; charset=utf-8"


# --- the form we serve --------------------------------------------------------------------


def served_form() -> tuple[str, str, bytes, str]:
    """(form id, version, exact XForm bytes, "md5:<hex>") of this server's province."""
    return _province_form(current_app.config["PROVINCE"])


@functools.lru_cache(maxsize=4)
def _province_form(province: str) -> tuple[str, str, bytes, str]:
    """Built once per process and province: only the province's communes are in the form."""
    from survey_forms import xform

    form_id, form_version = scoring_adapter.form_identity()
    data = xform.build_xform(province=province)
    data = data.encode("utf-8") if isinstance(data, str) else data
    return form_id, form_version, data, "md5:" + hashlib.md5(data).hexdigest()  # noqa: S324


# --- responses ----------------------------------------------------------------------------


def _xml(body: str, status: int, **headers: str) -> Response:
    response = Response(
        '<?xml version="1.0" encoding="UTF-8"?>\n' + body, status=status, content_type=XML_TYPE
    )
    response.headers.update(headers)
    return response


def openrosa_message(status: int, text: str, *, nature: str = "error") -> Response:
    """An OpenRosaResponse with one message (Collect shows the text to the enumerator)."""
    body = (
        f'<OpenRosaResponse xmlns="{NS_RESPONSE}" items="0">'
        f'<message nature="{nature}">{escape(text)}</message></OpenRosaResponse>'
    )
    return _xml(body, status)


@bp.after_request
@key_bp.after_request
def _openrosa_headers(response: Response) -> Response:
    response.headers["X-OpenRosa-Version"] = "1.0"
    response.headers["Date"] = formatdate(usegmt=True)
    if (request.endpoint or "").rsplit(".", 1)[-1] == "submission":
        response.headers["X-OpenRosa-Accept-Content-Length"] = str(accept_content_length())
    return response


def accept_content_length() -> int:
    """What Collect may send in one POST: the setting, never more than the server accepts
    (MAX_CONTENT_LENGTH, the whole request body including the multipart framing)."""
    advertised = int(current_app.config["OPENROSA_ACCEPT_CONTENT_LENGTH"])
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    return min(advertised, int(limit)) if limit else advertised


@bp.errorhandler(413)
@key_bp.errorhandler(413)
def _too_large(_error) -> Response:
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    return openrosa_message(
        413, f"Bài gửi quá lớn (tối đa {limit} byte). / Submission too large (max {limit} bytes)."
    )


# --- authentication -----------------------------------------------------------------------


def _basic_user() -> User | None:
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, _, token = (
            base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        )
    except (ValueError, UnicodeDecodeError):
        return None
    user = user_for_token(get_db(), token)
    if user is None:
        return None
    names = {user.username, user.device_name or ""}
    if not any(hmac.compare_digest(username.encode(), name.encode()) for name in names if name):
        return None
    return user


@bp.before_request
def _authenticate():
    user = _basic_user()
    if user is None:
        response = openrosa_message(
            401, "Cần đăng nhập bằng mã thiết bị. / Sign in with your device token."
        )
        response.headers["WWW-Authenticate"] = 'Basic realm="povcensus", charset="UTF-8"'
        return response
    g.user = user
    return None


@key_bp.url_value_preprocessor
def _take_url_token(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    g.url_token = (values or {}).pop("token", None)


@key_bp.before_request
def _authenticate_url_token():
    """No challenge under a token URL: the token in the path is the credential. A wrong,
    revoked or expired token, or a disabled user, gets 403 (a challenge would make Collect ask
    for a password it must not need)."""
    if not current_app.config["OPENROSA_TOKEN_URLS"]:
        return openrosa_message(404, "Không có địa chỉ này. / Not found.")
    user = user_for_token(get_db(), g.get("url_token") or "")
    if user is None:
        return openrosa_message(
            403,
            "Mã thiết bị trong địa chỉ máy chủ không hợp lệ hoặc đã bị thu hồi; hãy quét lại mã QR"
            " mới. / The device token in the server URL is invalid or revoked; scan a new QR code.",
        )
    g.user = user
    return None


def absolute_url(endpoint: str, **values: Any) -> str:
    """An absolute URL of an OpenRosa view, as the tablet must call it: under the token URL
    when the request came through one; with PUBLIC_URL's scheme and host when set."""
    blueprint = request.blueprint or bp.name
    if blueprint == key_bp.name:
        values["token"] = g.url_token
    return public_base_url() + url_for(f"{blueprint}.{endpoint}", **values)


def public_base_url() -> str:
    """`PUBLIC_URL` without its trailing slash, else scheme://host of this request."""
    public = current_app.config.get("PUBLIC_URL")
    if public:
        return str(public).rstrip("/")
    return request.host_url.rstrip("/")


# --- form list, download, manifest --------------------------------------------------------


@bp.get("/formList")
def form_list() -> Response:
    """The forms this server takes. `?formID=` narrows the list to that form (an empty list
    for another id); other query parameters (`verbose`, `deviceID`) are ignored, as Collect
    expects."""
    form_id, version, _data, md5 = served_form()
    wanted = request.args.get("formID")
    if wanted and wanted != form_id:
        return _xml(f'<xforms xmlns="{NS_FORMLIST}"/>', 200)
    form_queries.record_served(get_db(), form_id, version, md5)
    download = absolute_url("form_download", form_id=form_id)
    manifest = absolute_url("form_manifest", form_id=form_id)
    body = (
        f'<xforms xmlns="{NS_FORMLIST}"><xform>'
        f"<formID>{escape(form_id)}</formID>"
        f"<name>Phiếu rà soát hộ nghèo, cận nghèo ({escape(version)})</name>"
        f"<version>{escape(version)}</version><hash>{md5}</hash>"
        f"<downloadUrl>{escape(download)}</downloadUrl>"
        f"<manifestUrl>{escape(manifest)}</manifestUrl>"
        "</xform></xforms>"
    )
    return _xml(body, 200)


@bp.get("/forms/<form_id>.xml")
def form_download(form_id: str) -> Response:
    served_id, version, data, md5 = served_form()
    if form_id != served_id:
        return openrosa_message(404, f"Không có biểu mẫu {form_id}. / No form {form_id}.")
    form_queries.record_served(get_db(), form_id, version, md5)
    return Response(data, status=200, content_type=XML_TYPE)


@bp.get("/forms/<form_id>/manifest")
def form_manifest(form_id: str) -> Response:
    """The form's media: last round's households of this user's communes (households.csv)."""
    if form_id != served_form()[0]:
        return openrosa_message(404, f"Không có biểu mẫu {form_id}. / No form {form_id}.")
    data = _households_csv()
    url = absolute_url("form_media", form_id=form_id, filename=tablet_media.HOUSEHOLDS_CSV)
    body = (
        f'<manifest xmlns="{NS_MANIFEST}"><mediaFile>'
        f"<filename>{tablet_media.HOUSEHOLDS_CSV}</filename>"
        f"<hash>md5:{hashlib.md5(data).hexdigest()}</hash>"  # noqa: S324 (OpenRosa's hash)
        f"<downloadUrl>{escape(url)}</downloadUrl>"
        "</mediaFile></manifest>"
    )
    return _xml(body, 200)


@bp.get("/forms/<form_id>/media/<filename>")
def form_media(form_id: str, filename: str) -> Response:
    if form_id != served_form()[0] or filename != tablet_media.HOUSEHOLDS_CSV:
        return openrosa_message(404, f"Không có tệp {filename}. / No file {filename}.")
    return Response(_households_csv(), status=200, content_type="text/csv; charset=utf-8")


def _households_csv() -> bytes:
    """Households assigned this round in the communes the signed-in user may submit for."""
    db, province = get_db(), current_app.config["PROVINCE"]
    review_round = open_round_for(db, province)
    communes = commune_scope(db, g.user, province)
    return tablet_media.households_csv(db, review_round and review_round["id"], communes)


# --- submissions --------------------------------------------------------------------------


@bp.route("/submission", methods=["HEAD", "POST"])
def submission() -> Response:
    if request.method == "HEAD":
        return Response(status=204)  # explicit: Flask would answer HEAD with the GET status
    try:
        parts = parse_multipart(request.content_type, request.get_data(cache=False))
    except MultipartError as error:
        return openrosa_message(400, f"Bài gửi không đúng dạng multipart. / {error}.")
    xml_parts = [part for part in parts if part.name == "xml_submission_file"]
    if not xml_parts:
        return openrosa_message(
            400,
            "Thiếu phần xml_submission_file. / The multipart part xml_submission_file is missing.",
        )
    parsed = _parse_instance(xml_parts[0].data)
    if isinstance(parsed, Response):
        return parsed
    problem = _check_attachments(parsed, parts)
    if problem is not None:
        return problem
    outcome = ingest(get_db(), parsed, province=current_app.config["PROVINCE"])
    return _answer(outcome, parsed, parts)


def _parse_instance(xml_bytes: bytes) -> Submission | Response:
    """The submission in the XML instance, or a 400/422 OpenRosaResponse saying what is wrong."""
    from survey_forms import InvalidHousehold, InvalidSubmission
    from survey_forms.xform import instance_to_household

    try:  # parses safely (no DTDs or entities) and checks the form id; ingest checks the
        # version against every version served, with the same error code as the JSON API
        household = instance_to_household(xml_bytes, check_version=False)
    except InvalidHousehold as invalid:
        return _rejected_response(_error_dicts(invalid))
    except InvalidSubmission as invalid:
        return openrosa_message(400, f"{invalid.message_vi} / {invalid.message_en}")
    except (ValueError, KeyError, TypeError) as error:
        return openrosa_message(
            400, f"Bài gửi không đọc được: {error}. / Unreadable instance: {error}."
        )
    meta = household.pop("meta", None) or {}
    instance_id = meta.get("instanceID") or meta.get("instance_id")
    if not instance_id:
        return openrosa_message(400, "Thiếu meta/instanceID. / meta/instanceID is missing.")
    return Submission(
        instance_id=instance_id,
        form_id=household["form_id"],
        form_version=meta.get("form_version") or "",
        record=household,
        payload=xml_bytes.decode("utf-8", errors="replace"),
        sha256=hashlib.sha256(xml_bytes).hexdigest(),
        format="xml",
        user=g.user,
        base_id=meta.get("deprecatedID") or meta.get("deprecated_id") or None,
    )


def _error_dicts(invalid: Exception) -> list[dict[str, Any]]:
    errors = getattr(invalid, "errors", None) or (invalid.args[0] if invalid.args else [])
    return [e.to_dict() if hasattr(e, "to_dict") else dict(e) for e in errors]


def _rejected_response(errors: list[dict[str, Any]], status: int = 422) -> Response:
    """One line per field error (path, code, Vietnamese / English), bounded like ingest's."""
    from server.ingest import MAX_LISTED_ERRORS

    lines = [_error_line(e) for e in errors[: MAX_LISTED_ERRORS + 1]]
    if len(errors) > MAX_LISTED_ERRORS + 1:  # ingest's lists are bounded already; parse errors not
        more = len(errors) - MAX_LISTED_ERRORS
        lines[MAX_LISTED_ERRORS:] = [f"... và {more} lỗi khác. / ... and {more} more errors."]
    return openrosa_message(status, "\n".join(lines) or "Bài gửi bị từ chối. / Rejected.")


def _error_line(error: dict[str, Any], limit: int = 300) -> str:
    line = (
        f"{error.get('path')} [{error.get('code')}]: "
        f"{error.get('message_vi')} / {error.get('message_en')}"
    )
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _answer(outcome, sub: Submission, parts: list[Part]) -> Response:
    if outcome.outcome == "rejected":
        return _rejected_response(outcome.errors, 403 if outcome.forbidden else 422)
    if outcome.outcome == "conflict":
        reason = outcome.conflict["reason"]
        return openrosa_message(
            409,
            f"Xung đột ({reason}): bài gửi được giữ lại để cán bộ xử lý. / "
            f"Conflict ({reason}): kept in quarantine for a person to resolve.",
        )
    added = _store_attachments(sub, parts)
    if outcome.outcome == "accepted" or added:
        return openrosa_message(
            201, "Đã nhận bài gửi. / Submission received.", nature="submit_success"
        )
    return openrosa_message(
        202, "Bài gửi này đã được nhận trước đó. / Already received.", nature="submit_success"
    )


# Attachments: only files the instance's media questions name (the questionnaire has none
# today, so none are taken), at most this many per instance, each at most this large.
MEDIA_TYPES = frozenset({"image", "audio", "video", "file", "binary"})
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def _file_parts(parts: list[Part]) -> list[Part]:
    return [p for p in parts if p.name not in ("xml_submission_file", "*isIncomplete*")]


def declared_media(record: dict[str, Any]) -> set[str]:
    """File names the record's media questions (image, audio, …) name."""
    from survey_forms.questionnaire import QUESTIONNAIRE, Group

    names: set[str] = set()

    def walk(items, values) -> None:
        for item in items:
            if isinstance(item, Group):
                inner = values if item.flatten else values.get(item.id)
                for entry in inner if isinstance(inner, list) else [inner]:
                    if isinstance(entry, dict):
                        walk(item.items, entry)
            elif item.type in MEDIA_TYPES and isinstance(values.get(item.id), str):
                names.add(values[item.id])

    walk(QUESTIONNAIRE.sections, record)
    return names


def _check_attachments(sub: Submission, parts: list[Part]) -> Response | None:
    """400 unless every file part is a declared attachment with a safe name, within the caps."""
    files = _file_parts(parts)
    if not files:
        return None
    declared = declared_media(sub.record)
    if len(files) > MAX_ATTACHMENTS:
        return openrosa_message(
            400,
            f"Quá nhiều tệp đính kèm ({len(files)}; tối đa {MAX_ATTACHMENTS})."
            f" / Too many attachments ({len(files)}; at most {MAX_ATTACHMENTS}).",
        )
    for part in files:
        name = part.filename or part.name
        if not _SAFE_NAME.fullmatch(name) or name not in declared:
            return openrosa_message(
                400,
                f"Tệp đính kèm {name[:100]!r} không thuộc câu hỏi ảnh/tệp nào của biểu mẫu."
                f" / Attachment {name[:100]!r} is not named by any media question of the form.",
            )
        if len(part.data) > MAX_ATTACHMENT_BYTES:
            return openrosa_message(
                400,
                f"Tệp {name!r} quá lớn (tối đa {MAX_ATTACHMENT_BYTES} byte)."
                f" / Attachment {name!r} is too large (max {MAX_ATTACHMENT_BYTES} bytes).",
            )
    return None


def _store_attachments(sub: Submission, parts: list[Part]) -> int:
    """Keep the declared file parts `_check_attachments` let through (the first copy of each
    name wins); returns how many are new."""
    files = _file_parts(parts)
    if not files:
        return 0
    added = 0
    with transaction(get_db()) as conn:
        for part in files:
            data = part.data
            cursor = conn.execute(
                "INSERT OR IGNORE INTO attachments (form_id, instance_id, name, content_type,"
                " sha256, size, data, received_at) VALUES (?,?,?,?,?,?,?,?)",
                [
                    sub.form_id,
                    sub.instance_id,
                    part.filename or part.name,
                    part.content_type,
                    hashlib.sha256(data).hexdigest(),
                    len(data),
                    data,
                    utcnow(),
                ],
            )
            added += cursor.rowcount
    return added


# --- the same views under a token URL ------------------------------------------------------

for _rule, _view, _methods in (
    ("/formList", form_list, ["GET"]),
    ("/forms/<form_id>.xml", form_download, ["GET"]),
    ("/forms/<form_id>/manifest", form_manifest, ["GET"]),
    ("/forms/<form_id>/media/<filename>", form_media, ["GET"]),
    ("/submission", submission, ["HEAD", "POST"]),
):
    key_bp.add_url_rule(_rule, _view.__name__, _view, methods=_methods)
