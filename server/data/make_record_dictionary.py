"""Build a preset zlib dictionary for stored household records and raw submissions.

    PYTHONPATH=. python server/data/make_record_dictionary.py record_dictionary_2.txt

Run once per new dictionary; a shipped dictionary is never rebuilt or edited (its sha256 is
pinned in server/packing.py, and rows packed with it need it unchanged). The content: typical
synthetic households (Hà Tĩnh, `server.province.synth`) as the server stores them — ODK instance XML, then
the JSON sync payload (canonical JSON), then the validated record (as `pack_record` writes
it) — deflate looks back at most 32 KB and finds the latest text best, so the most common
form goes last.
"""

from __future__ import annotations

import itertools
import json
import sys

LIMIT = 32 * 1024


def _samples() -> tuple[list[bytes], list[bytes], list[bytes]]:
    from offline_sync.protocol import canonical_json
    from server import scoring_adapter
    from server.packing import record_json
    from server.province.synth import base_census
    from survey_forms.xform import household_to_instance

    xml, payloads, records = [], [], []
    for number, raw in enumerate(itertools.islice(base_census([], 400, seed=16, year=2026), 40)):
        raw = {**raw, "round": "2026-annual"}
        envelope = {"base": None, "form_id": raw["form_id"], "form_version": raw["form_version"]}
        envelope |= {"household_id": raw["household_id"], "id": f"uuid:{number:032x}"}
        payloads.append(canonical_json({**envelope, "record": raw}))
        xml.append(household_to_instance(raw, instance_id=f"uuid:{number:032x}"))
        loaded, errors = scoring_adapter.load(raw)
        if not errors:
            records.append(record_json(loaded).encode())
    return xml, payloads, records


def build() -> bytes:
    xml, payloads, records = _samples()
    parts = [b"".join(xml[:3])[-9 * 1024 :], b"".join(payloads[:6])[-11 * 1024 :]]
    parts.append(b"".join(records)[-(LIMIT - sum(map(len, parts))) :])
    return b"".join(parts)[-LIMIT:]


if __name__ == "__main__":
    data = build()
    with open(sys.argv[1], "wb") as handle:
        handle.write(data)
    print(f"{len(data):,} bytes, {json.dumps(sys.argv[1])}")
