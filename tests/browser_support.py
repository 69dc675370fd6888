"""Headless Debian Chromium for the browser tests: where it is, how it is started, when to skip.

The flags keep Chromium off the network this machine does not have (background services would
otherwise retry closed connections) and let it run as root in CI.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path("/tmp")

needs_chromium = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium is not installed "
        "(CI installs it in .ci/run: apt-get install chromium)",
    ),
]


@contextlib.contextmanager
def running_demo(folder: Path, households: int) -> Iterator[str]:
    """`povcensus demo` over `folder/demo.sqlite3` on a free loopback port; yields its URL and
    stops it (Ctrl-C, then kill) afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "povcensus", "demo", "--households", str(households),
         "--port", "0", "--db", str(folder / "demo.sqlite3")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=folder,
        env={**os.environ, "POVCENSUS_INSTANCE_PATH": str(folder)},
    )  # fmt: skip
    try:
        url = None
        for line in process.stdout:
            if "serving on" in line:
                url = line.strip().rsplit(" ", 1)[-1]
                break
        assert url, "povcensus demo did not start"
        yield url
    finally:
        interrupt(process)


def interrupt(process: subprocess.Popen) -> None:
    """Stop a `povcensus` process as Ctrl-C would; kill it if it does not end in 15 s."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
