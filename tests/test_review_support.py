"""Shared set-up for the review tests (imported by tests/test_review_*.py), and checks that the
sample households it relies on really land in their classes through the real ingest path."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from server.queries.users import create_user
from server.review.sample import sample_record, submit

OWN, FOREIGN = "18496", "18073"


@dataclass
class Review:
    """An app with an open round, the usual people, and a way to add households."""

    app: Any
    db: Any
    round: dict
    users: dict = field(default_factory=dict)
    numbers: dict = field(default_factory=dict)

    def add(
        self,
        kind: str,
        *,
        village: str = "Thôn 1",
        commune: str = OWN,
        head_name: str | None = None,
        **changes,
    ) -> str:
        """Submit a new household of that class as the commune's enumerator; its id."""
        number = self.numbers[(commune, village)] = self.numbers.get((commune, village), 0) + 1
        record = sample_record(
            kind, commune=commune, village=village, number=number, head_name=head_name
        )
        record.update(changes)
        enumerator = self.users["enum" if commune == OWN else "enum_foreign"]
        outcome = submit(self.db, record, enumerator)
        assert outcome.outcome == "accepted", outcome.to_result()
        return record["household_id"]

    def resubmit(self, household_id: str, kind: str, **changes) -> None:
        """A new version of the household (an edit of its current submission)."""
        row = self.db.execute(
            "SELECT unpacked(record), submission_id FROM households WHERE round_id = ? AND household_id = ?",
            [self.round["id"], household_id],
        ).fetchone()
        import json

        old = json.loads(row[0])
        record = sample_record(
            kind, commune=old["commune_code"], village=old["village"], head_name=old["head_name"]
        )
        record.update(household_id=household_id, **changes)
        outcome = submit(self.db, record, self.users["enum"], base=row[1])
        assert outcome.outcome == "accepted", outcome.to_result()

    def conflict(self, household_id: str, *, base: str | None = None, **changes) -> int:
        """A quarantined edit of the household (by default a second "new" submission for it:
        `stale_base`); the quarantine row's id."""
        import json

        row = self.db.execute(
            "SELECT unpacked(record), commune_code FROM households WHERE round_id = ? AND household_id = ?",
            [self.round["id"], household_id],
        ).fetchone()
        record = {**json.loads(row[0]), **changes}
        record.pop("round", None)
        enumerator = self.users["enum" if row[1] == OWN else "enum_foreign"]
        outcome = submit(self.db, record, enumerator, base=base)
        assert outcome.outcome == "conflict", outcome.to_result()
        return self.db.execute(
            "SELECT id FROM quarantine WHERE instance_id = ?", [outcome.id]
        ).fetchone()[0]

    def login(self, client, username: str):
        self.users[username]  # create on first use
        response = client.post("/login", data={"username": username, "password": "pw"})
        assert response.status_code == 302, f"login of {username} failed"
        return client


PEOPLE = {
    "enum": ("enumerator", [OWN]),
    "enum_foreign": ("enumerator", [FOREIGN]),
    "head": ("commune", [OWN]),
    "head_foreign": ("commune", [FOREIGN]),
    "province": ("province", []),
    "admin": ("admin", []),
}


class People(dict):
    """Users created on first use (argon2 hashing is slow on purpose: hash only whom we need)."""

    def __init__(self, db) -> None:
        super().__init__()
        self.db = db

    def __missing__(self, name: str):
        role, communes = PEOPLE[name]
        password = None if role == "enumerator" else "pw"
        self[name] = create_user(self.db, name, role=role, communes=communes, password=password)
        return self[name]


def make_review(app, db, review_round) -> Review:
    return Review(app, db, review_round, People(db))


@pytest.fixture
def review(app, db, open_round):
    return make_review(app, db, open_round())


@pytest.mark.parametrize("kind", ["poor", "near_poor", "average", "not_poor"])
def test_sample_households_land_in_their_class_through_ingest(review, kind):
    household_id = review.add(kind)
    row = review.db.execute(
        "SELECT h.classification, s.classification, s.official FROM households h JOIN scores s"
        " ON s.round_id = h.round_id AND s.household_id = h.household_id"
        " AND s.household_version = h.version WHERE h.household_id = ?",
        [household_id],
    ).fetchone()
    assert row == (kind, kind, 1)
