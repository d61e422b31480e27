"""Benchmark of the weekly engine (issue 3's speed and memory targets).

Measures, for each scenario, in a fresh process per repetition:

- ``model``: ``FederalModel(...).run()`` from loading the packaged data to results in memory
  (load the scenario and data, build the model, run every week; the model's arrays are the
  results) — the same code as ``foedsim run`` (:func:`model.runner.run_scenario`); the KPI
  tables built from them afterwards are reported separately (``tables``);
- ``peak_rss_mb``: the process's peak resident memory (includes the Python interpreter and the
  imported libraries);
- ``end_to_end``: wall time of the ``foedsim run`` command (imports and writing included),
  with its phases.

Usage::

    python benchmarks/bench_engine.py [--reps 5] [--threads 2] [SCENARIO ...]

Prints a Markdown table for docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from model.runner import run_scenario
t_import = time.perf_counter() - t0
t1 = time.perf_counter()
outcome = run_scenario(sys.argv[1], seed=int(sys.argv[2]), tables="kpis", threads=int(sys.argv[3]))
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = outcome.timings
print(json.dumps({"import": t_import, "model": t["load"] + t["init"] + t["simulate"],
                  "rss": rss, **t,
                  "pairs": outcome.model.n_pairs, "agencies": outcome.model.n_agencies}))
"""


def measure(scenario: str, reps: int, threads: int) -> dict:
    runs = []
    for rep in range(reps):
        out = subprocess.run([sys.executable, "-c", CHILD, scenario, str(rep), str(threads)],
                             check=True, capture_output=True, text=True, cwd=ROOT)  # fmt: skip
        runs.append(json.loads(out.stdout))
    e2e = []
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(reps):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "cli", "run", scenario, "--seed", str(rep),
                            "--tables", "kpis", "--threads", str(threads),
                            "--out", str(Path(tmp) / f"r{rep}")],
                           check=True, capture_output=True, text=True, cwd=ROOT)  # fmt: skip
            e2e.append(time.perf_counter() - t)
    med = {k: statistics.median(r[k] for r in runs)
           for k in ("model", "rss", "load", "init", "simulate", "tables", "import")}  # fmt: skip
    return {"scenario": scenario, "pairs": runs[0]["pairs"], "agencies": runs[0]["agencies"],
            **med, "end_to_end": statistics.median(e2e), "reps": reps}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "scenarios",
        nargs="*",
        default=["scenarios/baseline_gemeinde.toml", "scenarios/baseline.toml"],
    )
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {platform.system()}, Python {platform.python_version()},"
        f" {resource.getpagesize()}-byte pages, threads={args.threads}, reps={args.reps}"
    )
    print()
    print(
        "| scenario | agencies | work pairs | model run (median) | simulate | init | tables |"
        " peak RSS | `foedsim run` end to end (median) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for sc in args.scenarios:
        r = measure(sc, args.reps, args.threads)
        print(
            f"| {sc} | {r['agencies']:,} | {r['pairs']:,} | {r['model']:.2f} s | "
            f"{r['simulate']:.2f} s | {r['init']:.2f} s | {r['tables']:.2f} s | "
            f"{r['rss']:.0f} MB | {r['end_to_end']:.2f} s |"
        )


if __name__ == "__main__":
    main()
