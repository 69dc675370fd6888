"""The formatting layer on the web pages: `povcensus.fmt` as Jinja filters, registered once.

Each filter reads the request's locale (flask-babel: session / `?lang=`) and the app's
`BABEL_DEFAULT_TIMEZONE` (the province's zone), so a template writes `{{ n|num }}`,
`{{ rate|pct }}`, `{{ amount|vnd }}`, `{{ row.created_at|local_dt }}`, `{{ day|local_date }}`
and never a separator of its own.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, has_request_context

from povcensus import fmt
from server import labels


def current_locale() -> str:
    """The locale of the request being answered (outside a request: the app's default)."""
    if has_request_context():
        from flask_babel import get_locale

        locale = get_locale()
        if locale is not None:
            return str(locale)
    return current_app.config.get("BABEL_DEFAULT_LOCALE", fmt.DEFAULT_LOCALE)


def current_timezone() -> str:
    return current_app.config.get("BABEL_DEFAULT_TIMEZONE") or fmt.DEFAULT_TIMEZONE


def num(value: Any, digits: int = 0) -> str:
    return fmt.number(value, current_locale(), digits=digits)


def pct(value: Any, digits: int = 2, ratio: bool = False) -> str:
    return fmt.percent(value, current_locale(), digits=digits, ratio=ratio)


def signed(value: Any, digits: int = 2) -> str:
    return fmt.signed(value, current_locale(), digits=digits)


def vnd(value: Any) -> str:
    """Money with its sign (₫) in the reader's locale."""
    return fmt.money(value, current_locale())


def local_dt(value: Any) -> str:
    return fmt.datetime(value, current_locale(), timezone=current_timezone())


def local_date(value: Any) -> str:
    return fmt.date(value, current_locale())


FILTERS = {
    "num": num,
    "pct": pct,
    "signed": signed,
    "vnd": vnd,
    "local_dt": local_dt,
    "local_date": local_date,
}


def _localised(function):
    """A label function of (code, locale) as a template function of (code)."""
    return lambda *args: function(*args, current_locale())


GLOBALS = {
    "round_name": _localised(labels.round_name),
    "round_status": _localised(labels.round_status),
    "role_name": _localised(labels.role_name),
    "standard_name": _localised(labels.standard_name),
    "village_word": _localised(labels.village_word),
    "audit_details": _localised(labels.audit_details),
}


def init_app(app: Flask) -> None:
    """Register the filters (they replace any older filter of the same name) and the label
    functions (`round_name(r)`, `round_status(s)`, `role_name(r)`, `standard_name(id)`,
    `village_word(commune.kind)`)."""
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.filters["natural_sort"] = lambda values, attribute=None: labels.natural_sorted(
        values, key=(lambda v: v[attribute]) if attribute else None
    )
    app.jinja_env.globals.update(GLOBALS)
