"""Benchmark of the case-level discrete-event model (``model/des.py``).

Simulates a plain one-step office in working-time mode: Poisson arrivals, one exponential step
of 60 minutes, c = 5 clerks at load 0.8, 200,000 cases (warm-up included), and reports cases
per second of :func:`model.des.simulate_office` (drawing, event loop and result tables), the
median of ``--reps`` runs with different seeds, and the process's peak resident memory.
``--load`` sets the offered load (above 1 the office is overloaded and its backlog grows all
the time, which slows the event loop). The resource estimate of ``foedsim des``
(:mod:`model.bounds`) takes its speeds and its memory per case from this benchmark: memory per
case = the difference of the peak RSS of two sizes over the difference of their cases.

Usage::

    python benchmarks/bench_des.py [--reps 3] [--cases 200000] [--load 0.8]
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import time

import simpy

from model.des import office_from_dict, simulate_office
from model.des_spec import WORKING_MINUTES_PER_WEEK

CLERKS = 5
LOAD = 0.8
MINUTES = 60.0  # mean staff minutes of the one step


def office(cases: int, load: float = LOAD) -> dict:
    """The benchmark office: M/M/5 at ``load`` with about ``cases`` arrivals."""
    per_week = load * CLERKS / MINUTES * WORKING_MINUTES_PER_WEEK
    return {
        "office": {"name": "bench_mm5", "weeks": round(cases / per_week)},
        "arrivals": {"rate_per_week": per_week},
        "staff": {"clerks": CLERKS},
        "steps": [{"name": "decide", "minutes": MINUTES}],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--load", type=float, default=LOAD, help="offered load (utilisation)")
    args = parser.parse_args()
    spec = office_from_dict(office(args.cases, args.load), "<bench_des>")
    rates = []
    for seed in range(args.reps):
        t0 = time.perf_counter()
        result = simulate_office(spec, seed)
        elapsed = time.perf_counter() - t0
        rates.append(len(result.cases) / elapsed)
        print(f"seed {seed}: {len(result.cases):,} cases in {elapsed:.2f} s "
              f"= {rates[-1]:,.0f} cases/s")  # fmt: skip
    print(f"median of {args.reps}: {statistics.median(rates):,.0f} cases/s "
          f"(M/M/{CLERKS}, load {args.load}, working time; Python {platform.python_version()}, "
          f"simpy {simpy.__version__}, {platform.machine()})")  # fmt: skip
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB
    print(f"peak RSS of the process: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
