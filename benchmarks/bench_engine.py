"""Benchmark of the weekly engine (issue 3's speed and memory targets).

Measures, for each scenario, in a fresh process per repetition:

- ``model``: ``FederalModel(...).run()`` from loading the packaged data to results in memory
  (load the scenario and data, build the model, run every week; the model's arrays are the
  results), wall time, with the CPU time of the process (all threads) beside it; the KPI
  tables built from the results afterwards are reported separately (``tables``), and the
  imports (numpy, pandas, mesa, numba, scipy, ...: a per-process constant) are not in it;
  after them the child freezes the imported objects for the garbage collector
  (:func:`model.runner.freeze_imports`), as ``foedsim run`` and batch workers do;
- ``peak_rss_mb``: the process's peak resident memory (includes the Python interpreter and the
  imported libraries);
- ``end_to_end``: wall time of the ``foedsim run`` command (imports, the model, tables and
  writing; :func:`model.runner.run_scenario`).

Usage::

    python benchmarks/bench_engine.py [--reps 5] [--threads 2] [SCENARIO ...]
    python benchmarks/bench_engine.py --against HEAD~1 [--reps 9] [SCENARIO ...]

``--against REV`` compares this checkout with the commit ``REV`` side by side: it checks
``REV`` out into a temporary git worktree, warms both up once (numba compiles into each tree's
cache), then runs the model of each scenario alternately in the two trees (A, B, A, B, ...)
and prints the medians, their ratio (this checkout over ``REV``) and the median of the
per-pair ratios of consecutive A/B runs. Alternating puts a change of the host's speed on
both sides, so the ratio survives a change of machine better than the seconds do.

Prints a Markdown table for docs/PERFORMANCE.md and the load average of the machine before
and after (the machine is shared: compare rows measured at the same time).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
import model.runner  # the imports of `foedsim run`
from model.engine import FederalModel
from model.results import run_tables
from model.scenario import load_scenario
from model.storage import TABLE_SETS
model.runner.freeze_imports()  # as `foedsim run` does after its imports
t_import = time.perf_counter() - t0
wall, cpu = [time.perf_counter()], [time.process_time()]
def mark():
    wall.append(time.perf_counter()); cpu.append(time.process_time())
sc = load_scenario(sys.argv[1]); mark()
m = FederalModel(sc, seed=int(sys.argv[2]), threads=int(sys.argv[3])); mark()
m.run(); mark()
run_tables(m, TABLE_SETS["kpis"]); mark()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
d = {k: wall[i + 1] - wall[i] for i, k in enumerate(("load", "init", "simulate", "tables"))}
d.update({k + "_cpu": cpu[i + 1] - cpu[i] for i, k in enumerate(("load", "init", "simulate"))})
d["model"] = wall[3] - wall[0]
d["model_cpu"] = cpu[3] - cpu[0]
print(json.dumps({"import": t_import, "rss": rss, "pairs": m.n_pairs,
                  "agencies": m.n_agencies, **d}))
"""

PHASES = ("model", "model_cpu", "rss", "load", "init", "simulate", "init_cpu", "simulate_cpu",
          "tables", "import")  # fmt: skip


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
    med = {k: statistics.median(r[k] for r in runs) for k in PHASES}
    return {"scenario": scenario, "pairs": runs[0]["pairs"], "agencies": runs[0]["agencies"],
            **med, "model_all": sorted(r["model"] for r in runs),
            "end_to_end": statistics.median(e2e), "reps": reps}  # fmt: skip


