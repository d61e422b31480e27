"""Regression: the nationwide KPIs of a small fixed baseline run match tests/baseline_summary.csv.

The CSV is written by tools/update_baseline_summary.py (baseline ending 2024-12-31,
verwaltung, seed 7). A failure means the model's results moved: if that is intended, rerun
the script and commit the new CSV together with the change.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tools" / "update_baseline_summary.py"
UPDATE_HINT = (
    "if the change is intended, regenerate the file with "
    "`.venv/bin/python tools/update_baseline_summary.py` and commit tests/baseline_summary.csv"
)


def _load_tool():
    spec = importlib.util.spec_from_file_location("update_baseline_summary", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_baseline_summary_unchanged():
    tool = _load_tool()
    assert tool.CSV_PATH.is_file(), f"{tool.CSV_PATH} is missing; {UPDATE_HINT}"
    stored = pd.read_csv(tool.CSV_PATH, dtype={"year": int, "kpi": str, "value": float})
    fresh = tool.summary_table()
    stored_rows = set(zip(stored["year"], stored["kpi"], strict=True))
    fresh_rows = set(zip(fresh["year"], fresh["kpi"], strict=True))
    assert fresh_rows == stored_rows, (
        f"baseline KPI rows changed: new {sorted(fresh_rows - stored_rows)}, "
        f"gone {sorted(stored_rows - fresh_rows)}; {UPDATE_HINT}"
    )
    merged = stored.merge(fresh, on=["year", "kpi"], suffixes=("_stored", "_now"))
    close = np.isclose(merged["value_now"], merged["value_stored"], rtol=1e-9, atol=0.0)
    changed = merged.loc[~close, ["year", "kpi", "value_stored", "value_now"]]
    assert changed.empty, (
        f"nationwide baseline KPIs differ from tests/baseline_summary.csv:\n"
        f"{changed.to_string(index=False, float_format=lambda v: f'{v:.9g}')}\n"
        f"{UPDATE_HINT}"
    )


def test_summary_covers_the_headline_kpis():
    stored = pd.read_csv(ROOT / "tests" / "baseline_summary.csv")
    assert sorted(stored["year"].unique()) == [2023, 2024]
    for kpi in ("arrivals_cases", "backlog_cases", "lead_time_weeks", "staff_fte", "utilisation"):
        assert (stored["kpi"] == kpi).sum() == 2, kpi
    assert stored["value"].notna().all()
