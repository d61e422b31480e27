"""Benchmark and result table of the bridging-aid replay (``model/replay.py``, docs/REPLAY.md).

Runs the central network (21 offices) and the decentral counterfactual (400 Kreise) once at the
given scale (1.0 = the acceptance size of 2 million applications), prints the results table of
both variants and the wall time of each variant's loop over its offices (drawing, event loop
and tables included). The issue's aim is at most 60 s for one 2-million-case run.

Usage::

    python benchmarks/bench_replay.py [--seed 1] [--scale 1.0] [--fte-share 0.5] [--workers 1]
"""

from __future__ import annotations

import argparse
import platform
import time

import pandas as pd
import simpy

from model.replay import bridging_aid_replay

ROWS = {
    "offices": "offices",
    "clerks": "clerks (heads)",
    "staff_fte": "staff (FTE)",
    "cases": "applications",
    "completed": "completed",
    "open_end": "open at the end",
    "offered_load": "offered load (programme weeks)",
    "lead_mean_weeks": "lead time mean (weeks)",
    "lead_median_weeks": "lead time median (weeks)",
    "lead_p90_weeks": "lead time p90 (weeks)",
    "lead_p99_weeks": "lead time p99 (weeks)",
    "backlog_peak_cases": "backlog peak (open cases)",
    "backlog_peak_week": "week of the backlog peak",
    "last_completion_week": "last case completed (week)",
    "office_lead_mean_min_weeks": "best office, mean lead time (weeks)",
    "office_lead_mean_max_weeks": "worst office, mean lead time (weeks)",
    "worst_office": "worst office",
    "office_load_max": "highest office offered load",
    "runtime_seconds": "wall time (s)",
}


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def table(summary: pd.DataFrame) -> str:
    """The summary as a Markdown table: one row per figure, one column per variant."""
    variants = list(summary["variant"])
    lines = ["| | " + " | ".join(variants) + " |", "|---" * (len(variants) + 1) + "|"]
    for key, label in ROWS.items():
        cells = [_cell(v.item() if hasattr(v, "item") else v) for v in summary[key]]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--fte-share", type=float, default=None)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    t0 = time.perf_counter()
    result = bridging_aid_replay(args.seed, args.scale, args.fte_share, workers=args.workers)
    total = time.perf_counter() - t0
    p = result.parameters
    print(f"bridging-aid replay: seed {p['seed']}, scale {p['scale']:g}, effective FTE share "
          f"{p['fte_share']:g}, {p['weeks']} simulated weeks, {p['minutes_per_case']:g} staff "
          f"minutes per case, workers {args.workers}")  # fmt: skip
    print(table(result.summary))
    for row in result.summary.itertuples():
        rate = row.cases / row.runtime_seconds
        print(f"{row.variant}: {row.cases:,} cases in {row.runtime_seconds:.1f} s "
              f"= {rate:,.0f} cases/s")  # fmt: skip
    print(f"total {total:.1f} s (set-up included; Python {platform.python_version()}, "
          f"simpy {simpy.__version__}, {platform.machine()})")  # fmt: skip


if __name__ == "__main__":
    main()
