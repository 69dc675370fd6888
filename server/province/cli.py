"""`povcensus report`: the official summary tables of a round as XLSX or CSV.

Example: povcensus report --round 2026-annual --table all --format xlsx -o bao-cao.xlsx
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from server.reports import TABLES


@click.command()
@click.option("--round", "round_label", required=True, help="Round label, e.g. 2026-annual.")
@click.option(
    "--table",
    "which",
    type=click.Choice([*TABLES, "all"]),
    default="all",
    show_default=True,
    help="Which official table.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["xlsx", "csv"]),
    default="xlsx",
    show_default=True,
    help="XLSX (one sheet per table) or CSV (a ZIP of CSVs when several tables).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="File to write.",
)
@click.option("--db", "database", type=click.Path(dir_okay=False), help="SQLite database file.")
def report(round_label: str, which: str, fmt: str, output: Path, database: str | None) -> None:
    """Write the official tables of a round: results by commune, movement of poor and
    near-poor households, deprivation by indicator, poor and near-poor by ethnicity.

    Example: povcensus report --round 2026-annual --table movement --format csv -o bien-dong.csv
    """
    from server import create_app
    from server.db import open_app_db
    from server.queries.province import report_inputs
    from server.queries.rounds import get_round
    from server.queries.users import audit
    from server.reports import build_tables, write_csv, write_xlsx
    from server.security import write_private

    app = create_app({"DATABASE": os.path.abspath(database)} if database else None)
    from server.home import announce

    announce(app)
    db = open_app_db(app)
    try:
        review_round = get_round(db, round_label)
        if review_round is None:
            raise click.ClickException(
                f"Không có đợt rà soát {round_label!r} / no round {round_label!r} "
                "(see: povcensus rounds list)"
            )
        table, meta, indicators = report_inputs(db, review_round, province=app.config["PROVINCE"])
        tables = build_tables(table, meta, indicators, which)
        if fmt == "xlsx":
            data, kind = write_xlsx(tables), "xlsx"
        else:
            data, kind = write_csv(tables)
        write_private(output, data)  # 0600: exports stay with their owner
        audit(db, "export", target=round_label, details={"what": f"{which}.{fmt}", "cli": True})
    finally:
        db.conn.close()
    note = " (ZIP of one CSV per table)" if kind == "zip" else ""
    click.echo(f"wrote {output}{note}: {', '.join(t.name for t in tables)} for {round_label}")
