"""`povcensus sync …` — the enumerator and commune-office client on the command line.

A thin layer over `offline_sync.store`, `.capture` and `.sync`: parse options, call the
library, print (tqdm bars on a terminal, silent in pipes; `--json` for scripts).

Exit codes (the same for every command, so scripts can branch on them):

    0  done; nothing needs attention
    1  done, but some input rows were invalid or some households were rejected
    2  usage error (bad option or argument)
    3  conflicts wait for `sync resolve`
    4  the server could not be reached or failed; what was not sent stays queued
    5  not logged in, or the server refused the token
    6  (status only) households are still waiting to be pushed
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from offline_sync.store import STORE_ENV, Outbox, StoreError, default_store_path

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_CONFLICT, EXIT_NETWORK, EXIT_AUTH, EXIT_PENDING = range(7)
SERVER_ENV, TOKEN_ENV = "POVCENSUS_SYNC_SERVER", "POVCENSUS_SYNC_TOKEN"


class Exit(click.ClickException):
    """A message for a person and a documented exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.exit_code = code


def _friendly(command: Callable) -> Callable:
    """Turn errors a person can act on into one line and the documented exit code."""

    @wraps(command)
    def wrapped(*args: Any, **kwargs: Any):
        from offline_sync.capture import ReadError
        from offline_sync.client import SyncError

        try:
            return command(*args, **kwargs)
        except (StoreError, ReadError) as error:
            if os.environ.get("POVCENSUS_DEBUG"):
                raise
            hint = getattr(error, "hint", "")
            raise Exit(str(error) + (f"\nhint: {hint}" if hint else ""), EXIT_INVALID) from error
        except SyncError as error:
            if os.environ.get("POVCENSUS_DEBUG"):
                raise
            code = EXIT_AUTH if error.status in (401, 403) else EXIT_NETWORK
            raise Exit(f"{error} / {error.message_vi}", code) from error

    return wrapped


@click.group()
@click.option(
    "--store",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar=STORE_ENV,
    help=f"Local store file (default: ${STORE_ENV} or {default_store_path()}).",
)
@click.pass_context
def sync(ctx: click.Context, store: Path | None) -> None:
    """Collect households offline and sync them with the povcensus server.

    Queue households from paper forms (JSON, CSV, XLSX), push them through any network —
    retries are safe, each household is stored exactly once — and pull assignments and the
    commune's review decisions.

    Example: povcensus sync login --server https://povcensus.example.vn --token TOKEN
    """
    ctx.obj = {"store_path": store}


def _store(ctx: click.Context) -> Outbox:
    obj = ctx.ensure_object(dict)  # the dict the `sync` group set, shared by its commands
    if "store" not in obj:
        obj["store"] = Outbox(obj.get("store_path"))
        ctx.call_on_close(obj["store"].close)
    return obj["store"]


def _client(store: Outbox, *, timeout: float | None = None, retries: int | None = None):
    """Server and token: from the environment, else from the store (set by `sync login`)."""
    from offline_sync.client import Backoff, SyncClient

    server = os.environ.get(SERVER_ENV) or store.get_config("server_url")
    token = os.environ.get(TOKEN_ENV) or store.get_config("token")
    if not server or not token:
        raise Exit(
            "not logged in: run `povcensus sync login --server URL --token TOKEN` / chưa đăng"
            " nhập: hãy chạy `povcensus sync login --server URL --token TOKEN`",
            EXIT_AUTH,
        )
    backoff = Backoff() if retries is None else Backoff(retries=retries)
    return SyncClient(server, token, timeout=timeout or 120.0, backoff=backoff)


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _bar(total: int | None, desc: str):
    from tqdm import tqdm

    # disable=None: a bar on a terminal, nothing in pipes, files and tests.
    return tqdm(total=total, desc=desc, unit="hh", disable=None, file=sys.stderr, leave=False)


# --- login --------------------------------------------------------------------------------


@sync.command()
@click.option("--server", required=True, help="The povcensus server's address.")
@click.option("--token", required=True, help="The device token from `povcensus tokens issue`.")
@click.option("--no-check", is_flag=True, help="Save without asking the server (offline setup).")
@click.pass_context
@_friendly
def login(ctx: click.Context, server: str, token: str, no_check: bool) -> None:
    """Register this device: keep the server address and token in the store (mode 0600).

    Example: povcensus sync login --server http://10.0.0.5:8000 --token 3f9c…
    """
    from offline_sync.client import SyncClient

    store = _store(ctx)
    who: dict[str, Any] = {}
    if not no_check:
        with SyncClient(server, token) as client:
            who = client.me()
    store.set_config(
        server_url=server.rstrip("/"),
        token=token,
        user=who.get("user"),
        communes=" ".join(who.get("communes") or []) or None,
        role=who.get("role"),
    )
    user = f" as {who['user']} (communes {' '.join(who.get('communes') or [])})" if who else ""
    click.echo(f"logged in to {server}{user}; store {store.path}")


