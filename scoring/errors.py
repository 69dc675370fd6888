"""Errors raised by scoring, each with a stable code and a message in Vietnamese and English.

Scoring never turns a problem into a default class: a missing input, an invalid standard file
or a standard that lacks a value the law has not fixed raises one of these.
"""

from __future__ import annotations


class ScoringError(ValueError):
    """A household or table cannot be scored as asked."""

    def __init__(
        self,
        code: str,
        message_vi: str,
        message_en: str,
        *,
        household_id: str | None = None,
        details: list[str] | None = None,
    ) -> None:
        self.code = code
        self.message_vi = message_vi
        self.message_en = message_en
        self.household_id = household_id
        self.details = list(details or [])
        prefix = f"[{household_id}] " if household_id else ""
        super().__init__(f"{prefix}{message_en} / {message_vi}")

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "household_id": self.household_id,
            "message_vi": self.message_vi,
            "message_en": self.message_en,
            "details": self.details,
        }


class InvalidStandard(ScoringError):
    """A standard file failed validation; ``details`` lists every problem."""


class IncompleteStandard(ScoringError):
    """The standard lacks a value the law has not fixed ([unknown]); the province must supply it."""


class InvalidScorecard(ScoringError):
    """A scorecard file failed validation, or has no table for a household's region."""
