"""Rebuild crosswalk_2025.csv (2020–2024 commune code → post-July-2025 commune code).

A maintainer's tool, not used at run time: it reads the MIT-licensed package
vietnamadminunits (https://github.com/tranngocminhhieu/vietnamadminunits), whose
data/converter_2025.json maps old ward keys to new ward keys and whose data/dataset.db holds the
codes of both layouts. Run: python maps/data/build_crosswalk.py
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import vietnamadminunits

OUT = Path(__file__).with_name("crosswalk_2025.csv")


def build() -> list[tuple[str, str, str, int]]:
    """(old_code, old_name, new_code, n_targets) rows, sorted, without duplicates."""
    base = Path(vietnamadminunits.__file__).parent / "data"
    with sqlite3.connect(base / "dataset.db") as db:
        new = {
            (p, w): c
            for p, w, c in db.execute("select provinceKey, wardKey, wardCode from admin_units")
        }
        old = {
            (p, d, w): (c, name)
            for p, d, w, c, name in db.execute(
                "select provinceKey, districtKey, wardKey, wardCode, ward from admin_units_legacy"
            )
        }
    data = json.loads((base / "converter_2025.json").read_text(encoding="utf-8"))
    pairs: dict[tuple[str, str], tuple[str, int]] = {}
    for province, wards in data["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_key, old_keys in wards.items():
            for old_key in old_keys:
                _add(pairs, old.get(tuple(old_key.split("_"))), new.get((province, new_key)), 1)
    for province, old_wards in data["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, targets in old_wards.items():
            for target in targets:
                _add(
                    pairs,
                    old.get(tuple(old_key.split("_"))),
                    new.get((province, target["newWardKey"])),
                    len(targets),
                )
    return sorted((o, name, n, k) for (o, n), (name, k) in pairs.items())


def _add(
    pairs: dict, old_unit: tuple[str, str] | None, new_code: str | None, n_targets: int
) -> None:
    # island districts had no wards: no old commune code, nothing to carry over
    if old_unit is None or new_code is None:
        return
    key = (old_unit[0], new_code)
    pairs[key] = (old_unit[1], max(n_targets, pairs.get(key, ("", 1))[1]))


def main() -> None:
    rows = build()
    # an old commune listed both as undivided and divided: n_targets is the number of its targets
    targets: dict[str, int] = {}
    for old_code, _, _, _ in rows:
        targets[old_code] = targets.get(old_code, 0) + 1
    with OUT.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["old_ward_code", "old_ward", "new_ward_code", "n_targets"])
        for old_code, old_name, new_code, _ in rows:
            writer.writerow([old_code, old_name, new_code, targets[old_code]])
    print(f"{OUT}: {len(rows)} rows, {len(targets)} old communes")


if __name__ == "__main__":
    main()
