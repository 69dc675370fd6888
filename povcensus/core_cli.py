"""The core commands: ``povcensus score``, ``povcensus synth`` and ``povcensus standards``.

``score`` reads a households file (povcensus.readers: JSON Lines, JSON, CSV pair, XLSX),
validates every record with ``survey_forms.validate_household``, scores the valid ones in
batches with ``scoring.batch.score_tables`` and writes one row per household (JSON Lines or
CSV). Invalid records go to a rejects file with every problem (file, line, field path, code,
Vietnamese and English reason); the valid ones are scored all the same.

Exit codes of ``score`` (also in its ``--help``):

* 0 — every household was scored;
* 1 — some households were rejected (the others are scored and written);
* 2 — the command line is wrong (unknown option, bad value);
* 3 — nothing could be scored: the input, standard, scorecard or output cannot be used;
* 4 — an unexpected error (run again with ``--debug`` for the traceback).
"""

from __future__ import annotations

import csv
import json
import math
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import click

from povcensus import fmt

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_CANNOT_RUN, EXIT_BUG = 0, 1, 2, 3, 4
SCORE_CHUNK = 5_000  # valid households scored per batch
CLASS_ORDER = ("poor", "near_poor", "average", "not_poor")
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit minus the header row


def vi(value: Any) -> str:
    """A count in a Vietnamese message: 10.000."""
    return fmt.number(value, "vi")


def en(value: Any) -> str:
    """A count in an English message: 10,000."""
    return fmt.number(value, "en")


class CannotRun(Exception):
    """A problem that stops a command before any work, with a hint; exit code 3."""

    def __init__(self, message_en: str, message_vi: str = "", hint: str = "") -> None:
        super().__init__(message_en)
        self.message_en, self.message_vi, self.hint = message_en, message_vi, hint


@contextmanager
def _friendly(debug: bool) -> Iterator[None]:
    """Turn known errors into a message with a hint (exit 3), others into exit 4."""
    from povcensus.readers import InputError
    from scoring import ScoringError

    try:
        yield
    except (click.exceptions.Exit, click.ClickException, KeyboardInterrupt):
        raise
    except (CannotRun, InputError, ScoringError) as error:
        if debug:
            raise
        _say_error(error.message_en, getattr(error, "message_vi", ""), getattr(error, "hint", ""))
        sys.exit(EXIT_CANNOT_RUN)
    except Exception as error:
        if debug:
            raise
        _say_error(
            f"unexpected error: {type(error).__name__}: {error}",
            "lỗi ngoài dự kiến",
            "Run again with --debug to see the traceback, and report it.",
        )
        sys.exit(EXIT_BUG)


def _say_error(en: str, vi: str, hint: str) -> None:
    click.secho(f"Error: {en}", fg="red", err=True)
    if vi:
        click.secho(f"Lỗi: {vi}", fg="red", err=True)
    if hint:
        click.echo(f"Hint: {hint}", err=True)


def _progress(total: int | None, unit: str, desc: str):
    from tqdm import tqdm

    # disable=None: the bar shows on a terminal only (silent for pipes, files and tests)
    return tqdm(total=total, unit=unit, desc=desc, disable=None, file=sys.stderr, leave=False)


# -- standards ---------------------------------------------------------------------------------
def _load_standard(standard_id: str):
    from scoring import InvalidStandard, list_standards, load_standard

    if standard_id.endswith((".toml", ".json")) and not Path(standard_id).is_file():
        raise CannotRun(
            f"{standard_id}: no such standard file",
            f"{standard_id}: không có tệp chuẩn nghèo này",
            f"Give a standard file a province supplies, or an id: {', '.join(list_standards())}.",
        )
    try:
        std = load_standard(standard_id)
    except InvalidStandard as error:
        raise CannotRun(
            error.message_en,
            error.message_vi,
            f"Known standards: {', '.join(list_standards())}; see: povcensus standards",
        ) from error
    if std.kind != "legal":
        raise CannotRun(
            f"{std.id} is an analysis standard (global MPI), not a legal classification",
            f"{std.id} là chuẩn phân tích (MPI toàn cầu), không dùng để phân loại hộ",
            "Choose vn-2016, vn-2022 or vn-2027.",
        )
    return std


