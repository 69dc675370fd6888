"""scoring — Vietnam's multidimensional poverty standards as data, and the scoring that applies them.

Public API (docs/design.md, docs/scoring.md):

* ``POOR, NEAR_POOR, AVERAGE, NOT_POOR`` — class names.
* ``list_standards()``, ``load_standard(id_or_path_or_mapping)``, ``validate_standard(data)``.
* ``classify(household, standard="vn-2022", *, mode="income"|"field", scorecard=None)``
  → ``Classification`` (``.to_dict()``).
* ``load_scorecard(path_or_mapping)``, ``validate_scorecard(data)``, ``EXAMPLE_SCORECARD``
  (an EXAMPLE B1 table, not the official one).
* ``batch.score_tables(households_df, members_df, standard, *, mode, scorecard)``.
* ``mpi`` — global MPI (Alkire–Foster): ``household_mpi``, ``mpi_tables``, ``mpi_summary``.
* Errors: ``ScoringError``, ``InvalidStandard``, ``IncompleteStandard``, ``InvalidScorecard``.
"""

from __future__ import annotations

from .classify import Classification, IndicatorResult, classify
from .errors import IncompleteStandard, InvalidScorecard, InvalidStandard, ScoringError
from .indicators import REGISTRY as INDICATOR_FUNCTIONS
from .rules import AVERAGE, CLASSES, NEAR_POOR, NOT_POOR, POOR
from .scorecard import Scorecard, example_scorecard, load_scorecard, validate_scorecard
from .standard import Indicator, Standard, list_standards, load_standard, validate_standard

EXAMPLE_SCORECARD: Scorecard = example_scorecard()

__all__ = [
    "AVERAGE",
    "CLASSES",
    "EXAMPLE_SCORECARD",
    "INDICATOR_FUNCTIONS",
    "NEAR_POOR",
    "NOT_POOR",
    "POOR",
    "Classification",
    "IncompleteStandard",
    "Indicator",
    "IndicatorResult",
    "InvalidScorecard",
    "InvalidStandard",
    "Scorecard",
    "ScoringError",
    "Standard",
    "classify",
    "list_standards",
    "load_scorecard",
    "load_standard",
    "validate_scorecard",
    "validate_standard",
]
