"""`povcensus forms template` (in the `forms` group of server/cli.py): the blank paper Phiếu B — a workbook to type paper forms into
(`--format xlsx`) or a form to print (`--format html`), generated from the questionnaire.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command("template")
@click.option("--format", "kind", type=click.Choice(["xlsx", "html"]), default="xlsx",
              show_default=True, help="xlsx: workbook to type into; html: form to print.")  # fmt: skip
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File to write.")  # fmt: skip
@click.option("--province", default="42", show_default=True,
              help="Province GSO code: its communes are the commune drop-down.")  # fmt: skip
@click.option("--commune", default=None, help="Commune GSO code: the only commune offered.")
@click.option("--village", "villages", multiple=True,
              help="A village (thôn / tổ dân phố) of the commune for the drop-down. Repeatable.")  # fmt: skip
def template(kind: str, output: Path, province: str, commune: str | None,
             villages: tuple[str, ...]) -> None:  # fmt: skip
    """Write the blank Phiếu B: Vietnamese headings, drop-down lists of Vietnamese answers.

    Example: povcensus forms template --format xlsx --commune 18496 --village "Thôn 1" -o phieu_b.xlsx

    Example: povcensus forms template --format html -o phieu_b.html
    """
    from povcensus import paper

    province = province.zfill(2)
    if kind == "xlsx":
        data = paper.template_workbook(province=province, commune=commune, villages=villages)
        output.write_bytes(data)
    else:
        output.write_text(paper.print_html(villages=villages), "utf-8")
    click.echo(f"Đã ghi Phiếu B trống vào {output} / Wrote the blank Phiếu B to {output}", err=True)
