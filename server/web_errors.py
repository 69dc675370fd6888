"""Error pages people read: Vietnamese (with English beneath), inside the site's layout, with
a way back — instead of Werkzeug's bare English "Forbidden" page. Machine clients (the JSON API
under /api/, OpenRosa for ODK Collect) keep their own answers (server.errors)."""

from __future__ import annotations

from flask import Response, g, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

# code -> (Vietnamese title, Vietnamese explanation, English title, English explanation)
MESSAGES: dict[int, tuple[str, str, str, str]] = {
    400: (
        "Yêu cầu không hợp lệ",
        "Biểu mẫu đã hết hạn hoặc thiếu thông tin. Hãy quay lại, tải lại trang rồi gửi lại.",
        "Bad request",
        "The form expired or is incomplete. Go back, reload the page and send it again.",
    ),
    403: (
        "Không có quyền truy cập",
        "Tài khoản của bạn không được mở trang này (trang của xã khác hoặc của vai trò khác).",
        "Not allowed",
        "Your account may not open this page (another commune's, or another role's page).",
    ),
    404: (
        "Không tìm thấy",
        "Trang hoặc hồ sơ này không có (có thể đường dẫn sai, hoặc hồ sơ thuộc xã khác).",
        "Not found",
        "This page or record does not exist (the link may be wrong, or it belongs elsewhere).",
    ),
    405: (
        "Thao tác không dùng được ở đây",
        "Trang này không nhận thao tác vừa gửi. Hãy dùng các nút trên trang.",
        "Not possible here",
        "This page does not take that action. Use the page's buttons.",
    ),
    410: (
        "Không còn dùng được",
        "Liên kết hoặc mã này đã hết hạn hoặc đã bị thu hồi. Hãy xin cấp lại.",
        "Gone",
        "This link or code has expired or was revoked. Ask for a new one.",
    ),
    429: (
        "Quá nhiều yêu cầu",
        "Bạn đã gửi quá nhiều yêu cầu trong thời gian ngắn. Hãy đợi một lát rồi thử lại.",
        "Too many requests",
        "Too many requests in a short time. Wait a moment and try again.",
    ),
    500: (
        "Máy chủ gặp lỗi",
        "Thao tác chưa được thực hiện. Hãy thử lại; nếu vẫn lỗi, báo cho quản trị viên"
        " (kèm thời điểm xảy ra).",
        "Server error",
        "Nothing was done. Try again; if it fails again, tell the administrator (with the time).",
    ),
}
MACHINE_BLUEPRINTS = ("api", "openrosa")


def wants_page() -> bool:
    """A person's browser, not the API or ODK Collect."""
    return request.blueprint not in MACHINE_BLUEPRINTS


def error_page(exc: HTTPException) -> Response | HTTPException:
    """The error as a page in the site's layout (or `exc` itself for machine clients)."""
    if not wants_page():
        return exc
    code = exc.code or 500
    title_vi, text_vi, title_en, text_en = MESSAGES.get(code, MESSAGES[500 if code >= 500 else 400])
    # a reason the page gave itself (e.g. "no review round yet"), not Werkzeug's stock text
    detail = exc.description if exc.description != type(exc).description else None
    back = request.referrer if _same_site(request.referrer) else None
    try:
        g.setdefault("user", None)
        html = render_template(
            "error.html",
            code=code,
            title_vi=title_vi,
            text_vi=text_vi,
            title_en=title_en,
            text_en=text_en,
            back=back,
            detail=detail,
        )
    except Exception:  # noqa: BLE001 — the error page must never fail in turn
        html = f"{code} {title_vi} / {title_en}"
    response = Response(html, status=code, mimetype="text/html")
    for name in ("Retry-After", "WWW-Authenticate", "Allow"):
        if name in exc.get_response().headers:
            response.headers[name] = exc.get_response().headers[name]
    return response


def server_error_page() -> Response | HTTPException:
    return error_page(InternalServerError())


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url) and url != request.url
