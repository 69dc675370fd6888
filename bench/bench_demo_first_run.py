"""First-run benchmark of `povcensus demo`: time from the command's start to "serving on",
then the province dashboard's first load (signed in as the demo province user) and its map,
and — optionally — how long the background build of the full census takes to be swapped in.

    python bench/bench_demo_first_run.py --runs 3 [--wait-full]

Each run starts `python -m povcensus demo --port 0` on a fresh database in a temporary folder
(a real subprocess, as a person runs it) and stops it with SIGINT. Prints one line per run and
the median, with the load average before each run: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests


def _login(url: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{url}/login", timeout=60).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    form = {"username": "tinh", "password": "demo-tinh"}
    if token:
        form["csrf_token"] = token.group(1)
    session.post(f"{url}/login", data=form, timeout=60)
    return session


def _timed_get(session: requests.Session, url: str) -> float:
    started = time.perf_counter()
    response = session.get(url, timeout=120)
    response.raise_for_status()
    return time.perf_counter() - started


def one_run(folder: Path, wait_full: bool) -> dict[str, float]:
    load = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "povcensus", "demo", "--port", "0",
         "--db", str(folder / "demo.sqlite3")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=folder,
        env={**os.environ, "POVCENSUS_INSTANCE_PATH": str(folder)},
    )  # fmt: skip
    try:
        for line in process.stdout:
            if "serving on" in line:
                url = line.strip().rsplit(" ", 1)[-1]
                break
        else:
            raise RuntimeError("the demo did not start")
        serving = time.perf_counter() - started
        session = _login(url)
        figures = {
            "load average": load,
            "to serving (s)": serving,
            "dashboard first load (s)": _timed_get(session, f"{url}/province/"),
            "map first load (s)": _timed_get(session, f"{url}/province/map.html"),
        }
        if wait_full:
            pending = folder / "demo.sqlite3.full-pending"
            while pending.exists() and process.poll() is None:
                time.sleep(1)
            figures["full census swapped in (s)"] = time.perf_counter() - started
            time.sleep(5)  # the server warms its caches again
            figures["dashboard after swap (s)"] = _timed_get(session, f"{url}/province/")
        return figures
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--wait-full", action="store_true")
    args = parser.parse_args()
    runs = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            figures = one_run(Path(folder), args.wait_full)
        print(" · ".join(f"{k} {v:.2f}" for k, v in figures.items()), flush=True)
        runs.append(figures)
    print("| measure | runs | median |\n|---|---|---|")
    for key in runs[0]:
        values = [run[key] for run in runs]
        shown = " · ".join(f"{v:.2f}" for v in values)
        print(f"| {key} | {shown} | **{statistics.median(values):.2f}** |")


if __name__ == "__main__":
    main()