def _load_scorecard(mode: str, scorecard: str | None):
    from scoring import EXAMPLE_SCORECARD, InvalidScorecard, load_scorecard

    if mode != "field":
        if scorecard:
            raise CannotRun(
                "--scorecard is used in field mode only",
                "--scorecard chỉ dùng với --mode field",
                "Add --mode field, or drop --scorecard.",
            )
        return None
    if not scorecard:
        raise CannotRun(
            "field mode needs the province's B1 scorecard",
            "chế độ phiếu B cần bảng điểm B1 của tỉnh",
            "Pass --scorecard FILE.toml; to try the shipped EXAMPLE table: --scorecard example.",
        )
    if scorecard == "example":
        return EXAMPLE_SCORECARD
    if not Path(scorecard).is_file():
        raise CannotRun(f"{scorecard}: no such file", f"{scorecard}: không có tệp này")
    try:
        return load_scorecard(scorecard)
    except InvalidScorecard as error:
        raise CannotRun(error.message_en, error.message_vi) from error


def _lines_text(std) -> str:
    parts = []
    for area in ("rural", "urban"):
        lines = std.lines.get(area) or {}
        if lines:
            shown = " ".join(f"{name}={en(value)}" for name, value in lines.items())
            parts.append(f"{area}: {shown}")
    return "; ".join(parts) or "-"


@click.command("standards")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts).")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error.")
def standards(as_json: bool, debug: bool) -> None:
    """List the poverty standards: id, version, provisional flag and income lines (VND/month).

    Example: povcensus standards --json
    """
    from scoring import list_standards, load_standard

    with _friendly(debug):
        rows = []
        for standard_id in list_standards(include_analysis=True):
            std = load_standard(standard_id)
            rows.append(
                {
                    "id": std.id,
                    "version": std.version,
                    "kind": std.kind,
                    "provisional": std.provisional,
                    "title_en": std.title_en,
                    "lines": {area: dict(values) for area, values in std.lines.items()},
                }
            )
        if as_json:
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        table = [("id", "version", "kind", "provisional", "income lines (VND/person/month)")]
        for row in rows:
            flag = "PROVISIONAL" if row["provisional"] else "no"
            std = load_standard(row["id"])
            table.append((row["id"], row["version"], row["kind"], flag, _lines_text(std)))
        widths = [max(len(line[i]) for line in table) for i in range(4)]
        for line in table:
            click.echo(
                "  ".join(cell.ljust(w) for cell, w in zip(line[:4], widths, strict=True))
                + "  "
                + line[4]
            )


# -- score ----------------------------------------------------------------------------------------
class _Tally:
    """What happened to each household, for the summary and the exit code."""

    def __init__(self) -> None:
        self.classes: Counter[str] = Counter()
        self.rejected = 0
        self.seen_ids: set[str] = set()


def _output_fields(std, explain: bool) -> list[str]:
    fields = ["household_id", "commune_code", "classification", "deprivation_count",
              "deprivations", "standard", "standard_version", "provisional", "mode", "rule",
              "income_pc_month", "b1", "b2"]  # fmt: skip
    fields += [f"dep_{ind}" for ind in std.indicator_ids]
    fields += ["source_file", "source_line"]
    if explain:
        fields += ["explanation_vi", "explanation_en"]
    return fields


def _number(value: Any) -> Any:
    if value is None:
        return None
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and math.isnan(value) else value


def _rows_from_batch(scores, sources, std, mode: str) -> Iterator[dict[str, Any]]:
    dep_cols = [f"dep_{ind}" for ind in std.indicator_ids]
    columns = ["household_id", "commune_code", "classification", "deprivation_count",
               "deprivations", "rule", "income_pc_month", "b1", "b2", *dep_cols]  # fmt: skip
    values = zip(*(scores[c].to_numpy() for c in columns), strict=True)
    for source, row in zip(sources, values, strict=True):
        item = dict(zip(columns, row, strict=True))
        yield {
            "household_id": item["household_id"],
            "commune_code": item["commune_code"],
            "classification": item["classification"],
            "deprivation_count": int(item["deprivation_count"]),
            "deprivations": item["deprivations"].split(),
            "standard": std.id,
            "standard_version": std.version,
            "provisional": std.provisional,
            "mode": mode,
            "rule": item["rule"],
            "income_pc_month": _number(item["income_pc_month"]),
            "b1": _number(item["b1"]),
            "b2": _number(item["b2"]),
            **{c: bool(item[c]) for c in dep_cols},
            "source_file": source.file,
            "source_line": source.line,
        }


