"""Classing a measure for a choropleth: quantile, equal interval, natural breaks, fixed thresholds.

mapclassify does the statistics; this module adds what a poverty map needs around it: an
explicit "no data" class (index -1) for communes without a value, graceful handling of fewer
distinct values than classes, symmetric diverging classes for change between rounds, and one
palette shared by the web map and the printed PNG.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import mapclassify
import numpy as np
from matplotlib import colormaps
from matplotlib.colors import to_hex

SCHEMES = ("quantile", "equal_interval", "natural_breaks", "fixed")
NO_DATA_COLOR = "#bdbdbd"
SEQUENTIAL_PALETTE = "YlOrRd"
DIVERGING_PALETTE = "RdYlBu_r"  # falling poverty blue, rising red


@dataclass
class Classes:
    """Result of classing one measure: upper bounds, class of each value (-1 = no data), colours."""

    bins: list[float]
    lower: float
    index: np.ndarray
    colors: list[str]
    counts: list[int]
    no_data: int

    def ranges(self, digits: int = 1, locale: str = "vi") -> list[str]:
        """Legend text of each class in the reader's convention: "10,0 – 20,0" (vi),
        "10.0 – 20.0" (en)."""
        from povcensus import fmt

        edges = [fmt.number(edge, locale, digits=digits) for edge in (self.lower, *self.bins)]
        return [f"{edges[i]} – {edges[i + 1]}" for i in range(len(self.bins))]


def classify(
    values: Sequence[float] | np.ndarray,
    *,
    scheme: str = "quantile",
    k: int = 5,
    thresholds: Sequence[float] | None = None,
    diverging: bool = False,
) -> Classes:
    """Class ``values`` (NaN = no data) into at most ``k`` classes with the chosen scheme.

    ``fixed`` needs ``thresholds`` (upper bounds of every class but the last, e.g. policy
    cut-offs such as 10, 20, 30 %); the top class always reaches the maximum. ``diverging``
    ignores the scheme and builds classes symmetric around zero.
    """
    if scheme not in SCHEMES:
        raise ValueError(
            f"Cách phân lớp không hợp lệ / unknown scheme {scheme!r}: use one of {SCHEMES}"
        )
    if k < 1:
        raise ValueError("k must be at least 1")
    array = np.asarray(values, dtype=float)
    present = ~np.isnan(array)
    data = array[present]
    if data.size == 0:
        bins, lower = [], 0.0
    elif diverging:
        bins, lower = _diverging_bins(data, k)
    else:
        bins, lower = _bins(data, scheme, k, thresholds)
    index = np.full(array.shape, -1, dtype=int)
    if bins:
        index[present] = np.minimum(
            np.searchsorted(np.asarray(bins), data, side="left"), len(bins) - 1
        )
    counts = [int((index == i).sum()) for i in range(len(bins))]
    return Classes(
        bins, lower, index, palette(len(bins), diverging=diverging), counts, int((~present).sum())
    )


def palette(n: int, *, diverging: bool = False) -> list[str]:
    """``n`` hex colours: light-to-dark YlOrRd, or blue-to-red for change maps."""
    if n == 0:
        return []
    cmap = colormaps[DIVERGING_PALETTE if diverging else SEQUENTIAL_PALETTE]
    stops = np.linspace(0.05, 0.95, n) if diverging else np.linspace(0.15, 0.95, n)
    return [to_hex(cmap(s)) for s in stops]


def _bins(
    data: np.ndarray, scheme: str, k: int, thresholds: Sequence[float] | None
) -> tuple[list[float], float]:
    lower = float(data.min())
    if scheme == "fixed":
        if not thresholds:
            raise ValueError(
                "Phân lớp cố định cần ngưỡng / scheme 'fixed' needs thresholds, e.g. [10, 20, 30]"
            )
        cuts = sorted(float(t) for t in thresholds)
        top = max(float(data.max()), cuts[-1])
        return [*cuts, top] if top > cuts[-1] else cuts, min(lower, 0.0)
    k = min(k, np.unique(data).size)
    if k <= 1:
        return [float(data.max())], lower
    maker = {
        "quantile": mapclassify.Quantiles,
        "equal_interval": mapclassify.EqualInterval,
        "natural_breaks": mapclassify.FisherJenks,
    }[scheme]
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore"
        )  # mapclassify warns when ties merge classes; we dedupe below
        bins = maker(data, k=k).bins
    return sorted({float(b) for b in bins}), lower


def _diverging_bins(data: np.ndarray, k: int) -> tuple[list[float], float]:
    bound = float(np.abs(data).max()) or 1.0
    n = k if k % 2 else k + 1  # odd, so that a middle class holds "no change"
    edges = np.linspace(-bound, bound, n + 1)
    return [float(e) for e in edges[1:]], float(edges[0])
