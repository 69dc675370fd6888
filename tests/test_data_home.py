"""The data folder: outside the package and the virtual environment, 0700, announced once on
stderr, reported by `povcensus info`, and still there after the venv is deleted and recreated."""

from __future__ import annotations

import json
import os
import shutil
import site
import stat
import subprocess
import sys
import venv
from pathlib import Path

import pytest

import server
from server.home import HOME_ENV, INSTANCE_ENV, data_home, default_home, inside

REPO = Path(__file__).resolve().parents[1]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POVCENSUS_")}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def povcensus(*args: str, env: dict[str, str], python: str = sys.executable, cwd=None):
    return subprocess.run(
        [python, "-m", "povcensus", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_default_is_outside_the_venv_and_the_package(monkeypatch):
    monkeypatch.delenv(HOME_ENV, raising=False)
    monkeypatch.delenv(INSTANCE_ENV, raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    home = data_home()
    assert home == default_home()
    assert not inside(home, Path(sys.prefix))
    assert not inside(home, Path(server.__file__).parent)
    assert not inside(home, REPO)
    assert home.is_absolute() and home.parts[-2:] == ("povcensus", "server")


def test_environment_order(monkeypatch, tmp_path):
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    monkeypatch.delenv(INSTANCE_ENV, raising=False)
    assert data_home() == tmp_path / "home"
    monkeypatch.setenv(INSTANCE_ENV, str(tmp_path / "old"))  # the older name wins (tests)
    assert data_home() == tmp_path / "old"
    assert data_home(str(tmp_path / "given")) == tmp_path / "given"


def test_printed_path_is_the_one_used_and_info_reports_it(tmp_path):
    home = tmp_path / "data"
    env = clean_env(**{HOME_ENV: str(home)})
    secret = tmp_path / "password.txt"
    secret.write_text("mat-khau-cua-xa-2026\n", "utf-8")
    added = povcensus("users", "add", "rsv1", "--role", "enumerator", "--commune", "18496",
                      "--password-file", str(secret), env=env, cwd=tmp_path)  # fmt: skip
    assert added.returncode == 0, added.stderr
    lines = [line for line in added.stderr.splitlines() if "data folder" in line]
    assert lines == [f"povcensus: data folder {home} (database {home / 'povcensus.sqlite3'})"]
    assert "data folder" not in added.stdout  # machine output stays clean
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert (home / "povcensus.sqlite3").exists()

    shown = povcensus("info", "--json", env=env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    info = json.loads(shown.stdout)
    assert info["folder"] == str(home) and info["database"] == str(home / "povcensus.sqlite3")
    assert info["counts"]["users"] == 1 and info["counts"]["submissions"] == 0
    assert info["size_bytes"] > 0 and info["schema_version"] and info["migrations"] >= 1
    text = povcensus("info", env=env, cwd=tmp_path)
    assert f"folder\t{home}" in text.stdout and "users\t1" in text.stdout


def test_sync_client_variables_are_not_warned_about(tmp_path):
    env = clean_env(**{HOME_ENV: str(tmp_path / "d"), "POVCENSUS_SYNC_STORE": str(tmp_path / "s"),
                       "POVCENSUS_SYNC_TOKEN": "x", "POVCENSUS_SYNC_SERVER": "http://x"})  # fmt: skip
    shown = povcensus("info", env=env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "ignoring environment variable" not in shown.stderr
    env["POVCENSUS_NO_SUCH_SETTING"] = "1"  # a real typo is still reported
    assert "POVCENSUS_NO_SUCH_SETTING" in povcensus("info", env=env, cwd=tmp_path).stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX venv layout")
def test_data_survives_deleting_and_recreating_the_venv(tmp_path):
    """A fresh venv (the toolkit and its dependencies on its path, as an install would put them)
    with only HOME set: the data lands in the per-user folder, not in the venv, and is still
    there after the venv is deleted and recreated."""
    venv_dir = tmp_path / ".venv"
    dependencies = [p for p in site.getsitepackages() if "site-packages" in p]
    env = clean_env(HOME=str(tmp_path / "user"), XDG_DATA_HOME="")
    env.pop("XDG_DATA_HOME")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *dependencies])
    expected = tmp_path / "user" / ".local" / "share" / "povcensus" / "server"
    work = tmp_path / "work"
    work.mkdir()

    venv.create(venv_dir, with_pip=False)
    python = str(venv_dir / "bin" / "python")
    opened = povcensus("rounds", "open", "--year", "2026", "--standard", "vn-2022",
                       env=env, python=python, cwd=work)  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    assert f"data folder {expected} " in opened.stderr
    assert not any(venv_dir.rglob("*.sqlite3")) and not any(work.iterdir())

    shutil.rmtree(venv_dir)
    venv.create(venv_dir, with_pip=False)
    shown = povcensus("info", "--json", env=env, python=python, cwd=work)
    assert shown.returncode == 0, shown.stderr
    info = json.loads(shown.stdout)
    assert info["folder"] == str(expected)
    assert [r["label"] for r in info["rounds"]] == ["2026-annual"]
