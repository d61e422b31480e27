"""Benchmark of scenario batches: runs per hour with the local-process executor (issue 8).

Runs a batch of ``--runs`` replications of a scenario (default: the full-Germany baseline
2023-2035, ``kpis`` tables) into a temporary folder with ``--workers`` local worker processes,
exactly as ``foedsim batch`` does (:func:`model.batch.runner.run_batch` with a
:class:`~model.batch.executors.ProcessExecutor`), and reports:

- ``wall``: wall time of the whole batch, from planning to the merged summary (s), including
  starting the worker processes and their first imports;
- ``runs/hour``: runs over wall time;
- ``steady runs/hour``: runs finished after the first ``workers`` runs, over the time from the
  ``workers``-th to the last finished run (the first wave carries the start-up; what a long
  batch approaches; needs ``runs > workers``);
- ``worker peak RSS``: the largest resident memory of one worker process (MB);
- ``disk``: size of the batch folder (MB).

Usage::

    python benchmarks/bench_batch.py [--runs 4] [--workers 2] [--tables kpis]
                                     [--executor process|dask-local] [SCENARIO]

For issue 8's acceptance: ``--runs 100 --workers 1``, ``--runs 100 --workers 2`` and
``--runs 100 --workers 2 --executor dask-local`` (speed-up = wall of 1 worker / wall of 2).

Prints a Markdown table for docs/BATCHES.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "baseline.toml"))
    parser.add_argument("--runs", type=int, default=4, help="replications in the batch")
    parser.add_argument("--workers", type=int, default=2, help="local worker processes")
    parser.add_argument("--tables", default="kpis", choices=("kpis", "aggregates", "full"))
    parser.add_argument("--executor", default="process", choices=("process", "dask-local"),
                        help="local processes (foedsim batch's default) or a local Dask cluster")
    args = parser.parse_args()

    from model.batch.executors import DaskExecutor, ProcessExecutor
    from model.batch.runner import run_batch
    from model.batch.spec import load_batch

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        scenario = Path(args.scenario).resolve()
        batch = folder / "bench.toml"
        # The scenario is referenced relative to the batch file, as batch files must.
        rel = os.path.relpath(scenario, folder)
        batch.write_text(f'[batch]\nname = "bench"\nscenarios = ["{rel}"]\n'
                         f"replications = {args.runs}\nbase_seed = 1\n"
                         f'tables = "{args.tables}"\n', encoding="utf-8")  # fmt: skip
        spec = load_batch(batch)
        finished: list[float] = []

        def progress(p) -> None:
            if p.finished_now > len(finished):
                finished.append(time.perf_counter())

        t0 = time.perf_counter()
        executor = (ProcessExecutor(workers=args.workers) if args.executor == "process"
                    else DaskExecutor(local_workers=args.workers))  # fmt: skip
        with executor:
            report = run_batch(spec, folder / "out", executor=executor, progress=progress)
        wall = time.perf_counter() - t0
        disk = sum(f.stat().st_size for f in (folder / "out").rglob("*") if f.is_file())
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    w = args.workers
    steady = (len(finished) - w) / (finished[-1] - finished[w - 1]) * 3600 \
        if len(finished) > w else float("nan")  # fmt: skip
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; python "
          f"{platform.python_version()}; scenario {Path(args.scenario).name}, "
          f"tables {args.tables}\n")  # fmt: skip
    print("| executor | runs | workers | failed | wall (s) | runs/min | steady runs/min "
          "| worker peak RSS (MB) | disk (MB) | MB per run |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {args.executor} | {report.total} | {args.workers} | {report.failed} | "
          f"{wall:.1f} | {report.total / wall * 60:,.1f} | {steady / 60:,.1f} | "
          f"{rss_mb:,.0f} | {disk / 1e6:.2f} | {disk / 1e6 / max(report.total, 1):.3f} |")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
