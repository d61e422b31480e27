"""Regenerate tests/baseline_summary.csv: the nationwide KPIs of a small fixed baseline run.

Run this deliberately, after a change that is *meant* to move the baseline's results, and
commit the new CSV with that change::

    .venv/bin/python tools/update_baseline_summary.py

The run: scenarios/baseline.toml ending 2024-12-31, ``granularity = "verwaltung"``, seed 7.
The CSV holds one row per (year, KPI) of the nationwide KPIs (``level = service_id = "all"``),
values rounded to 6 significant digits (``%.6g``). tests/test_baseline_summary.py recomputes
the same table with :func:`summary_table` and compares.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from model.runner import run_scenario  # noqa: E402
from model.scenario import Scenario, load_scenario  # noqa: E402

CSV_PATH = ROOT / "tests" / "baseline_summary.csv"
SCENARIO_FILE = "scenarios/baseline.toml"
END = dt.date(2024, 12, 31)
GRANULARITY = "verwaltung"
SEED = 7
DIGITS = 6


def summary_scenario() -> Scenario:
    """The fixed small scenario (loaded with a path relative to the repository root)."""
    with contextlib.chdir(ROOT):
        sc = load_scenario(SCENARIO_FILE)
    return dataclasses.replace(sc, end=END).with_parameters(granularity=GRANULARITY)


def round_sig(value: float) -> float:
    """``value`` rounded to :data:`DIGITS` significant digits (as written to the CSV)."""
    return float(f"{value:.{DIGITS}g}")


def summary_table() -> pd.DataFrame:
    """Nationwide KPIs per year of the fixed run: columns ``year, kpi, value`` (rounded)."""
    kpis = run_scenario(summary_scenario(), seed=SEED, tables="kpis").tables["kpis"]
    nat = kpis[(kpis["level"] == "all") & (kpis["service_id"] == "all")]
    out = pd.DataFrame(
        {
            "year": nat["year"].astype(int).to_numpy(),
            "kpi": nat["kpi"].astype(str).to_numpy(),
            "value": [round_sig(v) for v in nat["value"]],
        }
    )
    return out.sort_values(["year", "kpi"]).reset_index(drop=True)


def write_csv(table: pd.DataFrame, path: Path = CSV_PATH) -> None:
    """Write the summary with ``%.6g`` values."""
    table.to_csv(path, index=False, float_format=f"%.{DIGITS}g", lineterminator="\n")


def main() -> int:
    table = summary_table()
    write_csv(table)
    print(f"wrote {CSV_PATH.relative_to(ROOT)} ({len(table)} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
