"""Vietnam's communes since the 1 July 2025 reorganisation, read from the package data.

`data/communes.csv` lists the 3,321 communes (xã, phường, đặc khu) with their GSO province and
commune codes. Validation uses it to check that a record's commune exists and lies in the
province it names; the XForm uses it for the province → commune cascading choice. The file is
read once (through importlib.resources, so it also works from a wheel) and cached.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

__all__ = [
    "Commune",
    "Province",
    "all_communes",
    "all_provinces",
    "communes_by_code",
    "province_communes",
    "english_name",
    "AREA_BY_KIND",
    "AREAS",
    "commune_area",
    "with_commune_area",
]

# Vietnamese prefix of an official name -> English suffix. Longest first so that
# "Thành phố" is not mistaken for something shorter.
_PREFIXES: tuple[tuple[str, str], ...] = (
    ("Thành phố ", "city"),
    ("Đặc khu ", "special zone"),
    ("Phường ", "ward"),
    ("Tỉnh ", "province"),
    ("Xã ", "commune"),
)


@dataclass(frozen=True, slots=True)
class Commune:
    """One commune-level unit: GSO codes, official Vietnamese name, kind and rough geography."""

    province_code: str
    province: str
    commune_code: str
    name: str
    kind: str  # "xa", "phuong" or "dac_khu"
    lat: float | None
    lon: float | None
    area_km2: float | None  # blank in the source for a few communes

    @property
    def name_en(self) -> str:
        """English rendering of the name, e.g. "Hương Khê commune"."""
        return english_name(self.name)


@dataclass(frozen=True, slots=True)
class Province:
    """A province or centrally-run city (34 since 1 July 2025)."""

    code: str
    name: str

    @property
    def name_en(self) -> str:
        """English rendering, e.g. "Hà Tĩnh province"."""
        return english_name(self.name)


def english_name(vietnamese: str) -> str:
    """Turn "Xã Hương Khê" into "Hương Khê commune" (proper names keep their diacritics)."""
    for prefix, suffix in _PREFIXES:
        if vietnamese.startswith(prefix):
            return f"{vietnamese[len(prefix) :]} {suffix}"
    return vietnamese


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


def _read_csv() -> list[dict[str, str]]:
    text = resources.files("survey_forms").joinpath("data/communes.csv").read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def all_communes() -> dict[str, Commune]:
    """Every commune by its 5-digit GSO code (a fresh dict over the cached, immutable entries)."""
    return dict(communes_by_code())


@cache
def communes_by_code() -> Mapping[str, Commune]:
    """The cached read-only mapping behind `all_communes` (no copy: for hot paths)."""
    communes = {}
    for row in _read_csv():
        commune = Commune(
            province_code=row["province_code"],
            province=row["province"],
            commune_code=row["commune_code"],
            name=row["name"],
            kind=row["kind"],
            lat=_number(row["lat"]),
            lon=_number(row["lon"]),
            area_km2=_number(row["area_km2"]),
        )
        communes[commune.commune_code] = commune
    return MappingProxyType(communes)


@cache
def all_provinces() -> Mapping[str, Province]:
    """Every province by its 2-digit GSO code, in code order."""
    provinces: dict[str, Province] = {}
    for commune in sorted(communes_by_code().values(), key=lambda c: c.commune_code):
        provinces.setdefault(
            commune.province_code, Province(commune.province_code, commune.province)
        )
    return MappingProxyType(dict(sorted(provinces.items())))


@cache
def _by_province() -> Mapping[str, tuple[Commune, ...]]:
    grouped: dict[str, list[Commune]] = {}
    for commune in communes_by_code().values():
        grouped.setdefault(commune.province_code, []).append(commune)
    return MappingProxyType(
        {
            code: tuple(sorted(items, key=lambda c: c.commune_code))
            for code, items in grouped.items()
        }
    )


def province_communes(province_code: str) -> list[Commune]:
    """The communes of one province in code order; empty for an unknown province code."""
    return list(_by_province().get(province_code, ()))


# --- the area (thành thị / nông thôn) a household is scored at -------------------------------

AREAS = ("urban", "rural")
# Where the household lives decides its area, not an answer: phường are urban (thành thị), xã
# rural (nông thôn) — ../shared/docs/poverty-standards.md [check]; docs/scoring.md "Area".
# An đặc khu (special zone) has no established rule: its area is configuration
# (`special_zone_area`), and without it the recorded answer stands.
AREA_BY_KIND: Mapping[str, str] = MappingProxyType({"phuong": "urban", "xa": "rural"})
KIND_NAMES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {"phuong": ("phường", "ward"), "xa": ("xã", "commune"), "dac_khu": ("đặc khu", "special zone")}
)


def commune_area(commune_code: str, *, special_zone_area: str | None = None) -> str | None:
    """ "urban" or "rural" for a household of this commune; None when the commune is unknown or
    is an đặc khu and no `special_zone_area` is configured (then the record's answer stands)."""
    commune = communes_by_code().get(commune_code)
    if commune is None:
        return None
    if commune.kind == "dac_khu":
        return special_zone_area
    return AREA_BY_KIND.get(commune.kind)


def with_commune_area(record: Mapping, *, special_zone_area: str | None = None) -> dict:
    """A copy of the record whose `area` is the one its commune decides (unchanged when the
    commune does not decide it) — what re-scoring a stored record uses."""
    copy = dict(record)
    code = record.get("commune_code")
    derived = (
        commune_area(code, special_zone_area=special_zone_area) if isinstance(code, str) else None
    )
    if derived is not None:
        copy["area"] = derived
    return copy
