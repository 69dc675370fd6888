"""Benchmark: batch scoring throughput and memory, on a synthetic Hà Tĩnh census or a national one.

Run:
    python bench/bench_scoring.py [--households 1000000] [--runs 3] [--standard vn-2022]
    python bench/bench_scoring.py --national [--total 27000000] [--chunk 500000]

Default: generate N synthetic households once (``survey_forms.synth.synth_tables``, timed
apart), then ``scoring.batch.score_tables`` on all of them ``--runs`` times; report the median
households/s, the peak memory the scoring allocates (tracemalloc, in a separate untimed run)
and the process's peak RSS; also the class shares (the synthetic census is calibrated to
Hà Tĩnh's end-2024 2.40 % poor / 3.04 % near-poor). Goal: ≥ 500,000 households/s.

``--national`` streams a national volume (27 million households by default, all 3,321
communes) generated on the fly in chunks, scores each chunk and keeps only the counts;
reports throughput (scoring alone and generation + scoring) and peak RSS. Goal: < 2 GB.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scoring.batch import score_tables  # noqa: E402
from survey_forms.synth import synth_national_chunks, synth_tables  # noqa: E402

CLASSES = ("poor", "near_poor", "average", "not_poor")


def peak_rss_mb() -> float:
    """Peak resident set size of this process (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if platform.system() == "Darwin" else peak / 1024


def shares(counts: Counter, total: int) -> str:
    return ", ".join(f"{c} {100 * counts.get(c, 0) / total:.3f} %" for c in CLASSES)


def batch(args: argparse.Namespace) -> None:
    n = args.households
    print(f"generating {n:,} synthetic households (seed {args.seed}) …", flush=True)
    start = time.perf_counter()
    households, members = synth_tables(n, seed=args.seed)
    generate = time.perf_counter() - start
    print(f"  {generate:.2f} s ({n / generate:,.0f} households/s), {len(members):,} members")
    times = []
    for run in range(args.runs):
        start = time.perf_counter()
        scores = score_tables(households, members, args.standard)
        times.append(time.perf_counter() - start)
        print(f"  run {run + 1}: {times[-1]:.2f} s ({n / times[-1]:,.0f} households/s)", flush=True)
    median = statistics.median(times)
    counts = Counter(scores["classification"])
    del scores
    tracemalloc.start()
    score_tables(households, members, args.standard)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"score_tables, {args.standard}, {n:,} households ({len(members):,} members):")
    print(f"  median of {args.runs}: {median:.2f} s = {n / median:,.0f} households/s "
          f"(best {n / min(times):,.0f}); goal ≥ 500,000/s")  # fmt: skip
    print(f"  peak memory allocated while scoring (tracemalloc): {traced_peak / 2**20:,.0f} MiB")
    print(f"  process peak RSS (tables + scoring): {peak_rss_mb():,.0f} MiB")
    print(f"  classes: {shares(counts, n)}")
    print(f"  load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def national(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    total, counts = args.total, Counter()
    scoring = generating = 0.0
    start = time.perf_counter()
    chunks = synth_national_chunks(total, chunk=args.chunk, seed=args.seed)
    with tqdm(total=total, unit="hh", unit_scale=True, disable=None, file=sys.stderr) as bar:
        while True:
            t0 = time.perf_counter()
            try:
                households, members = next(chunks)
            except StopIteration:
                break
            t1 = time.perf_counter()
            scores = score_tables(households, members, args.standard)
            t2 = time.perf_counter()
            counts.update(scores["classification"].to_numpy())
            generating += t1 - t0
            scoring += t2 - t1
            bar.update(len(households))
            del households, members, scores
    wall = time.perf_counter() - start
    print(f"national stream, {args.standard}, {total:,} households in chunks of {args.chunk:,}:")
    print(f"  scoring alone: {scoring:.1f} s = {total / scoring:,.0f} households/s")
    print(f"  generation: {generating:.1f} s = {total / generating:,.0f} households/s")
    print(f"  end to end: {wall:.1f} s = {total / wall:,.0f} households/s")
    print(f"  peak RSS: {peak_rss_mb():,.0f} MiB (goal < 2 GB)")
    print(f"  classes: {shares(counts, total)}")
    print(f"  load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--standard", default="vn-2022")
    parser.add_argument("--national", action="store_true", help="stream a national volume")
    parser.add_argument("--total", type=int, default=27_000_000)
    parser.add_argument("--chunk", type=int, default=500_000)
    args = parser.parse_args()
    national(args) if args.national else batch(args)


if __name__ == "__main__":
    main()
