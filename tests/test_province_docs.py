"""docs/province.md documents every option of `povcensus demo` and `povcensus report`, every
official table, and every dashboard address."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "province.md"


def test_every_command_option_is_documented():
    from server.demo import demo
    from server.province.cli import report

    text = DOC.read_text("utf-8")
    for command in (demo, report):
        assert f"povcensus {command.name}" in text
        for param in command.params:
            names = [n for n in param.opts if n.startswith("--")] or param.opts
            assert any(f"`{n}" in text for n in names), (command.name, param.opts)


def test_every_table_and_page_is_documented():
    from server.province.views import bp
    from server.reports import TABLES

    text = DOC.read_text("utf-8")
    assert all(f"`{name}`" in text for name in TABLES)
    from flask import Flask

    app = Flask(__name__)
    app.register_blueprint(bp)
    rules = [r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("province.")]
    for rule in rules:
        shown = rule.replace("<name>.<fmt>", "<table>.<xlsx|csv>")
        assert shown in text, rule
