"""GSO administrative codes as the maps join on them: zero-padded strings."""

from __future__ import annotations

import pandas as pd


def normalise_code(value: object, *, width: int = 5) -> str:
    """A GSO code as a zero-padded string: 18073, "18073", "18073.0" and " 4" all work."""
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    return text.zfill(width) if text.isdigit() else text


def normalise_codes(codes: pd.Series, *, width: int = 5) -> pd.Series:
    """`normalise_code` over a column (each distinct value converted once: census-sized columns)."""
    mapping = {value: normalise_code(value, width=width) for value in pd.unique(codes)}
    return codes.map(mapping)
