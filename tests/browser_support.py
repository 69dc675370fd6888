"""Headless Debian Chromium for the browser tests: where it is, how it is started, when to skip.

The flags keep Chromium off the network this machine does not have (background services would
otherwise retry closed connections) and let it run as root in CI.
"""

from __future__ import annotations

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