# --- capture ------------------------------------------------------------------------------


@sync.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--members", type=click.Path(dir_okay=False, path_type=Path), help="Members table (CSV/XLSX)."
)
@click.option("--replace", is_flag=True, help="Queue a new version of households already held.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@click.pass_context
@_friendly
def add(ctx, file: Path, members: Path | None, replace: bool, as_json: bool) -> None:
    """Validate households from FILE and queue the valid ones for push.

    FILE is JSON (a record or a list), JSON Lines, a CSV of households with its members CSV
    (--members, default <name>.members.csv), or an XLSX workbook with sheets `households` and
    `members`. Every problem is printed with file,
    row, field and reason; exit code 1 when any row was invalid (the valid rows are queued).

    Example: povcensus sync add phieu-b.xlsx

    Example: povcensus sync add households.csv --members members.csv
    """
    from offline_sync.capture import capture

    store = _store(ctx)
    with _bar(None, "validating") as bar:
        report = capture(
            store, file, members=members, replace=replace, on_progress=lambda *_: bar.update(),
            communes=_assigned_communes(store),
        )  # fmt: skip
    if as_json:
        _echo_json(report.to_dict())
    else:
        for error in report.errors:
            click.echo(str(error), err=True)
        from povcensus.fmt import number

        counts = (report.read, len(report.queued), len(report.unchanged), report.failed_rows)
        en, vi = ([number(n, lang) for n in counts] for lang in ("en", "vi"))
        click.echo(
            f"read {en[0]}, queued {en[1]}, unchanged {en[2]}, invalid {en[3]} / đọc {vi[0]},"
            f" đã xếp hàng {vi[1]}, không đổi {vi[2]}, lỗi {vi[3]}"
        )
    ctx.exit(EXIT_INVALID if report.errors else EXIT_OK)


def _assigned_communes(store: Outbox) -> list[str] | None:
    """The communes `sync login` learnt from the server; None when every commune is allowed
    (province and admin accounts) or when unknown (logged in with --no-check)."""
    if store.get_config("role") in ("province", "admin"):
        return None
    communes = (store.get_config("communes") or "").split()
    return communes or None


@sync.command()
@click.argument("household_id")
@click.option(
    "--from",
    "from_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JSON file with the whole new record.",
)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Change one field (dotted path, members[0].name; VALUE is JSON or text). Repeatable.",
)
@click.pass_context
@_friendly
def edit(ctx, household_id: str, from_file: Path | None, assignments: tuple[str, ...]) -> None:
    """Queue a new version of a household (it names the version it replaces).

    Starts from the newest local version, or from the assignment pulled for the household.

    Example: povcensus sync edit 18496-thon-1-0007 --set dwelling.floor_area_m2=42

    Example: povcensus sync edit 18496-thon-1-0007 --from corrected.json
    """
    from offline_sync.capture import Source, check

    store = _store(ctx)
    record = _starting_record(store, household_id, from_file)
    for assignment in assignments:
        path, _, value = assignment.partition("=")
        _set_path(record, path.strip(), _parse_value(value))
    if record.get("household_id") != household_id:
        raise Exit("the record's household_id must stay the same / không được đổi mã hộ", 1)
    errors = check(Source(record, "edit", None))
    if errors:
        for error in errors:
            click.echo(str(error), err=True)
        ctx.exit(EXIT_INVALID)
    item = store.edit(record, source="edit")
    edits = f"edits {item['base']}" if item["base"] else "the server has no earlier version"
    click.echo(f"queued {item['id']} for {household_id} ({edits})")


def _starting_record(store: Outbox, household_id: str, from_file: Path | None) -> dict:
    if from_file is not None:
        return json.loads(from_file.read_text("utf-8"))
    latest = store.latest(household_id)
    if latest is not None:
        return latest["record"]
    assignment = store.assignment(household_id)
    if assignment is not None and assignment["data"].get("record"):
        record = dict(assignment["data"]["record"])
        record.pop("round", None)  # the server files it into the open round
        return record
    raise StoreError(
        f"household {household_id} is not in the store", f"hộ {household_id} không có trong kho"
    )


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _set_path(record: dict, path: str, value: Any) -> None:
    """Set `a.b`, `members[2].name` in place."""
    parts = [p for p in path.replace("]", "").replace("[", ".").split(".") if p]
    target: Any = record
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target.setdefault(part, {})
    last = parts[-1]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value


