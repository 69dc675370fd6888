"""The review pages' own translation domain ("review"), Vietnamese by default.

Why a domain of our own rather than adding our directory to the app's shared "messages"
domain: flask-babel merges the catalogs of all directories into one, and the last one wins for
a msgid both define. The province pages translate "Households" as "Số hộ" (a count column),
the review pages as "Hộ gia đình" (a page): with a shared domain one part silently relabels
the other. With our own domain each part says what it means, whatever the others add.
The locale itself still comes from the app's selector (session / `?lang=`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask_babel import Domain
from markupsafe import Markup

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
DOMAIN = Domain(translation_directories=[str(TRANSLATIONS)], domain="review")

gettext = DOMAIN.gettext
lazy_gettext = DOMAIN.lazy_gettext


def _translations():
    """The domain's catalog for this request's locale, looked up once per request: a queue
    page says about a thousand strings, and flask-babel finds the locale and its catalog
    again for each (≈ 15 ms a page; issue 16)."""
    from flask import g, has_request_context

    if not has_request_context():
        return DOMAIN.get_translations()
    found = g.get("_review_translations")
    if found is None:
        found = g._review_translations = DOMAIN.get_translations()
    return found


def template_gettext(string: str, **variables: Any) -> Markup:
    """Jinja's "newstyle" gettext over our domain: the translation is trusted markup, every
    variable is escaped, and `%%` stands for a percent sign (as in Jinja's own)."""
    return Markup(_translations().ugettext(string)) % variables


def template_ngettext(singular: str, plural: str, num: int, **variables: Any) -> Markup:
    variables.setdefault("num", num)
    return Markup(DOMAIN.ngettext(singular, plural, num)) % variables
