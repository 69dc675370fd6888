"""Read a scores file (the output of `povcensus score`) into the per-household scores DataFrame.

Accepts JSON Lines (one household per line, either the `score_tables` row itself or a
household record carrying its classification dict) and CSV (a `score_tables` frame written
out). Only what the maps need is read: codes, class, deprivations and the MPI score.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

SCORE_KEYS = ("score", "classification_detail", "result")


def read_scores(path: str | Path) -> pd.DataFrame:
    """The scores DataFrame of ``path`` (``.csv`` or JSON Lines)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        frame = pd.read_csv(path, dtype={"commune_code": str, "household_id": str})
        frame["commune_code"] = frame["commune_code"].str.zfill(5)
        return frame
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    rows.append(score_row(json.loads(line)))
                except (json.JSONDecodeError, KeyError, TypeError) as error:
                    raise ValueError(
                        f"{path}:{number}: dòng không đọc được / unreadable score line: {error}"
                    ) from error
    if not rows:
        raise ValueError(f"{path}: không có hộ nào / no households")
    frame = pd.DataFrame(rows)
    dep_columns = [c for c in frame.columns if c.startswith("dep_")]
    frame[dep_columns] = frame[dep_columns].astype("boolean").fillna(False).astype(bool)
    return frame


def score_row(record: dict) -> dict:
    """One flat row from a JSON score line (flat, or a household with a nested score)."""
    score = next((record[k] for k in SCORE_KEYS if isinstance(record.get(k), dict)), None)
    if score is None and isinstance(record.get("classification"), dict):
        score = record["classification"]
    score = score or record
    row = {
        "household_id": str(record.get("household_id", score.get("household_id", ""))),
        "commune_code": str(record.get("commune_code", score.get("commune_code"))).zfill(5),
        "classification": score["classification"],
    }
    deprivations = score.get("deprivations", "")
    ids = deprivations.split() if isinstance(deprivations, str) else list(deprivations or [])
    row["deprivations"] = " ".join(ids)
    for indicator in score.get("indicators") or []:
        row[f"dep_{indicator['id']}"] = bool(indicator.get("deprived"))
    row.update({k: bool(v) for k, v in score.items() if k.startswith("dep_")})
    for ident in ids:
        row.setdefault(f"dep_{ident}", True)
    mpi = score.get("mpi") if isinstance(score.get("mpi"), dict) else {}
    for key in ("mpi_c", "c_i"):
        value = score.get(key, mpi.get(key, mpi.get("c")))
        if value is not None:
            row["mpi_c"] = float(value)
            break
    return row