def _row_from_classification(result, record: dict, source, std) -> dict[str, Any]:
    field_score = result.field_score or {}
    deprived = {f"dep_{i.id}": bool(i.deprived) for i in result.indicators}
    return {
        "household_id": result.household_id,
        "commune_code": record.get("commune_code"),
        "classification": result.classification,
        "deprivation_count": result.deprivation_count,
        "deprivations": result.deprivations,
        "standard": result.standard,
        "standard_version": result.standard_version,
        "provisional": result.provisional,
        "mode": result.mode,
        "rule": result.rule,
        "income_pc_month": _number((result.income or {}).get("per_capita_month")),
        "b1": _number(field_score.get("b1")),
        "b2": _number(field_score.get("b2")),
        **deprived,
        "source_file": source.file,
        "source_line": source.line,
    }


def _score_chunk(chunk: list[tuple[Any, dict]], std, mode, card, explain) -> Iterator[Any]:
    """Rows of valid households (batch path), or a Reject for one that cannot be scored."""
    from scoring import ScoringError, classify
    from scoring.batch import score_tables
    from survey_forms.tables import households_to_tables

    sources = [source for source, _ in chunk]
    records = [record for _, record in chunk]
    try:
        scores = score_tables(*households_to_tables(records), std, mode=mode, scorecard=card)
    except ScoringError:
        scores = None  # one household spoils the batch: score one by one to find it
    if scores is not None and not explain:
        yield from _rows_from_batch(scores, sources, std, mode)
        return
    for source, record in chunk:
        try:
            result = classify(record, std, mode=mode, scorecard=card)
        except ScoringError as error:
            yield source.reject(error.code, error.message_vi, error.message_en)
            continue
        row = _row_from_classification(result, record, source, std)
        if explain:
            row["explanation"] = dict(result.explanation)
            row["indicators"] = [i.to_dict() for i in result.indicators]
        yield row


def _check_source(source, tally: _Tally) -> tuple[dict | None, list]:
    """The normalised record of a valid source, or the rejects that explain why not."""
    from survey_forms import InvalidHousehold, load_household

    if source.problems:
        return None, source.problems
    if not isinstance(source.record, dict):
        return None, [
            source.reject(
                "type_object",
                "Mỗi hộ phải là một đối tượng JSON",
                "Each household must be a JSON object",
            )
        ]
    try:
        record = load_household(source.record)
    except InvalidHousehold as error:
        return None, [source.locate(e) for e in error.errors]
    hid = record["household_id"]
    if hid in tally.seen_ids:
        duplicate = source.reject(
            "duplicate_household_id",
            f"Mã hộ {hid} đã xuất hiện trước đó trong tệp; chỉ chấm lần đầu",
            f"Household id {hid} appeared earlier in the input; only the first is scored",
            "household_id",
        )
        return None, [duplicate]
    tally.seen_ids.add(hid)
    return record, []


