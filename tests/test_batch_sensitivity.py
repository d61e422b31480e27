"""Sensitivity indices (issue 8, point 7): the wiring from a batch folder to SALib is checked on
functions with known indices, the Ishigami function (Sobol) and a linear function (Morris),
stored as if they were KPIs of a batch; then once on a real tiny Morris batch.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_batch_fixture import write_batch, write_tiny_scenario

from cli.main import main
from model.batch.design import Design, sample_points
from model.batch.runner import run_batch
from model.batch.sensitivity import analyze_design, sensitivity_table
from model.batch.spec import load_batch
from model.batch.store import BatchStore
from model.errors import FoedsimError

PI = math.pi
A, B = 7.0, 0.1  # Ishigami's usual constants


def ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices() -> tuple[list[float], list[float]]:
    """Analytic first-order and total indices (Ishigami & Homma 1990; Sobol' 1993).

    With x_i uniform on [-pi, pi]: V1 = (1 + B pi^4 / 5)^2 / 2, V2 = A^2 / 8, V3 = 0,
    V13 = B^2 pi^8 (1/18 - 1/50) = 8 B^2 pi^8 / 225, V = V1 + V2 + V13.
    """
    v1 = 0.5 * (1 + B * PI**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = 8 * B**2 * PI**8 / 225
    v = v1 + v2 + v13
    return [v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v]


def fake_batch(tmp_path, design: Design, outputs: np.ndarray, kpi: str = "toy_2023",
               replications: int = 2):  # fmt: skip
    """A batch folder holding ``outputs`` as a KPI column, rows shuffled, with replications
    that scatter around the output (+1, -1) so that only their mean is the output."""
    store = BatchStore.create(tmp_path / "fake", {
        "kind": "foedsim-batch", "batch_format": 1, "design": design.to_dict(),
        "scenarios": [{"name": "toy"}]})  # fmt: skip
    rows = []
    offsets = [1.0, -1.0] if replications == 2 else [0.0]
    for p, y in enumerate(outputs):
        for r, off in enumerate(offsets):
            rows.append({"run_index": p * replications + r, "run_id": f"toy-p{p}-r{r}",
                         "scenario": "toy", "point": p, "replication": r, "seed": r,
                         kpi: float(y) + off})  # fmt: skip
    order = np.random.default_rng(0).permutation(len(rows))
    half = len(rows) // 2
    store.write_summary_part([rows[i] for i in order[:half]])
    store.write_summary_part([rows[i] for i in order[half:]])
    return store.root


def test_sobol_indices_of_ishigami_through_a_stored_batch(tmp_path):
    bounds = [(-PI, PI)] * 3
    points = sample_points("sobol", bounds, [False] * 3, samples=1024, seed=1)
    design = Design("sobol", ("x1", "x2", "x3"), tuple(bounds), (False,) * 3, points,
                    {"samples": 1024, "second_order": False})  # fmt: skip
    batch = fake_batch(tmp_path, design, ishigami(points))
    table = sensitivity_table(batch, ["toy"], [2023], resamples=200)
    s1, st = ishigami_indices()
    for index, truth in (("S1", s1), ("ST", st)):
        rows = table[table["index"] == index].set_index("parameter").loc[["x1", "x2", "x3"]]
        assert np.allclose(rows["value"], truth, atol=0.05), (index, rows["value"], truth)
        assert (rows["conf"] > 0).all() and (rows["conf"] < 0.15).all()
    assert set(table.columns) == {"scenario", "kpi", "year", "parameter", "index", "value",
                                  "conf", "conf_level"}  # fmt: skip


def test_morris_of_a_linear_function_by_hand(tmp_path):
    # y = 2 x1 - 3 x2 + 0 x3: every elementary effect of x_i is coef_i x (high_i - low_i)
    bounds = [(0.0, 1.0), (10.0, 20.0), (-1.0, 1.0)]
    points = sample_points("morris", bounds, [False] * 3, samples=10, levels=4, seed=2)
    design = Design("morris", ("x1", "x2", "x3"), tuple(bounds), (False,) * 3, points,
                    {"samples": 10, "levels": 4})  # fmt: skip
    y = 2 * points[:, 0] - 3 * points[:, 1]
    table = sensitivity_table(fake_batch(tmp_path, design, y), ["toy"], [2023], resamples=100)
    wide = table.pivot(index="parameter", columns="index", values="value")
    assert wide.loc[["x1", "x2", "x3"], "mu_star"].tolist() == pytest.approx([2.0, 30.0, 0.0])
    assert wide.loc[["x1", "x2", "x3"], "mu"].tolist() == pytest.approx([2.0, -30.0, 0.0])
    assert wide["sigma"].tolist() == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)


def test_sensitivity_needs_a_sobol_or_morris_design_and_every_point(tmp_path):
    points = sample_points("lhs", [(0.0, 1.0)], [False], samples=4, seed=0)
    lhs = Design("lhs", ("x1",), ((0.0, 1.0),), (False,), points, {})
    with pytest.raises(FoedsimError, match="sobol or morris"):
        sensitivity_table(fake_batch(tmp_path, lhs, points[:, 0]), ["toy"])
    morris_points = sample_points("morris", [(0.0, 1.0)], [False], samples=2, seed=0)
    design = Design("morris", ("x1",), ((0.0, 1.0),), (False,), morris_points, {"levels": 4})
    with pytest.raises(FoedsimError, match="1 of 4 design points"):
        analyze_design(design, np.array([1.0, 2.0, np.nan, 3.0]))


def test_unknown_kpi_or_year_is_a_one_line_error(tmp_path):
    points = sample_points("morris", [(0.0, 1.0)], [False], samples=2, seed=0)
    design = Design("morris", ("x1",), ((0.0, 1.0),), (False,), points, {"levels": 4})
    batch = fake_batch(tmp_path, design, points[:, 0])
    with pytest.raises(FoedsimError, match="no KPI 'backlog'"):
        sensitivity_table(batch, ["backlog"])
    with pytest.raises(FoedsimError, match="no year 2030"):
        sensitivity_table(batch, ["toy"], [2030])


def test_real_morris_batch_and_cli(tmp_path, capsys):
    write_tiny_scenario(tmp_path)
    path = write_batch(tmp_path, """
    [batch]
    scenarios = ["tiny.toml"]
    [design]
    method = "morris"
    samples = 2
    uncertainties = ["utilisation_2023", "volume_scale"]
    """)
    out = tmp_path / "morris"
    assert run_batch(load_batch(path), out).done == 2 * 3
    csv = tmp_path / "indices.csv"
    rc = main(["sensitivity", str(out), "--kpi", "backlog_cases", "--kpi", "staff_fte",
               "--resamples", "50", "--out", str(csv)])  # fmt: skip
    assert rc == 0
    printed = capsys.readouterr().out
    assert "utilisation_2023" in printed and "mu_star" in printed and "95% CI" in printed
    table = pd.read_csv(csv)
    assert len(table) == 2 * 2 * 3  # KPIs x parameters x (mu_star, mu, sigma)
    assert np.isfinite(table["value"]).all()
    # staff are sized from demand: more volume, more staff (a positive effect)
    mu = table[(table["kpi"] == "staff_fte") & (table["index"] == "mu")].set_index("parameter")
    assert mu.at["volume_scale", "value"] > 0
    assert main(["sensitivity", str(out), "--kpi", "no_such_kpi"]) == 2


def test_a_batch_without_a_design_is_one_line_not_a_crash(tmp_path, capsys):
    """A plain scenarios x replications batch (design "none", as the runner stores it) gives
    one line naming the batch folder (issue 18, item 5); before, reading its empty sample
    crashed with a reshape error."""
    from cli.main import main
    from model.batch.design import Design

    none = Design("none", (), (), (), np.zeros((1, 0)), {})
    root = fake_batch(tmp_path, none, np.array([1.0]))
    with pytest.raises(FoedsimError, match="this batch's design is none"):
        sensitivity_table(root, ["toy"])
    assert main(["sensitivity", str(root), "--kpi", "toy"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(root) in err[0] and "sobol or morris" in err[0]
