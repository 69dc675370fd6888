"""Rebuild crosswalk_2025.csv (2020–2024 commune code → post-July-2025 commune code).

A maintainer's tool, not used at run time: it reads the MIT-licensed package
vietnamadminunits (https://github.com/tranngocminhhieu/vietnamadminunits), whose
data/converter_2025.json maps old ward keys to new ward keys and whose data/dataset.db holds the
codes of both layouts. Run: python maps/data/build_crosswalk.py

`SUPPLEMENT` adds, by hand, old codes that package leaves out (each row says why and where the
fact comes from; see README.md). `python maps/data/build_crosswalk.py --supplement-only` applies
it to the existing CSV without the package. Every row has ``weight`` (the share of the old
commune that went to the new one) and ``weight_basis``: ``equal`` where an old commune was split
and no population or area shares are published (the stated fallback), ``whole`` otherwise.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
from pathlib import Path

OUT = Path(__file__).with_name("crosswalk_2025.csv")
COLUMNS = [
    "old_ward_code",
    "old_ward",
    "new_ward_code",
    "n_targets",
    "weight",
    "weight_basis",
    "source",
]
PACKAGE_SOURCE = "vietnamadminunits 1.0.4 (MIT)"
HAND_2024 = (
    "hand: absorbed in Hà Tĩnh's 2024 commune merger into old {via}, which the 2025 "
    "reorganisation put whole into {new}"
)
# (old code, old name, new code, source): Hà Tĩnh codes of the 2020–2024 list absent from
# vietnamadminunits, whose legacy list is the end-2024 state (after the 2024 merger).
SUPPLEMENT = [
    (
        "18070",
        "Phường Trần Phú",
        "18073",
        HAND_2024.format(
            via="18094 Phường Trần Phú (Thạch Linh + Trần Phú)", new="18073 Phường Thành Sen"
        ),
    ),
    (
        "18076",
        "Phường Bắc Hà",
        "18073",
        HAND_2024.format(
            via="18077 Phường Bắc Hà (Nguyễn Du + Bắc Hà)", new="18073 Phường Thành Sen"
        ),
    ),
    (
        "18193",
        "Xã Sơn Bình",
        "18202",
        HAND_2024.format(via="18178 Xã Châu Bình (Sơn Châu + Sơn Bình)", new="18202 Xã Tứ Mỹ"),
    ),
    (
        "18205",
        "Xã Sơn Long",
        "18202",
        HAND_2024.format(via="18202 Xã Mỹ Long (Sơn Trà + Sơn Long)", new="18202 Xã Tứ Mỹ"),
    ),
    (
        "18214",
        "Xã Sơn Hàm",
        "18223",
        HAND_2024.format(via="18223 Xã Hàm Trường (Sơn Hàm + Sơn Trường)", new="18223 Xã Kim Hoa"),
    ),
    (
        "18472",
        "Xã Trung Lộc",
        "18484",
        "hand: Can Lộc commune merged in 2024; its area lies in 18484 Xã Đồng Lộc (checked in tests against commune polygons)",
    ),
    (
        "18535",
        "Xã Phú Phong",
        "18496",
        "hand: merged into Thị trấn Hương Khê in 2024, which the 2025 reorganisation put whole into 18496 Xã Hương Khê",
    ),
    (
        "18448",
        "Xã Bình Lộc",
        "18568",
        "dvhcvn 20250701 crosswalk (MIT): Bình Lộc → 18568 Xã Lộc Hà",
    ),
]


def build() -> list[tuple[str, str, str, int]]:
    """(old_code, old_name, new_code, n_targets) rows, sorted, without duplicates."""
    import vietnamadminunits

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


def with_supplement(rows: list[tuple[str, str, str, str]]) -> list[tuple[str, str, str, str]]:
    """``rows`` (old code, old name, new code, source) plus every SUPPLEMENT row they lack."""
    known = {(old, new) for old, _, new, _ in rows}
    extra = [row for row in SUPPLEMENT if (row[0], row[2]) not in known]
    return sorted(rows + extra)


def write(rows: list[tuple[str, str, str, str]]) -> None:
    """Write the CSV; an old commune listed both as undivided and divided: n_targets is the
    number of its targets, each an equal share (no population shares are published)."""
    targets: dict[str, int] = {}
    for old_code, _, _, _ in rows:
        targets[old_code] = targets.get(old_code, 0) + 1
    with OUT.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for old_code, old_name, new_code, source in rows:
            n = targets[old_code]
            basis = "whole" if n == 1 else "equal"
            writer.writerow([old_code, old_name, new_code, n, f"{1 / n:.12g}", basis, source])
    print(f"{OUT}: {len(rows)} rows, {len(targets)} old communes")


def _existing() -> list[tuple[str, str, str, str]]:
    with OUT.open(encoding="utf-8") as handle:
        return [
            (
                r["old_ward_code"],
                r["old_ward"],
                r["new_ward_code"],
                r.get("source") or PACKAGE_SOURCE,
            )
            for r in csv.DictReader(handle)
        ]


def main() -> None:
    if "--supplement-only" in sys.argv[1:]:
        rows = _existing()
    else:
        rows = [(o, name, n, PACKAGE_SOURCE) for o, name, n, _ in build()]
    write(with_supplement(rows))


if __name__ == "__main__":
    main()
