"""The province catalog: the committed .mo files are the compiled .po files, every message has
a Vietnamese translation, and the pages follow the language asked for."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

CATALOG = Path(__file__).resolve().parents[1] / "server" / "province" / "translations"


def _messages(catalog) -> dict[str, str]:
    return {m.id: m.string for m in catalog if m.id}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_mo_matches_po(lang):
    folder = CATALOG / lang / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as handle:
        po = _messages(read_po(handle))
    with (folder / "messages.mo").open("rb") as handle:
        mo = _messages(read_mo(handle))
    assert po == mo, "recompile: pybabel compile -d server/province/translations"


def test_every_message_is_translated_to_vietnamese():
    with (CATALOG / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        missing = [m.id for m in read_po(handle) if m.id and not m.string]
    assert missing == []


def test_template_messages_are_in_the_catalog():
    with (CATALOG / "messages.pot").open("rb") as handle:
        known = set(_messages(read_po(handle)))
    templates = (CATALOG.parents[1] / "templates" / "province").glob("*.html")
    import re

    used = {m for path in templates for m in re.findall(r"_\('([^']+)'", path.read_text("utf-8"))}
    assert used and used <= known, sorted(used - known)
