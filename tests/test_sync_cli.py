"""`povcensus sync …` as a person and a script use it: help, store location, login, add."""

from __future__ import annotations

import json
import os
import stat

from click.testing import CliRunner
from conftest import example_household, new_household_id

from offline_sync.cli import sync as sync_cli
from offline_sync.store import Outbox
from povcensus.cli import main


def test_every_sync_command_has_an_example_in_its_help():
    runner = CliRunner()
    for name, command in sync_cli.commands.items():
        result = runner.invoke(main, ["sync", name, "--help"])
        assert result.exit_code == 0, name
        assert "Example: povcensus sync" in result.output, name
        assert command.help


def test_store_option_and_environment_choose_the_store(tmp_path):
    household = example_household(household_id=new_household_id())
    (tmp_path / "one.json").write_text(json.dumps(household), "utf-8")
    runner = CliRunner()
    via_option = tmp_path / "option.sqlite3"
    result = runner.invoke(
        main, ["sync", "--store", str(via_option), "add", str(tmp_path / "one.json")]
    )
    assert result.exit_code == 0, result.output
    with Outbox(via_option) as store:
        assert store.latest(household["household_id"]) is not None

    via_env = tmp_path / "env.sqlite3"
    result = runner.invoke(
        main,
        ["sync", "add", str(tmp_path / "one.json")],
        env={"POVCENSUS_SYNC_STORE": str(via_env)},
    )
    assert result.exit_code == 0, result.output
    with Outbox(via_env) as store:
        assert store.pending_count() == 1


def test_add_reports_file_row_field_in_both_languages_and_queues_the_valid_rows(tmp_path):
    good = example_household(household_id=new_household_id())
    bad = example_household(household_id=new_household_id())
    bad["members"][0]["sex"] = "unknown"
    (tmp_path / "forms.json").write_text(json.dumps([good, bad]), "utf-8")
    store_path = tmp_path / "s.sqlite3"

    result = CliRunner().invoke(
        sync_cli, ["--store", str(store_path), "add", str(tmp_path / "forms.json")]
    )

    assert result.exit_code == 1  # documented: some rows invalid
    assert "forms.json, row 2, members[0].sex:" in result.output
    line = next(x for x in result.output.splitlines() if "members[0].sex" in x)
    assert " / " in line  # English / Vietnamese
    assert "queued 1" in result.output
    listed = CliRunner().invoke(sync_cli, ["--store", str(store_path), "list", "--json"])
    [item] = json.loads(listed.output)
    assert (item["household_id"], item["state"], item["source"]) == (
        good["household_id"], "queued", "forms.json row 1",
    )  # fmt: skip
    shown = CliRunner().invoke(sync_cli, ["--store", str(store_path), "show", item["id"][:8]])
    assert shown.exit_code == 0 and good["head_name"] in shown.output
    again = CliRunner().invoke(
        sync_cli, ["--store", str(store_path), "add", str(tmp_path / "forms.json"), "--json"]
    )
    report = json.loads(again.output)
    assert report["unchanged"] == [good["household_id"]] and report["queued"] == []


def test_login_checks_the_token_and_keeps_it_in_a_private_store(live_server, tmp_path):
    user, token = live_server.enumerator()
    store_path = tmp_path / "s.sqlite3"
    runner = CliRunner()
    refused = runner.invoke(
        sync_cli,
        ["--store", str(store_path), "login", "--server", live_server.url, "--token", "nope"],
    )
    assert refused.exit_code == 5  # documented: the server refused the token
    result = runner.invoke(
        sync_cli,
        ["--store", str(store_path), "login", "--server", live_server.url, "--token", token],
    )
    assert result.exit_code == 0, result.output
    assert user in result.output and "18496" in result.output
    assert stat.S_IMODE(os.stat(store_path).st_mode) == 0o600
    with Outbox(store_path) as store:
        assert store.get_config("token") == token and store.get_config("user") == user
    status = runner.invoke(sync_cli, ["--store", str(store_path), "status"])
    assert status.exit_code == 0 and "pending 0" in status.output


def test_commands_that_need_the_server_say_how_to_log_in(tmp_path):
    result = CliRunner().invoke(sync_cli, ["--store", str(tmp_path / "s.sqlite3"), "push"])
    assert result.exit_code == 5
    assert "sync login" in result.output


def test_every_command_and_exit_code_is_documented():
    from pathlib import Path

    from offline_sync import cli

    doc = (Path(__file__).resolve().parents[1] / "docs" / "sync-client.md").read_text("utf-8")
    for name in sync_cli.commands:
        assert f"**`sync {name}" in doc, name
    for code in range(7):
        assert f"| {code} |" in doc
    assert cli.EXIT_PENDING == 6 and cli.EXIT_NETWORK == 4