class _Writer:
    """Scored rows to JSON Lines or CSV, one row per household."""

    def __init__(self, handle: TextIO, fmt: str, fields: list[str]) -> None:
        self.fmt, self.fields, self.handle = fmt, fields, handle
        if fmt == "csv":
            self.csv = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
            self.csv.writeheader()

    def write(self, row: dict[str, Any]) -> None:
        if self.fmt == "jsonl":
            self.handle.write(json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n")
            return
        flat = dict(row)
        flat["deprivations"] = " ".join(row["deprivations"])
        if "explanation" in row:
            flat["explanation_vi"] = row["explanation"].get("vi")
            flat["explanation_en"] = row["explanation"].get("en")
        self.csv.writerow(flat)


def _reject_entry(source, rejects: list) -> dict[str, Any]:
    first = rejects[0]
    return {
        "household_id": first.household_id or source.household_id,
        "file": source.file,
        "line": source.line,
        "errors": [r.to_dict() for r in rejects],
        "record": source.record,
    }


def _run_score(inp, std, mode, card, explain, out: _Writer, rejects_out: TextIO, tally, bar):
    chunk: list[tuple[Any, dict]] = []

    def flush() -> None:
        for item in _score_chunk(chunk, std, mode, card, explain):
            if isinstance(item, dict):
                out.write(item)
                tally.classes[item["classification"]] += 1
            else:
                tally.rejected += 1
                entry = {"household_id": item.household_id, "file": item.file,
                         "line": item.line, "errors": [item.to_dict()]}  # fmt: skip
                rejects_out.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
        chunk.clear()

    for source in inp:
        record, rejects = _check_source(source, tally)
        if rejects:
            tally.rejected += 1
            entry = _reject_entry(source, rejects)
            rejects_out.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
        else:
            chunk.append((source, record))
            if len(chunk) >= SCORE_CHUNK:
                flush()
        bar.update(1)
    if chunk:
        flush()


def _summary(std, tally: _Tally, output: Path, rejects: Path) -> None:
    scored = sum(tally.classes.values())
    counts = " · ".join(f"{c} {en(tally.classes.get(c, 0))}" for c in CLASS_ORDER)
    note = " — PROVISIONAL standard / chuẩn TẠM THỜI" if std.provisional else ""
    click.echo(f"Scored {en(scored)} households under {std.id} ({std.version}){note} → {output}", err=True)  # fmt: skip
    click.echo(f"  {counts}", err=True)
    click.echo(f"Đã chấm {vi(scored)} hộ theo chuẩn {std.id} → {output}", err=True)
    if tally.rejected:
        click.secho(
            f"Rejected {en(tally.rejected)} households (errors in vi + en) → {rejects}\n"
            f"Loại {vi(tally.rejected)} hộ có lỗi (chi tiết song ngữ) → {rejects}",
            fg="yellow",
            err=True,
        )
    else:
        click.echo("No household rejected / Không hộ nào bị loại.", err=True)


def _open_for_writing(path: Path) -> TextIO:
    try:
        return path.open("w", encoding="utf-8", newline="")
    except OSError as error:
        raise CannotRun(
            f"cannot write {path}: {error.strerror}",
            f"không ghi được {path}: {error.strerror}",
            "Check that the folder exists and is writable.",
        ) from error


SCORE_EPILOG = """\b
Input: .jsonl (one household per line), .json, .csv with its members table
(--members FILE, default <name>.members.csv) or .xlsx (sheets 'households', 'members').
\b
Exit codes: 0 all households scored; 1 some rejected (see the rejects file; the others are
scored); 2 command-line error; 3 input, standard, scorecard or output unusable; 4 unexpected
error (use --debug).
"""


@click.command("score", epilog=SCORE_EPILOG)
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--members", type=click.Path(dir_okay=False, path_type=Path),
              help="Members table of a households CSV (default: <name>.members.csv).")  # fmt: skip
@click.option("--standard", default="vn-2022", show_default=True,
              help="Poverty standard id (see: povcensus standards).")  # fmt: skip
@click.option("--mode", type=click.Choice(["income", "field"]), default="income",
              show_default=True, help="income: measured 12-month income; field: Phiếu B B1/B2.")  # fmt: skip
@click.option("--scorecard", help="B1 scorecard file for field mode ('example' = shipped EXAMPLE).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the scores.")  # fmt: skip
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write rejected households (default: OUTPUT.rejects.jsonl).")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]),
              help="Output format (default: from OUTPUT's extension, else jsonl).")  # fmt: skip
@click.option("--explain", is_flag=True, help="Add the explanation (vi, en) and indicator facts.")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error.")
def score(input_path, members, standard, mode, scorecard, output, rejects, fmt, explain, debug):
    """Validate and score every household of INPUT; write one row per household.

    Example: povcensus score demo.jsonl --standard vn-2022 -o scored.csv
    """
    from povcensus.readers import open_input

    tally = _Tally()
    with _friendly(debug):
        std = _load_standard(standard)
        card = _load_scorecard(mode, scorecard)
        inp = open_input(input_path, members=members)
        fmt = fmt or ("csv" if output.suffix.lower() == ".csv" else "jsonl")
        rejects = rejects or output.with_name(output.name + ".rejects.jsonl")
        with _open_for_writing(output) as out, _open_for_writing(rejects) as rej:
            writer = _Writer(out, fmt, _output_fields(std, explain))
            with _progress(inp.total, "hh", "scoring") as bar:
                _run_score(inp, std, mode, card, explain, writer, rej, tally, bar)
        if not tally.rejected:  # nothing rejected: no empty rejects file left behind
            rejects.unlink(missing_ok=True)
    _summary(std, tally, output, rejects)
    sys.exit(EXIT_REJECTED if tally.rejected else EXIT_OK)


