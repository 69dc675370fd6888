"""`povcensus xform`: write the household questionnaire as an ODK XForm or an XLSForm.

The command lives beside the code it drives; `povcensus.cli` imports it lazily.
"""

from __future__ import annotations

from typing import BinaryIO

import click

from povcensus import fmt


@click.command("xform")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.File("wb"),
    help="File to write ('-' for standard output).",
)
@click.option(
    "--xlsform",
    is_flag=True,
    help="Write the XLSForm workbook (.xlsx) instead of the XForm XML.",
)
@click.option(
    "--province",
    metavar="CODE",
    default=None,
    help="Keep only this province's communes (GSO code, e.g. 42): a form ~8x smaller. "
    "Default: all 3,321 communes.",
)
def xform(output: BinaryIO, xlsform: bool, province: str | None) -> None:
    """Write the household questionnaire (form povcensus_household) for ODK Collect/KoboCollect.

    By default writes the XForm XML that ODK Collect downloads; with --xlsform writes the XLSForm
    workbook to edit or to upload to ODK Central / KoboToolbox.

    Example: povcensus xform -o povcensus_household.xml --province 42
    """
    from survey_forms import xform as forms
    from survey_forms.communes import all_provinces
    from survey_forms.questionnaire import FORM_ID, FORM_VERSION

    if province is not None:
        province = province.zfill(2)
        if province not in all_provinces():
            raise click.BadParameter(
                f"không có tỉnh mã {province} / no province with code {province}",
                param_hint="--province",
            )
    build = forms.build_xlsform if xlsform else forms.build_xform
    data = build(province=province)
    output.write(data)
    if output.name != "<stdout>":
        kind = "XLSForm" if xlsform else "XForm"
        click.echo(
            f"Đã ghi {kind} {FORM_ID} {FORM_VERSION} ({fmt.number(len(data), 'vi')} byte) vào {output.name}. / "
            f"Wrote {kind} {FORM_ID} {FORM_VERSION} ({fmt.number(len(data), 'en')} bytes) to {output.name}.",
            err=True,
        )