def child_run(tree: Path, scenario: str, seed: int, threads: int) -> dict:
    """One model run in a fresh process whose ``model`` package is the one in ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", CHILD, scenario, str(seed), str(threads)],
                         check=True, capture_output=True, text=True, cwd=tree, env=env)  # fmt: skip
    return json.loads(out.stdout)


def compare(rev: str, scenarios: list[str], reps: int, threads: int) -> None:
    """Alternating A/B model runs of this checkout (A) and the commit ``rev`` (B)."""
    sha = subprocess.run(["git", "rev-parse", "--short", rev], check=True, capture_output=True,
                         text=True, cwd=ROOT).stdout.strip()  # fmt: skip
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], check=True,
                          capture_output=True, text=True, cwd=ROOT).stdout.strip()  # fmt: skip
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], check=True,
                           capture_output=True, text=True, cwd=ROOT).stdout.strip()  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        other = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(other), sha], check=True,
                       capture_output=True, cwd=ROOT)  # fmt: skip
        try:
            print(f"A = this checkout ({head}{' + uncommitted changes' if dirty else ''}), "
                  f"B = {sha}; load average before: {os.getloadavg()[0]:.2f}")  # fmt: skip
            print()
            print("| scenario | A: model run (median) | B: model run (median) | A/B of medians |"
                  " median of pair ratios | A CPU | B CPU |")  # fmt: skip
            print("|---|---|---|---|---|---|---|")
            for sc in scenarios:
                for tree in (ROOT, other):  # warm-up: compile into each tree's cache
                    child_run(tree, sc, 0, threads)
                a, b = [], []
                for rep in range(reps):
                    first, second = (ROOT, other) if rep % 2 == 0 else (other, ROOT)
                    r1 = child_run(first, sc, rep, threads)
                    r2 = child_run(second, sc, rep, threads)
                    (a if first == ROOT else b).append(r1)
                    (b if first == ROOT else a).append(r2)
                ma = statistics.median(r["model"] for r in a)
                mb = statistics.median(r["model"] for r in b)
                pair = statistics.median(x["model"] / y["model"] for x, y in zip(a, b,
                                                                                 strict=True))
                ca = statistics.median(r["model_cpu"] for r in a)
                cb = statistics.median(r["model_cpu"] for r in b)
                print(f"| {sc} | {ma:.2f} s ({min(r['model'] for r in a):.2f}–"
                      f"{max(r['model'] for r in a):.2f}) | {mb:.2f} s "
                      f"({min(r['model'] for r in b):.2f}–{max(r['model'] for r in b):.2f}) | "
                      f"{ma / mb:.3f} | {pair:.3f} | {ca:.2f} s | {cb:.2f} s |")  # fmt: skip
            print()
            print(f"{reps} runs of each, alternating; load average after: "
                  f"{os.getloadavg()[0]:.2f}")  # fmt: skip
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(other)], check=False,
                           capture_output=True, cwd=ROOT)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "scenarios",
        nargs="*",
        default=["scenarios/baseline_gemeinde.toml", "scenarios/baseline.toml"],
    )
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--against", metavar="REV", help="compare with this git commit (A/B)")
    args = parser.parse_args()
    if args.against:
        compare(args.against, args.scenarios, args.reps, args.threads)
        return
    print(
        f"machine: {platform.machine()}, {platform.system()}, Python {platform.python_version()},"
        f" {os.cpu_count()} CPUs, threads={args.threads}, reps={args.reps},"
        f" load average before: {os.getloadavg()[0]:.2f}"
    )
    print()
    print(
        "| scenario | agencies | work pairs | model run (median) | its CPU | simulate | init |"
        " tables | peak RSS | `foedsim run` end to end (median) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    runs = []
    for sc in args.scenarios:
        r = measure(sc, args.reps, args.threads)
        runs.append(r)
        print(
            f"| {sc} | {r['agencies']:,} | {r['pairs']:,} | {r['model']:.2f} s | "
            f"{r['model_cpu']:.2f} s | {r['simulate']:.2f} s | {r['init']:.2f} s | "
            f"{r['tables']:.2f} s | {r['rss']:.0f} MB | {r['end_to_end']:.2f} s |"
        )
    print()
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    for r in runs:
        times = ", ".join(f"{t:.2f}" for t in r["model_all"])
        print(f"{r['scenario']}: model runs {times} s; CPU init {r['init_cpu']:.2f} s, "
              f"simulate {r['simulate_cpu']:.2f} s; imports {r['import']:.2f} s")


if __name__ == "__main__":
    main()