# -- synth --------------------------------------------------------------------------------------
def _synth_blocks(households: int, seed: int, province: str | None):
    from survey_forms.synth import iter_synth_tables

    return iter_synth_tables(households, seed=seed, province=province)


def _write_jsonl(path: Path, blocks: Iterable, tick: Callable[[int], None]) -> None:
    from survey_forms.tables import tables_to_households

    with _open_for_writing(path) as handle:
        for households, members in blocks:
            for record in tables_to_households(households, members):
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                tick(1)


def _write_csv(path: Path, blocks: Iterable, tick: Callable[[int], None]) -> Path:
    from povcensus.readers import default_members_path

    members_path = default_members_path(path)
    with _open_for_writing(path) as h_out, _open_for_writing(members_path) as m_out:
        for number, (households, members) in enumerate(blocks):
            households.to_csv(h_out, index=False, header=number == 0)
            members.to_csv(m_out, index=False, header=number == 0)
            tick(len(households))
    return members_path


def _write_xlsx(path: Path, blocks: Iterable, tick: Callable[[int], None]) -> None:
    import pandas as pd

    parts = list(blocks)
    households = pd.concat([h for h, _ in parts], ignore_index=True)
    members = pd.concat([m for _, m in parts], ignore_index=True)
    if len(members) > XLSX_MAX_ROWS:
        raise CannotRun(
            f"{en(len(members))} members do not fit in one Excel sheet ({en(XLSX_MAX_ROWS)} rows)",
            f"{vi(len(members))} thành viên vượt quá giới hạn một trang Excel",
            "Write .csv or .jsonl for large files.",
        )
    try:
        with pd.ExcelWriter(path, engine="openpyxl") as book:
            households.to_excel(book, sheet_name="households", index=False)
            members.to_excel(book, sheet_name="members", index=False)
    except OSError as error:
        raise CannotRun(f"cannot write {path}: {error.strerror}") from error
    tick(len(households))


SYNTH_FORMATS = {".jsonl": _write_jsonl, ".ndjson": _write_jsonl, ".csv": _write_csv,
                 ".xlsx": _write_xlsx}  # fmt: skip


@click.command("synth")
@click.option("--households", "count", required=True, type=click.IntRange(min=0),
              help="Number of households to make.")  # fmt: skip
@click.option("--seed", default=0, show_default=True, type=int,
              help="Random seed: the same seed makes the same households.")  # fmt: skip
@click.option("--province", default="42", show_default=True,
              help="Province GSO code (42 = Hà Tĩnh), or 'all' for the whole country.")  # fmt: skip
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help=".jsonl, .csv (+ <name>.members.csv) or .xlsx (sheets households, members).")  # fmt: skip
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error.")
def synth(count: int, seed: int, province: str, output: Path, debug: bool) -> None:
    """Make a synthetic census of valid household records (no real person is described).

    Example: povcensus synth --households 1000 --seed 7 -o demo.jsonl
    """
    from survey_forms.communes import province_communes

    with _friendly(debug):
        writer = SYNTH_FORMATS.get(output.suffix.lower())
        if writer is None:
            raise CannotRun(
                f"{output.name}: unknown output type {output.suffix or '(none)'!r}",
                f"{output.name}: không ghi được loại tệp {output.suffix or '(không có)'!r}",
                "Use .jsonl, .csv or .xlsx.",
            )
        code = None if province == "all" else province.zfill(2)
        if code is not None and not province_communes(code):
            raise CannotRun(
                f"unknown province code {province!r}",
                f"không có mã tỉnh {province!r}",
                "Use a 2-digit GSO code, e.g. 42 for Hà Tĩnh, or 'all'.",
            )
        with _progress(count, "hh", "synth") as bar:
            extra = writer(output, _synth_blocks(count, seed, code), bar.update)
    also = f" (+ {extra})" if extra else ""
    click.echo(f"Wrote {en(count)} synthetic households → {output}{also}", err=True)
    click.echo(f"Đã tạo {vi(count)} hộ giả lập → {output}{also}", err=True)
