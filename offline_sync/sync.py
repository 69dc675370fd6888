"""Push, pull and conflict resolution: the store and the client working together.

Each function takes an `Outbox` and a `SyncClient`, reports progress through `on_progress`
(never printing), and can be stopped at any instant — by an exception, a kill -9 or a power
cut — and simply run again: see `offline_sync.store` for why nothing is lost or sent twice.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from offline_sync.client import SyncClient, SyncError
from offline_sync.protocol import (
    ACCEPTED,
    CONFLICT,
    DUPLICATE,
    MAX_BATCH_ITEMS,
    REJECTED,
)
from offline_sync.store import Outbox, StoreError

Progress = Callable[[int, int], None]  # (done, total)
DEFAULT_BATCH = 250


@dataclass
class PushReport:
    """What one `push` did; `error` is set when it stopped early (the rest stays pending)."""

    sent: int = 0
    batches: int = 0
    outcomes: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys((ACCEPTED, DUPLICATE, CONFLICT, REJECTED), 0)
    )
    pending: int = 0
    error: SyncError | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "batches": self.batches,
            "outcomes": self.outcomes,
            "pending": self.pending,
            "error": str(self.error) if self.error else None,
        }


def push(
    store: Outbox,
    client: SyncClient,
    *,
    batch_size: int = DEFAULT_BATCH,
    concurrency: int = 2,
    on_progress: Progress | None = None,
) -> PushReport:
    """Send every pending item in enqueue order, batch by batch; record each outcome.

    Up to `concurrency` batches are in flight at once (the server validates and scores one
    while the next travels), but never two versions of one household: a batch is cut before
    the first household that is still in flight, so an edit always arrives after its base.
    A batch the server finds too large (413) is halved and sent again. When the server stays
    unreachable past the client's retries, the push stops and reports the error; what was not
    answered stays pending for the next push.
    """
    with store.exclusive("push"):
        return _push(store, client, batch_size, concurrency, on_progress)


def _push(store, client, batch_size, concurrency, on_progress) -> PushReport:
    report = PushReport()
    total = store.pending_count()
    state = _Pipeline(size=max(1, min(batch_size, MAX_BATCH_ITEMS)))
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        while True:
            while len(state.inflight) < max(1, concurrency) and report.error is None:
                if not _launch(store, client, pool, state):
                    break
            if not state.inflight:
                break
            future, batch = state.inflight.popleft()
            try:
                results = future.result()
            except SyncError as error:
                _failed(state, batch, error, report)
                continue
            _answered(store, batch, results, report)
            if on_progress:
                on_progress(min(report.sent, total), total)
    report.pending = store.pending_count()
    return report


@dataclass
class _Pipeline:
    size: int
    after: int = 0  # last seq launched: unanswered items are not re-sent within one push
    inflight: deque = field(default_factory=deque)


def _launch(store: Outbox, client: SyncClient, pool: ThreadPoolExecutor, state: _Pipeline) -> bool:
    """Start the next batch; False when there is none or it must wait for one in flight."""
    batch = store.next_batch(state.size, after_seq=state.after)
    busy = {row["household_id"] for _future, sent in state.inflight for row in sent}
    for index, row in enumerate(batch):
        if row["household_id"] in busy:
            batch = batch[:index]
            break
    if not batch:
        return False
    store.mark_sending([row["id"] for row in batch])  # committed before it goes on the wire
    state.inflight.append((pool.submit(_post, client, batch), batch))
    state.after = batch[-1]["seq"]
    return True


def _failed(state: _Pipeline, batch: list[dict], error: SyncError, report: PushReport) -> None:
    if error.status == 413 and state.size > 1 and report.error is None:
        state.size = max(1, min(state.size, len(batch)) // 2)
        state.after = min(state.after, batch[0]["seq"] - 1)  # send its items again, smaller
    elif report.error is None:
        report.error = error  # stop launching; batches still in flight are answered first


def _answered(store: Outbox, batch: list[dict], results: list[dict], report: PushReport) -> None:
    for outcome, count in store.record_results(results).items():
        report.outcomes[outcome] += count
    report.sent += len(batch)
    report.batches += 1


def _post(client: SyncClient, batch: list[dict[str, Any]]) -> list[dict]:
    """Post one batch (in a worker thread: no store access here); results matched by id."""
    results = client.submissions.push_encoded([_item_json(row) for row in batch])
    sent_ids = {row["id"] for row in batch}
    return [result for result in results if result.get("id") in sent_ids]


def _item_json(row: dict[str, Any]) -> bytes:
    """The protocol Item as JSON, the stored record text spliced in as it is (it is JSON)."""
    envelope = {key: row[key] for key in ("id", "household_id", "form_id", "form_version", "base")}
    head = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
    return (head[:-1] + ',"record":' + row["record"] + "}").encode()


@dataclass
class PullReport:
    changes: int = 0
    added: int = 0
    cursor: int = 0
    error: SyncError | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "changes": self.changes,
            "added": self.added,
            "cursor": self.cursor,
            "error": str(self.error) if self.error else None,
        }


def pull(
    store: Outbox,
    client: SyncClient,
    *,
    limit: int | None = None,
    on_progress: Progress | None = None,
) -> PullReport:
    """Fetch assignments and review decisions after the stored cursor, page by page.

    Each page and the cursor that follows it are stored in one transaction, so an interrupted
    pull resumes where it stopped and never skips a change.
    """
    with store.exclusive("pull"):
        return _pull(store, client, limit, on_progress)


def _pull(store: Outbox, client: SyncClient, limit, on_progress) -> PullReport:
    report = PullReport(cursor=store.cursor)
    while True:
        try:
            page = client.changes.pull(report.cursor, limit=limit)
        except SyncError as error:
            report.error = error
            break
        changes = page.get("changes") or []
        new_cursor = int(page.get("cursor", report.cursor))
        report.added += store.store_changes(changes, new_cursor)
        report.changes += len(changes)
        report.cursor = max(report.cursor, new_cursor)
        if on_progress:
            on_progress(report.changes, report.changes + (1 if page.get("has_more") else 0))
        if not page.get("has_more") or not changes:
            break
    return report


def fetch_server_versions(store: Outbox, client: SyncClient) -> int:
    """Fetch the server's current version for each open conflict (to show both versions)."""
    fetched = 0
    for found in store.conflicts():
        server = client.households.get(found["household_id"])
        if server is not None:
            store.set_conflict_server(found["item_id"], server)
            fetched += 1
    return fetched


def resolve(store: Outbox, client: SyncClient, item_id: str, how: str) -> dict[str, Any] | None:
    """Settle a conflict: `keep_mine` queues my record again on top of the server's current
    version (push it next); `take_server` adopts the server's version locally."""
    found = store.conflict(item_id)
    if found is None:
        raise StoreError(f"no conflict {item_id}", f"không có xung đột {item_id}")
    server = client.households.get(found["household_id"]) or {}
    return store.resolve(found["item_id"], how, server)