# --- looking --------------------------------------------------------------------------------


@sync.command("list")
@click.option(
    "--state",
    type=click.Choice(
        ["queued", "sending", "accepted", "rejected", "conflict", "superseded", "resolved"]
    ),
    multiple=True,
    help="Only these states (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_friendly
def list_items(ctx, state: tuple[str, ...], as_json: bool) -> None:
    """List queued and sent household versions with their state.

    Example: povcensus sync list --state rejected
    """
    items = _store(ctx).items(states=state or None)
    items = [item for item in items if item["state"] != "server"]
    if as_json:
        _echo_json([{k: v for k, v in item.items() if k != "record"} for item in items])
        return
    for item in items:
        click.echo(
            f"{item['id'][:8]}  {item['household_id']:<24} {item['state']:<10}"
            f" v{item['version'] or '-'}  {item['classification'] or ''}  {item['source'] or ''}"
        )


@sync.command()
@click.argument("ident")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_friendly
def show(ctx, ident: str, as_json: bool) -> None:
    """Show one item (by id or its first 8 characters) or a household's versions.

    Example: povcensus sync show 18496-thon-1-0007
    """
    store = _store(ctx)
    item = store.get(ident)
    items = [item] if item else store.versions(ident)
    if not items:
        raise StoreError(f"nothing called {ident}", f"không tìm thấy {ident}")
    if as_json:
        _echo_json(items if len(items) > 1 else items[0])
        return
    for found in items:
        click.echo(
            f"{found['id']}  {found['household_id']}  {found['state']}"
            f"  base={found['base'] or '-'}  version={found['version'] or '-'}"
            f"  class={found['classification'] or '-'}  source={found['source'] or '-'}"
        )
        for error in found["errors"]:
            click.echo(
                f"  {error.get('path')}: {error.get('message_en')} / {error.get('message_vi')}"
            )
        if found["conflict"]:
            click.echo(f"  conflict: {found['conflict']}")
    click.echo(json.dumps(items[-1]["record"], ensure_ascii=False, indent=2))


@sync.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_friendly
def status(ctx, as_json: bool) -> None:
    """Pending, sent, accepted, rejected (with reasons) and conflicts; pulled changes.

    Exit code: 0 all accepted, 1 rejected households wait for a fix, 3 conflicts wait for
    `sync resolve`, 6 households wait to be pushed.

    Example: povcensus sync status --json
    """
    store = _store(ctx)
    counts = store.counts()
    rejected = store.rejected_open()
    summary = {
        "server": store.get_config("server_url"),
        "user": store.get_config("user"),
        "pending": counts["queued"],
        "sent": counts["sending"],
        "accepted": counts["accepted"],
        "rejected": counts["rejected_open"],
        "conflicts": len(store.conflicts()),
        # a person must act (fix and add again, discard, resolve) vs a send that failed (retry)
        "needs_attention": counts["rejected_open"] + len(store.conflicts()),
        "failed": store.failed_to_send(),
        "assignments": len(store.changes("assignment")),
        "decisions": len(store.changes("decision")),
        "pull_cursor": store.cursor,
        "decision_items": [
            {"household_id": c["household_id"], "round": c["round"], **c["data"]}
            for c in store.changes("decision")
        ],
        "rejected_items": [
            {"id": i["id"], "household_id": i["household_id"], "errors": json.loads(i["errors"])}
            for i in rejected
        ],
    }
    if as_json:
        _echo_json(summary)
    else:
        _print_status(summary)
    ctx.exit(_status_code(summary))


def _print_status(summary: dict[str, Any]) -> None:
    click.echo(f"server: {summary['server'] or '-'}  user: {summary['user'] or '-'}")
    click.echo(
        "pending {pending} · sent, awaiting answer {sent} · accepted {accepted} · rejected"
        " {rejected} · conflicts {conflicts}".format(**summary)
    )
    if summary["needs_attention"]:
        click.echo(
            f"needs attention: {summary['needs_attention']} — rejected households need a fix"
            " (`sync add --replace` or `sync edit`) or `sync discard`; conflicts need"
            f" `sync resolve` / cần xử lý: {summary['needs_attention']} — sửa hộ bị từ chối"
            " hoặc `sync discard`; xung đột: `sync resolve`"
        )
    if summary["failed"]:
        click.echo(
            f"failed to send: {summary['failed']} still queued after a failed push (network or"
            f" server) — run `sync push` again / gửi lỗi: {summary['failed']} hộ vẫn chờ gửi,"
            " hãy chạy lại `sync push`"
        )
    click.echo(
        f"assignments {summary['assignments']} · decisions {summary['decisions']}"
        f" · pull cursor {summary['pull_cursor']}"
    )
    for decision in summary["decision_items"]:
        click.echo(
            f"decision {decision['household_id']} ({decision.get('round') or '-'}):"
            f" {decision.get('action')} {decision.get('comment') or ''}".rstrip()
        )
    for item in summary["rejected_items"]:
        click.echo(f"rejected {item['id'][:8]} {item['household_id']}:")
        for error in item["errors"]:
            click.echo(
                f"  {error.get('path')}: {error.get('message_en')} / {error.get('message_vi')}"
            )


@sync.command()
@click.argument("item_ids", nargs=-1)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
@_friendly
def discard(ctx, item_ids: tuple[str, ...], yes: bool) -> None:
    """Remove rejected households from the store (all of them, or those ITEM_IDS).

    A rejected household was never stored by the server; once discarded it is no longer
    counted by `sync status`. To correct one instead, add it again with `sync add --replace`.

    Example: povcensus sync discard

    Example: povcensus sync discard 3f9c2a1b --yes
    """
    store = _store(ctx)
    rejected = store.rejected_open()
    wanted = [i for i in rejected if not item_ids or any(i["id"].startswith(w) for w in item_ids)]
    if not wanted and not item_ids:
        click.echo("no rejected household to discard / không có hộ bị từ chối nào")
        return
    for item in wanted:
        reasons = "; ".join(e.get("message_vi") or "" for e in json.loads(item["errors"] or "[]"))
        click.echo(f"{item['id'][:8]} {item['household_id']}: {reasons}")
    if not yes:
        click.confirm(
            f"Discard these {len(wanted)} rejected households? / Bỏ {len(wanted)} hộ bị từ chối?",
            abort=True,
        )
    removed = store.discard_rejected(list(item_ids) if item_ids else None)
    click.echo(f"discarded {len(removed)} / đã bỏ {len(removed)}")


def _status_code(summary: dict[str, Any]) -> int:
    if summary["conflicts"]:
        return EXIT_CONFLICT
    if summary["rejected"]:
        return EXIT_INVALID
    if summary["pending"] or summary["sent"]:
        return EXIT_PENDING
    return EXIT_OK


# --- sync -----------------------------------------------------------------------------------


@sync.command()
@click.option("--batch-size", default=250, show_default=True, type=click.IntRange(1, 500))
@click.option(
    "--concurrency",
    default=2,
    show_default=True,
    type=click.IntRange(1, 4),
    help="Batches in flight at once (never two versions of one household).",
)
@click.option("--timeout", type=float, help="Seconds to wait for each answer (default 120).")
@click.option("--retries", type=click.IntRange(0, 20), help="Retries per batch (default 6).")
@click.option(
    "--retry-rejected",
    is_flag=True,
    help="Send rejected households again unchanged (e.g. once the round is open).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@click.pass_context
@_friendly
def push(
    ctx,
    batch_size: int,
    concurrency: int,
    timeout: float | None,
    retries: int | None,
    retry_rejected: bool,
    as_json: bool,
) -> None:
    """Send queued households; safe to interrupt and run again (each is stored once).

    Exit code: 0 all accepted, 1 some rejected, 3 conflicts, 4 the server could not be
    reached (the rest stays queued; run push again later).

    Example: povcensus sync push
    """
    from offline_sync.sync import push as push_items

    store = _store(ctx)
    if retry_rejected:
        store.requeue_rejected()
    with _client(store, timeout=timeout, retries=retries) as client:
        with _bar(store.pending_count(), "pushing") as bar:
            report = push_items(
                store,
                client,
                batch_size=batch_size,
                concurrency=concurrency,
                on_progress=_advance(bar),
            )
    if as_json:
        _echo_json(report.to_dict())
    else:
        out = report.outcomes
        click.echo(
            f"sent {report.sent}: accepted {out['accepted']}, duplicate {out['duplicate']},"
            f" rejected {out['rejected']}, conflict {out['conflict']}; still queued"
            f" {report.pending}"
        )
        if report.error:
            click.echo(f"stopped: {report.error} / đã dừng: {report.error.message_vi}", err=True)
    ctx.exit(_push_code(report, store))


def _advance(bar) -> Callable[[int, int], None]:
    def advance(done: int, total: int) -> None:
        bar.update(done - bar.n)

    return advance


def _push_code(report, store: Outbox) -> int:
    if report.error is not None:
        return EXIT_AUTH if report.error.status in (401, 403) else EXIT_NETWORK
    if report.outcomes["conflict"]:
        return EXIT_CONFLICT
    if report.outcomes["rejected"]:
        return EXIT_INVALID
    return EXIT_OK


@sync.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@click.pass_context
@_friendly
def pull(ctx, as_json: bool) -> None:
    """Fetch assignments and review decisions for your communes (resumes at the cursor).

    Example: povcensus sync pull
    """
    from offline_sync.sync import pull as pull_changes

    store = _store(ctx)
    with _client(store) as client, _bar(None, "pulling") as bar:
        report = pull_changes(store, client, on_progress=_advance(bar))
    if as_json:
        _echo_json(report.to_dict())
    else:
        click.echo(
            f"received {report.changes} changes ({report.added} new); cursor {report.cursor}"
        )
        for change in store.changes()[-report.added :] if report.added else []:
            data = change["data"]
            detail = f"{data.get('action')} {data.get('comment') or ''}".rstrip()
            if change["kind"] == "assignment":
                detail = f"re-survey (last round {data.get('previous_round') or '-'})"
            click.echo(f"{change['kind']} {change['household_id']}: {detail}")
    if report.error:
        raise Exit(f"{report.error} / {report.error.message_vi}", EXIT_NETWORK)


@sync.command()
@click.option("--offline", is_flag=True, help="Do not ask the server for its versions.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_friendly
def conflicts(ctx, offline: bool, as_json: bool) -> None:
    """Show each open conflict with both versions (mine and the server's) and what differs.

    Example: povcensus sync conflicts
    """
    from offline_sync.sync import fetch_server_versions

    store = _store(ctx)
    if not offline and store.conflicts():
        with _client(store) as client:
            fetch_server_versions(store, client)
    found = store.conflicts()
    if as_json:
        _echo_json(found)
    else:
        for one in found:
            _print_conflict(one)
        click.echo(f"{len(found)} open conflict(s) / {len(found)} xung đột chưa giải quyết")
    ctx.exit(EXIT_CONFLICT if found else EXIT_OK)


def _print_conflict(one: dict[str, Any]) -> None:
    click.echo(
        f"conflict {one['item_id']} household {one['household_id']} ({one['reason']});"
        f" server's current {one['current_id'] or '-'}"
    )
    server = one["server_record"]
    if server is None:
        click.echo(
            "  the server's version is unknown: not fetched yet (run without --offline) or the"
            " server has none"
        )
        return
    for path, mine, theirs in diff_records(one["mine"], server):
        click.echo(
            f"  {path}: mine={json.dumps(mine, ensure_ascii=False)}"
            f"  server={json.dumps(theirs, ensure_ascii=False)}"
        )


def diff_records(mine: Any, theirs: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """Leaf fields that differ between two records (`round` is the server's to set)."""
    if isinstance(mine, dict) and isinstance(theirs, dict):
        out = []
        for key in sorted(set(mine) | set(theirs)):
            if not path and key == "round":
                continue
            out += diff_records(mine.get(key), theirs.get(key), f"{path}.{key}" if path else key)
        return out
    if isinstance(mine, list) and isinstance(theirs, list) and len(mine) == len(theirs):
        out = []
        for index, (a, b) in enumerate(zip(mine, theirs, strict=True)):
            out += diff_records(a, b, f"{path}[{index}]")
        return out
    return [] if mine == theirs else [(path, mine, theirs)]


@sync.command()
@click.argument("item_id")
@click.option("--keep-mine", "how", flag_value="keep_mine", help="Send my version again.")
@click.option("--take-server", "how", flag_value="take_server", help="Adopt the server's.")
@click.pass_context
@_friendly
def resolve(ctx, item_id: str, how: str | None) -> None:
    """Settle a conflict: --keep-mine (a new version on top of the server's) or --take-server.

    Example: povcensus sync resolve 5b1e2c3d --keep-mine && povcensus sync push
    """
    from offline_sync.sync import resolve as resolve_conflict

    if how is None:
        raise click.UsageError("choose --keep-mine or --take-server")
    store = _store(ctx)
    with _client(store) as client:
        item = resolve_conflict(store, client, item_id, how)
    if item is None:
        click.echo("took the server's version / đã lấy phiên bản của máy chủ")
    else:
        click.echo(f"queued my version again as {item['id']} (base {item['base']}); run push")
