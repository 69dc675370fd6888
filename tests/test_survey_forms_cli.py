"""`povcensus xform`: writes the XForm or the XLSForm, documented with an example."""

from __future__ import annotations

import zipfile

from click.testing import CliRunner

from povcensus.cli import main
from survey_forms import xform


def test_xform_writes_the_served_xform(tmp_path):
    target = tmp_path / "form.xml"
    result = CliRunner().invoke(main, ["xform", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == xform.build_xform()
    assert "povcensus_household" in result.output and "2026.1" in result.output


def test_xform_writes_the_xlsform_workbook(tmp_path):
    target = tmp_path / "form.xlsx"
    result = CliRunner().invoke(main, ["xform", "-o", str(target), "--xlsform"])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(target) as workbook:
        assert "xl/workbook.xml" in workbook.namelist()


def test_xform_needs_an_output_and_shows_an_example():
    runner = CliRunner()
    assert runner.invoke(main, ["xform"]).exit_code != 0
    help_text = runner.invoke(main, ["xform", "--help"]).output
    assert "Example: povcensus xform -o" in help_text
