"""The list rule (`server.queries.review_movement.placement`): which household is on which
legal list. A truth table of the pure rule, and a property test over random review histories
driven through the real query functions (decisions, re-submissions through ingest, meetings):
whatever happened, a household sent back is on no posted list and never counted as a class,
and a village never meets while one of its households waits or is under review."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_review_support import OWN, make_review
from test_review_workflow import LONG_AGO

from server.queries import review as rq
from server.queries import review_commune as cq
from server.queries.review_movement import (
    BLOCKS_MEETING,
    DECIDED,
    UNDER_REVIEW,
    placement,
)

CLASSES = ("poor", "near_poor", "average", "not_poor")


@pytest.mark.parametrize(
    ("status", "final", "categories", "proposed", "under_review"),
    [
        ("confirmed", "poor", ("poor", "new_poor"), False, False),
        ("overridden", "near_poor", ("near_poor", "new_near_poor"), False, False),
        ("submitted", "poor", ("poor", "new_poor"), True, False),
        ("resubmitted", "near_poor", ("near_poor", "new_near_poor"), True, False),
        ("returned", "poor", (), False, True),
        ("resurvey", "near_poor", (), False, True),
    ],
)
def test_the_rule_for_each_status(status, final, categories, proposed, under_review):
    placed = placement(status, final, None, set())
    assert (placed.categories, placed.proposed, placed.under_review) == (
        categories,
        proposed,
        under_review,
    )
    assert placed.blocks_meeting == (status in BLOCKS_MEETING)
    assert placed.on_legal_lists == (status in DECIDED)


@given(
    status=st.sampled_from(BLOCKS_MEETING + DECIDED),
    final=st.sampled_from(CLASSES),
    previous=st.sampled_from((None, *CLASSES)),
    ever=st.sets(st.sampled_from(CLASSES)),
)
def test_a_household_under_review_is_never_a_class(status, final, previous, ever):
    placed = placement(status, final, previous, ever)
    if status in UNDER_REVIEW:
        assert placed.categories == () and not placed.on_legal_lists
    else:
        assert (final in placed.categories) == (final in ("poor", "near_poor"))
        assert ("exited_poor" in placed.categories) == (previous == "poor" and final != "poor")


# --- random histories through the real review functions -----------------------------------

HOUSEHOLDS = (("poor", "Thôn 1"), ("near_poor", "Thôn 1"), ("poor", "Thôn 2"))
ACTIONS = st.one_of(
    st.tuples(st.just("confirmed"), st.integers(0, 2)),
    st.tuples(st.just("returned"), st.integers(0, 2)),
    st.tuples(st.just("overridden"), st.integers(0, 2), st.sampled_from(CLASSES)),
    st.tuples(st.just("resubmit"), st.integers(0, 2), st.sampled_from(("poor", "near_poor"))),
    st.tuples(st.just("meeting"), st.sampled_from(("Thôn 1", "Thôn 2")), st.booleans()),
)


def _fresh_review(directory: Path):
    from server import create_app
    from server.db import open_app_db
    from server.queries.rounds import open_round

    app = create_app(
        {"DATABASE": str(directory / "t.sqlite3"), "SECRET_KEY": "t", "WTF_CSRF_ENABLED": False},
        instance_path=str(directory),
    )
    db = open_app_db(app)
    review_round = open_round(db, year=2026, standard="vn-2022", province=app.config["PROVINCE"])
    return make_review(app, db, review_round)


def _apply(review, ids, action) -> bool:
    """One step of the history; whether the server accepted it."""
    kind = action[0]
    try:
        if kind == "meeting":
            _, village, passes = action
            cq.record_meeting(
                review.db,
                round_id=review.round["id"],
                commune_code=OWN,
                village=village,
                held_on=LONG_AGO,
                chair="Trưởng thôn",
                secretary=None,
                attendees=10,
                agree=6 if passes else 2,
                note=None,
                user_id=review.users["head"].id,
            )
        elif kind == "resubmit":
            review.resubmit(ids[action[1]], action[2])
        else:
            household = ids[action[1]]
            rq.record_decision(
                review.db,
                round_id=review.round["id"],
                household_id=household,
                user_id=review.users["head"].id,
                decision=kind,
                version=rq.household_state(review.db, review.round["id"], household)["version"],
                reason="lý do",
                override_class=action[2] if kind == "overridden" else None,
            )
    except rq.ReviewError:
        return False
    return True


def _check_lists(review) -> None:
    rows = {r["household_id"]: r for r in rq.decisions(review.db, review.round["id"], [OWN])}
    posting = cq.posting_list(review.db, review.round, OWN)
    for category, posted in posting["lists"].items():
        for entry in posted:
            row = rows[entry["household_id"]]
            assert row["status"] in DECIDED, (category, row)
            if category in ("poor", "near_poor"):
                assert row["final_class"] == category
    posted_ids = {e["household_id"] for lst in posting["lists"].values() for e in lst}
    for row in rows.values():
        if row["status"] in UNDER_REVIEW:
            assert row["household_id"] not in posted_ids
    data = cq.categorise(review.db, review.round, OWN)
    for klass in ("poor", "near_poor"):
        counted = sum(
            1
            for r in rows.values()
            if r["final_class"] == klass and r["status"] not in UNDER_REVIEW
        )
        assert data["movement"][klass]["end"] == counted
    assert data["movement"]["under_review"] == sum(
        r["status"] in UNDER_REVIEW for r in rows.values()
    )


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(history=st.lists(ACTIONS, min_size=1, max_size=12))
def test_random_histories_keep_the_legal_lists_right(history):
    with tempfile.TemporaryDirectory() as directory:
        review = _fresh_review(Path(directory))
        try:
            ids = [review.add(kind, village=village) for kind, village in HOUSEHOLDS]
            for action in history:
                before = {
                    r["household_id"]: r["status"]
                    for r in rq.decisions(review.db, review.round["id"], [OWN])
                }
                accepted = _apply(review, ids, action)
                if action[0] == "meeting":
                    village_ids = [
                        i for i, (_k, v) in zip(ids, HOUSEHOLDS, strict=True) if v == action[1]
                    ]
                    blocked = any(before[i] in BLOCKS_MEETING for i in village_ids)
                    assert accepted == (not blocked), (action, before)
                _check_lists(review)
        finally:
            review.db.conn.close()


def test_bulk_confirm_confirms_only_what_the_reviewer_saw(app, db, open_round):
    review = make_review(app, db, open_round())
    seen, changed, decided = (review.add("poor") for _ in range(3))
    foreign = review.add("poor", commune="18073")
    rq.record_decision(
        db,
        round_id=review.round["id"],
        household_id=decided,
        user_id=review.users["head"].id,
        decision="returned",
        version=1,
        reason="sai",
    )
    review.resubmit(changed, "near_poor")  # version 2 arrived after the page was shown
    outcome = rq.confirm_many(
        db,
        round_id=review.round["id"],
        commune_code=OWN,
        picked=[(seen, 1), (changed, 1), (decided, 1), (foreign, 1)],
        user_id=review.users["head"].id,
    )
    assert outcome["confirmed"] == [seen]
    assert [(h, en) for h, _vi, en in outcome["skipped"]] == [
        (changed, "a newer version arrived"),
        (decided, "already decided"),
        (foreign, "no such household"),
    ]
    events = db.execute(
        "SELECT household_id, json_extract(data, '$.bulk') FROM review_events"
        " WHERE action = 'confirm'"
    ).fetchall()
    assert events == [(seen, 1)]


def test_exports_follow_the_rule(app, db, open_round):
    from server.queries.province import compute_aggregates
    from server.reports import movement_table, results_table

    review = make_review(app, db, open_round())
    kept, returned = review.add("poor"), review.add("poor")
    for household, decision in ((kept, "confirmed"), (returned, "returned")):
        rq.record_decision(
            db,
            round_id=review.round["id"],
            household_id=household,
            user_id=review.users["head"].id,
            decision=decision,
            version=1,
            reason="xem lại",
        )
    table = compute_aggregates(db, review.round, [OWN])
    meta = {"round": review.round["label"], "standard": "vn-2022", "province_name": "Hà Tĩnh"}
    results = {r["commune_code"]: r for r in results_table(table, meta).rows}
    assert results[OWN]["under_review"] == 1
    movement = {r["commune_code"]: r for r in movement_table(table, meta).rows}
    assert movement[OWN]["mv_poor_end"] == 1  # the returned household is on no list
