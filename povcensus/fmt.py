"""What a person reads, in their own locale: numbers, percentages, money, dates and times.

One formatting layer for the web pages, the exports, the prints and the command line, built on
Babel's CLDR data (flask-babel brings Babel). Vietnamese writes 20.400 and 5,61 %; English writes
20,400 and 5.61 %. Stored values stay what they are (numbers, ISO dates, UTC timestamps); only
what is shown goes through here. Times are shown in the province's zone (Asia/Ho_Chi_Minh by
default): an official reads 12:12 as local time, never 05:12 UTC.

Pure: no Flask, no I/O. `server.format` registers these as Jinja filters.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_currency, format_decimal

DEFAULT_LOCALE = "vi"
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
MISSING = "—"

# Explicit patterns: CLDR's "short" Vietnamese date has a two-digit year, and English "short"
# is month-first; an official's record wants the whole date.
_DATE_PATTERNS = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}
_DATETIME_PATTERNS = {"vi": "HH:mm dd/MM/yyyy", "en": "d MMM yyyy, HH:mm"}


def _locale(locale: Any) -> str:
    """'vi', 'vi_VN', a babel Locale or None → a language Babel knows ('vi' or 'en' here)."""
    text = str(locale or DEFAULT_LOCALE).replace("-", "_")
    return text.split("_")[0] or DEFAULT_LOCALE


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    try:
        return not math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def number(value: Any, locale: Any = None, *, digits: int = 0) -> str:
    """20400 → "20.400" (vi) / "20,400" (en); `digits` fixed decimals; None or NaN → "—"."""
    if not _is_number(value):
        return MISSING if value is None or value == "" else str(value)
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(
        float(value) if digits else round(float(value)), pattern, locale=_locale(locale)
    )


def group_symbol(locale: Any = None) -> str:
    """The thousands separator of the locale ("." in Vietnamese, "," in English)."""
    from babel.numbers import get_group_symbol

    return get_group_symbol(locale=_locale(locale))


def signed(value: Any, locale: Any = None, *, digits: int = 2) -> str:
    """A change: +1,25 / -0,50 (vi); zero has no sign."""
    if not _is_number(value):
        return MISSING
    text = number(abs(float(value)), locale, digits=digits)
    return ("+" if float(value) > 0 else "-" if float(value) < 0 else "") + text


def percent(value: Any, locale: Any = None, *, digits: int = 2, ratio: bool = False) -> str:
    """5.61 (percentage points; or 0.0561 with ratio=True) → "5,61 %" (vi) / "5.61 %" (en)."""
    if not _is_number(value):
        return MISSING
    points = float(value) * 100 if ratio else float(value)
    return f"{number(points, locale, digits=digits)}\u00a0%"


def money(value: Any, locale: Any = None) -> str:
    """1500000 → "1.500.000 ₫" (vi) / "₫1,500,000" (en): Vietnamese đồng, no decimals."""
    if not _is_number(value):
        return MISSING
    return format_currency(round(float(value)), "VND", locale=_locale(locale))


def count(
    value: Any, locale: Any = None, *, unit_vi: str = "", unit_en: str = "", plural_en: str = ""
) -> str:
    """10000 households → "10.000 hộ" (vi) / "10,000 households" (en; "1 household")."""
    lang = _locale(locale)
    shown = number(value, lang)
    if lang == "vi":
        unit = unit_vi
    else:
        unit = unit_en if _is_number(value) and float(value) == 1 else (plural_en or unit_en + "s")
    return f"{shown} {unit}".rstrip()


def parse_instant(value: Any) -> dt.datetime | None:
    """An ISO timestamp ('2026-11-29T05:12:34Z', sqlite's '2026-11-29 05:12:34') or a datetime
    → an aware UTC datetime; a naive stored value is UTC (that is how the server stores them)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip().replace("Z", "+00:00")
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def datetime(value: Any, locale: Any = None, *, timezone: str | None = None) -> str:
    """A stored UTC instant → local time: "12:12 29/11/2026" (vi) / "29 Nov 2026, 12:12" (en).
    Something that is not a timestamp is shown as it is (never hidden)."""
    moment = parse_instant(value)
    if moment is None:
        return MISSING if value in (None, "") else str(value)
    lang = _locale(locale)
    pattern = _DATETIME_PATTERNS.get(lang, _DATETIME_PATTERNS["en"])
    return _babel_datetime(moment, pattern, tzinfo=timezone or DEFAULT_TIMEZONE, locale=lang)


def date(value: Any, locale: Any = None) -> str:
    """A calendar date ('2026-11-29' or a date) → "29/11/2026" (vi) / "29 Nov 2026" (en).
    (A date is not shifted by time zone: a posting day is a day, wherever it is read.)"""
    if value is None or value == "":
        return MISSING
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            return str(value)
    lang = _locale(locale)
    return _babel_date(day, _DATE_PATTERNS.get(lang, _DATE_PATTERNS["en"]), locale=lang)


def natural_key(text: Any) -> tuple:
    """Sort key for names with numbers: Thôn 1, Thôn 2, … Thôn 10 (not Thôn 1, Thôn 10, Thôn 2)."""
    parts = re.split(r"(\d+)", str(text or "").casefold())
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p != "")
