"""Who a household member is, for finding one person listed in two households.

The most common census error — and a known cause of double support payments — is one person in
two households. Two members are taken for the same person when they carry the same 12-digit
citizen id, or, where an id is missing on either side, the same normalised name, birth year and
commune. Names are compared with diacritics and case folded ("Nguyễn Văn An" = "NGUYEN VAN AN"),
so spelling variants of one name match; two people of one name born in different years never do.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["Person", "normalise_name", "same_person_pairs"]


def normalise_name(name: str | None) -> str | None:
    """Lower case, no diacritics (đ → d), single spaces; None for a missing or blank name."""
    if not name or not name.strip():
        return None
    text = name.replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


@dataclass(frozen=True, slots=True)
class Person:
    """One member of one current household, as the duplicate check sees it."""

    household_id: str
    commune_code: str
    member_no: int | None
    name: str | None
    birth_year: int | None
    citizen_id: str | None


def same_person_pairs(persons: Iterable[Person]) -> Iterator[tuple[Person, Person, str]]:
    """(a, b, reason) for members of two different households taken for one person; reason is
    "citizen_id" or "name" (same normalised name + birth year + commune, ids not contradicting)."""
    by_id: dict[str, list[Person]] = {}
    by_name: dict[tuple[str, int, str], list[Person]] = {}
    for person in persons:
        if person.citizen_id:
            by_id.setdefault(person.citizen_id, []).append(person)
        name = normalise_name(person.name)
        if name and person.birth_year is not None:
            by_name.setdefault((name, person.birth_year, person.commune_code), []).append(person)
    seen: set[tuple[str, int | None, str, int | None]] = set()
    for group, reason in [(g, "citizen_id") for g in by_id.values()] + [
        (g, "name") for g in by_name.values()
    ]:
        for a, b in _pairs(group):
            if reason == "name" and a.citizen_id and b.citizen_id and a.citizen_id != b.citizen_id:
                continue  # two recorded, different ids: two people of one name
            key = (a.household_id, a.member_no, b.household_id, b.member_no)
            if key not in seen:
                seen.add(key)
                yield a, b, reason


def _pairs(group: list[Person]) -> Iterator[tuple[Person, Person]]:
    ordered = sorted(group, key=lambda p: (p.household_id, p.member_no or 0))
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if a.household_id != b.household_id:
                yield a, b
