"""Ingest rate of the sync server over loopback: JSON batch sync and single OpenRosa posts.

Starts `povcensus serve` (waitress) on a free port over a fresh database, opens a round, and
lets several concurrent clients push households; each one is validated, scored with the
round's standard and committed in its own transaction, exactly as in production.

    python bench/bench_ingest.py --households 6000 --clients 4 --repeat 3

Prints households/s per run and the median. Goals on a 2-core machine: ≥ 1,000/s through batch
sync, ≥ 200/s through single OpenRosa posts.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
COMMUNES = ("18496", "18502")


def households(n: int, seed: int) -> list[dict]:
    """n valid, varied households (the documented example with other ids, incomes, sizes)."""
    try:  # the synthetic census, when survey_forms provides it
        from survey_forms.synth import synth_households

        records = [dict(r) for r in synth_households(n, seed=seed)]
        for number, record in enumerate(records):  # ids unique across runs and seeds
            record.pop("round", None)
            record["household_id"] = f"{record['commune_code']}-b{seed}-{number:06d}"
        return records
    except ImportError:
        pass
    example = json.loads((REPO / "survey_forms/examples/household.json").read_text("utf-8"))
    example.pop("round", None)
    rng = random.Random(seed)
    out = []
    for number in range(n):
        record = copy.deepcopy(example)
        commune = rng.choice(COMMUNES)
        record.update(household_id=f"{commune}-b{seed}-{number:06d}", commune_code=commune)
        record["members"] = record["members"][: rng.randint(1, 4)]
        for source in record["income"]["sources_12m"]:
            record["income"]["sources_12m"][source] = rng.randrange(0, 60_000_000, 100_000)
        out.append(record)
    return out


class Server:
    username = "bench"  # the enumerator whose token the clients use

    def __init__(self, directory: Path, workers: int) -> None:
        from server import create_app
        from server.db import open_app_db
        from server.queries.rounds import open_round
        from server.queries.users import create_user, issue_token

        database = directory / "bench.sqlite3"
        app = create_app(
            {"DATABASE": str(database), "SECRET_KEY": "bench"}, instance_path=str(directory)
        )
        db = open_app_db(app)
        open_round(db, year=2026, standard="vn-2027", province="42")
        communes = [row[0] for row in db.execute("SELECT code FROM communes")]
        create_user(db, "bench", role="enumerator", communes=communes)
        self.token = issue_token(db, "bench", "bench-device")[1]
        self.database = db
        env = {
            **os.environ,
            "POVCENSUS_INSTANCE_PATH": str(directory),
            "POVCENSUS_SECRET_KEY": "bench",
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "povcensus",
                "serve",
                "--port",
                "0",
                "--threads",
                "8",
                "--db",
                str(database),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=directory,
        )
        self.url = self.process.stdout.readline().decode().strip().rsplit(" ", 1)[-1]

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by the server and its worker processes."""
        pids = [self.process.pid]
        with open(f"/proc/{self.process.pid}/task/{self.process.pid}/children") as handle:
            pids += [int(pid) for pid in handle.read().split()]
        total = 0
        for pid in pids:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def run_clients(clients: int, work: list, send) -> float:
    """Split `work` over `clients` threads; returns the wall time in seconds."""
    shares = [work[i::clients] for i in range(clients)]
    threads = [threading.Thread(target=send, args=(share,)) for share in shares]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def bench_batch(server: Server, records: list[dict], clients: int, batch_size: int):
    """(households/s, server CPU ms per household) for JSON batch sync."""
    items = [
        {
            "id": str(uuid.uuid4()),
            "household_id": r["household_id"],
            "form_id": "povcensus_household",
            "form_version": "2026.1",
            "base": None,
            "record": r,
        }
        for r in records
    ]
    batches = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
    accepted = []

    def send(share: list) -> None:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {server.token}"
            for batch in share:
                answer = session.post(
                    server.url + "/api/v1/submissions/batch", json={"items": batch}, timeout=120
                )
                answer.raise_for_status()
                accepted.extend(r for r in answer.json()["results"] if r["outcome"] == "accepted")

    cpu = server.cpu_seconds()
    seconds = run_clients(clients, batches, send)
    cpu = server.cpu_seconds() - cpu
    assert len(accepted) == len(items), f"only {len(accepted)} of {len(items)} accepted"
    return len(items) / seconds, 1000 * cpu / len(items)


def bench_openrosa(server: Server, records: list[dict], clients: int):
    """(submissions/s, server CPU ms per submission) for single OpenRosa posts."""
    from survey_forms.xform import household_to_instance

    instances = [household_to_instance(r, instance_id=f"uuid:{uuid.uuid4()}") for r in records]
    statuses = []

    def send(share: list) -> None:
        with requests.Session() as session:
            session.auth = (server.username, server.token)
            session.headers["X-OpenRosa-Version"] = "1.0"
            for xml in share:
                answer = session.post(
                    server.url + "/submission",
                    timeout=60,
                    files={"xml_submission_file": ("submission.xml", xml, "text/xml")},
                )
                statuses.append(answer.status_code)

    cpu = server.cpu_seconds()
    seconds = run_clients(clients, instances, send)
    cpu = server.cpu_seconds() - cpu
    assert statuses.count(201) == len(instances), {s: statuses.count(s) for s in set(statuses)}
    return len(instances) / seconds, 1000 * cpu / len(instances)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=6000, help="per batch-sync run")
    parser.add_argument("--openrosa", type=int, default=1500, help="posts per OpenRosa run")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    args = parser.parse_args()
    batch, openrosa = [], []
    for run in range(args.repeat):
        with tempfile.TemporaryDirectory() as directory:
            server = Server(Path(directory), args.workers)
            try:
                records = households(args.households, seed=run)
                batch.append(bench_batch(server, records, args.clients, args.batch_size))
                records = households(args.openrosa, seed=100 + run)
                openrosa.append(bench_openrosa(server, records, args.clients))
            finally:
                server.stop()
                server.database.conn.close()
        print(
            f"run {run + 1}: batch {batch[-1][0]:.0f} households/s "
            f"({batch[-1][1]:.2f} server CPU ms each), OpenRosa {openrosa[-1][0]:.0f} "
            f"submissions/s ({openrosa[-1][1]:.2f} ms each); load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    median = statistics.median
    print(
        f"median of {args.repeat} runs ({os.cpu_count()} cores, {args.workers} server "
        f"processes, {args.clients} clients): batch sync {median(r for r, _ in batch):.0f} "
        f"households/s in batches of {args.batch_size} "
        f"({median(c for _, c in batch):.2f} server CPU ms each); OpenRosa "
        f"{median(r for r, _ in openrosa):.0f} single submissions/s "
        f"({median(c for _, c in openrosa):.2f} ms each)"
    )


if __name__ == "__main__":
    main()
