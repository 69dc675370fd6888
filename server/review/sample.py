"""Sample households for demos, tests and benchmarks, stored through the real ingest path.

`sample_record(kind, ...)` varies the documented example household so that the official
score under vn-2022 (and vn-2027) lands in the wanted class: "poor" (low income, many
deprivations), "near_poor" (low income, no deprivation), "average" and "not_poor" (income).
`submit(db, record, user, ...)` hands it to `server.ingest.ingest` exactly like the JSON API.
"""

from __future__ import annotations

import copy
import json
import unicodedata
import uuid
from pathlib import Path
from typing import Any

EXAMPLE = Path(__file__).resolve().parents[2] / "survey_forms" / "examples" / "household.json"
KINDS = ("poor", "near_poor", "average", "not_poor")


def _example() -> dict[str, Any]:
    record = json.loads(EXAMPLE.read_text("utf-8"))
    record.pop("round", None)
    return record


_EXAMPLE_CACHE: dict[str, Any] = {}


def sample_record(
    kind: str,
    *,
    commune: str = "18496",
    village: str = "Thôn 1",
    number: int = 1,
    head_name: str | None = None,
) -> dict[str, Any]:
    """A valid household record of the wanted class (see the module docstring)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    if not _EXAMPLE_CACHE:
        _EXAMPLE_CACHE.update(_example())
    record = copy.deepcopy(_EXAMPLE_CACHE)
    ascii_name = unicodedata.normalize("NFKD", village.lower().replace("đ", "d"))
    slug = "".join(ch for ch in ascii_name if ch.isascii() and ch.isalnum())[:12] or "v"
    record.update(
        household_id=f"{commune}-{slug}-{number:04d}",
        commune_code=commune,
        village=village,
        address=f"{village}, xã {commune}",
    )
    urban = _commune_area(commune) == "urban"
    record["area"] = "urban" if urban else "rural"  # the commune decides (docs/scoring.md)
    if head_name:
        record["head_name"] = record["members"][0]["name"] = head_name
    _citizen_ids(record)
    sources = record["income"]["sources_12m"]
    if kind == "near_poor":
        _no_deprivation(record)
    elif kind == "average":
        sources.update(wages=48_000_000, agriculture=36_000_000, business=12_000_000)
        if urban:  # 2,900,000 ₫/person: above the urban lines, below vn-2022's urban ceiling
            sources.update(wages=87_200_000, agriculture=36_000_000, business=16_000_000)
    elif kind == "not_poor":
        sources.update(wages=240_000_000)
    return record


def _citizen_ids(record: dict[str, Any]) -> None:
    """Each sample household holds its own people: distinct 12-digit citizen ids (matching sex
    and birth year), so the copies of one example are not taken for duplicate persons."""
    import hashlib

    for index, member in enumerate(record["members"]):
        year = member["birth_year"]
        digit = 2 * ((year - 1900) // 100) + (member["sex"] == "female")
        seed = f"{record['household_id']}/{index}".encode()
        serial = int(hashlib.sha256(seed).hexdigest(), 16) % 1_000_000
        member["citizen_id"] = f"042{digit}{year % 100:02d}{serial:06d}"


def _commune_area(commune: str) -> str | None:
    from survey_forms.communes import commune_area

    return commune_area(commune)


def _no_deprivation(record: dict[str, Any]) -> None:
    for member in record["members"]:
        member["health_insurance"] = True
        member["uses_internet"] = member["birth_year"] < 2010
        if member["work_status"] == "wage_worker":
            member["labour_contract"] = True
        if member.get("nutrition") is not None:
            member["nutrition"] = "normal"
    record["dwelling"].update(
        wall_material="concrete_brick",
        frame_material="reinforced_concrete",
        roof_material="tile",
        floor_area_m2=80.0,
        water_source="piped",
        latrine="septic",
        devices=["tv", "smartphone"],
        waste_treatment="collected",
    )


def submit(db, record: dict[str, Any], user, *, province: str = "42", base: str | None = None):
    """Ingest one record as `user` (an enumerator) like the JSON API does; returns the Outcome."""
    from offline_sync.protocol import canonical_json, content_hash
    from server.ingest import Submission, ingest

    item = {
        "id": str(uuid.uuid4()),
        "form_id": record["form_id"],
        "form_version": record["form_version"],
        "household_id": record["household_id"],
        "base": base,
        "record": record,
    }
    submission = Submission(
        instance_id=item["id"],
        form_id=item["form_id"],
        form_version=item["form_version"],
        record=record,
        payload=canonical_json(item).decode(),
        sha256=content_hash(item),
        format="json",
        user=user,
        household_id=record["household_id"],
        base_id=base,
    )
    return ingest(db, submission, province=province)
