"""One error shape for the JSON API: a registry of stable codes with Vietnamese and English text.

Every error the API answers is `{"error": {"code", "message", "message_vi", "details"}}`.
Raise `ApiError("code", details=..., **format_args)`; HTTP errors Flask raises itself (404,
405, 413, ...) are translated by `register_handlers` into the same shape for `/api/` paths.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

# code -> (HTTP status, English message, Vietnamese message); messages may use {placeholders}.
ERRORS: dict[str, tuple[int, str, str]] = {
    "malformed_json": (
        400,
        "The request body is not valid JSON: {reason}",
        "Nội dung yêu cầu không phải JSON hợp lệ: {reason}",
    ),
    "malformed_gzip": (
        400,
        "The request body is not valid gzip data",
        "Nội dung yêu cầu không phải dữ liệu gzip hợp lệ",
    ),
    "invalid_request": (
        400,
        "The request is not valid: {reason}",
        "Yêu cầu không hợp lệ: {reason}",
    ),
    "unauthorized": (
        401,
        "A valid device token is required (Authorization: Bearer <token>)",
        "Cần mã thiết bị hợp lệ (Authorization: Bearer <token>)",
    ),
    "forbidden": (
        403,
        "You may not access this: {reason}",
        "Bạn không có quyền truy cập: {reason}",
    ),
    "not_found": (404, "Not found: {reason}", "Không tìm thấy: {reason}"),
    "method_not_allowed": (
        405,
        "This method is not allowed here",
        "Phương thức này không được phép ở đây",
    ),
    "conflict": (409, "Conflict: {reason}", "Xung đột: {reason}"),
    "payload_too_large": (
        413,
        "The request body is larger than the server accepts ({limit} bytes); send fewer items",
        "Nội dung yêu cầu lớn hơn mức máy chủ nhận ({limit} byte); hãy gửi ít mục hơn",
    ),
    "unsupported_media_type": (
        415,
        "Send the body as application/json (optionally Content-Encoding: gzip)",
        "Hãy gửi nội dung dạng application/json (có thể nén Content-Encoding: gzip)",
    ),
    "unprocessable": (
        422,
        "The request is well-formed but cannot be processed: {reason}",
        "Yêu cầu đúng định dạng nhưng không xử lý được: {reason}",
    ),
    "internal_error": (
        500,
        "Internal server error; the request was not processed",
        "Lỗi máy chủ; yêu cầu chưa được xử lý",
    ),
}

_HTTP_CODES = {400: "invalid_request", 401: "unauthorized", 403: "forbidden", 404: "not_found"}
_HTTP_CODES |= {405: "method_not_allowed", 409: "conflict", 413: "payload_too_large"}
_HTTP_CODES |= {415: "unsupported_media_type", 422: "unprocessable"}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "?"


class ApiError(Exception):
    """An error answered as the standard JSON shape with the registered status."""

    def __init__(self, code: str, *, details: Any = None, **args: Any) -> None:
        status, message_en, message_vi = ERRORS[code]
        self.code, self.status, self.details = code, status, details
        self.message = message_en.format_map(_Blank(args))
        self.message_vi = message_vi.format_map(_Blank(args))
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "message_vi": self.message_vi,
                "details": self.details,
            }
        }


def error_response(error: ApiError):
    response = jsonify(error.to_dict())
    response.status_code = error.status
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="povcensus"'
    return response


def _from_http(exc: HTTPException) -> ApiError:
    code = _HTTP_CODES.get(exc.code or 500, "invalid_request")
    if code == "payload_too_large":
        from flask import current_app

        return ApiError(code, limit=current_app.config["MAX_CONTENT_LENGTH"])
    return ApiError(code, reason=exc.description or exc.name)


def register_handlers(app: Flask, prefix: str) -> None:
    """JSON errors for every path under `prefix`, including Flask's own 404/405/413 and 500s."""

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError):
        return error_response(error)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if request.path.startswith(prefix):
            return error_response(_from_http(exc))
        from server.web_errors import error_page

        return error_page(exc)  # people get a page in the site's layout (server/web_errors.py)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return _http_error(exc)
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if request.path.startswith(prefix):
            return error_response(ApiError("internal_error"))
        from server.web_errors import server_error_page

        return server_error_page()
