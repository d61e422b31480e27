"""Run one scenario end to end: load, simulate, build tables, write a run folder.

The command line (``foedsim run``) and the benchmark scripts call :func:`run_scenario`, so the
benchmark measures exactly what users run.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from model.engine import FederalModel
from model.errors import ScenarioError
from model.results import fte_by_level, run_tables
from model.scenario import Scenario, load_scenario
from model.storage import TABLE_SETS, check_manifest_inputs, make_manifest, write_run


@dataclass
class RunOutcome:
    """A finished run.

    Attributes:
        model: The model after its last week.
        tables: The result tables.
        timings: Seconds per phase (load, init, simulate, tables, write).
        path: The run folder, if written.
    """

    model: FederalModel
    tables: dict[str, pd.DataFrame]
    timings: dict[str, float] = field(default_factory=dict)
    path: Path | None = None


_frozen = False


def freeze_imports() -> None:
    """Move every object that exists now out of the cyclic garbage collector's reach
    (``gc.freeze``), once per process; later calls do nothing.

    For processes that only run foedsim (the command line, batch workers, the benchmark),
    called right after their imports: the imported libraries' modules, classes and functions
    (about 190,000 objects after the imports of ``foedsim run``) live as long as the process,
    but without this every full collection walks them all again. Building a model at
    ``gemeinde`` granularity (its 11,482 agents and tables) triggers one: 75 ms, or about
    14 ms with the imports frozen. Objects frozen while alive are never collected if they
    become cyclic garbage later, so it must run before the process makes models; library users
    need not call it.
    """
    global _frozen
    if not _frozen:
        gc.freeze()
        _frozen = True


def run_scenario(
    scenario: str | Path | Scenario,
    seed: int = 0,
    tables: str = "kpis",
    out: Path | None = None,
    overwrite: bool = False,
    threads: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> RunOutcome:
    """Load (if a path), simulate and optionally write one scenario.

    Args:
        scenario: A scenario file or a resolved scenario.
        seed: Seed of the named random streams.
        tables: Which table set to build: ``kpis``, ``aggregates`` or ``full``.
        out: Folder to write the run to (atomically); None to keep it in memory only.
        overwrite: Replace an existing run folder.
        threads: Threads for drawing arrivals (results do not depend on it).
        progress: Called as ``progress(week, n_weeks)`` after each simulated year.

    Raises:
        ScenarioError: The scenario is not valid, or (with ``out``) cannot be recorded in a
            manifest; both are found before the simulation starts.
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    record = sc.to_dict(file_hashes=True)
    if out is not None:
        _check_recordable(sc, record, seed, tables)
    t1 = time.perf_counter()
    model = FederalModel(sc, seed=seed, threads=threads)
    t2 = time.perf_counter()
    n = model.calendar.n_weeks
    year_ends = np.flatnonzero(np.diff(model.calendar.year) != 0) + 1
    for end in [*year_ends.tolist(), n]:  # year by year: same results as week by week
        model.run_until(end)
        if progress:
            progress(model.week, n)
    model.run()  # nothing left to simulate; closes the thread pools
    t3 = time.perf_counter()
    result = run_tables(model, TABLE_SETS[tables])
    t4 = time.perf_counter()
    timings.update(load=t1 - t0, init=t2 - t1, simulate=t3 - t2, tables=t4 - t3)
    outcome = RunOutcome(model, result, timings)
    if out is not None:
        fte = {k: round(float(v), 1) for k, v in fte_by_level(model).items()}
        manifest = make_manifest(record, seed, list(result),
                                 extra={"initial_fte_by_level": fte})  # fmt: skip
        outcome.path = write_run(Path(out), result, manifest, overwrite=overwrite)
        timings["write"] = time.perf_counter() - t4
    return outcome


def _check_recordable(sc: Scenario, record: dict[str, object], seed: int, tables: str) -> None:
    """Make every check of the manifest before the simulation (issue 19: a manifest check
    must never fire after one). ``to_dict`` records paths so that none is refused; should a
    check still refuse, the message names the scenario file, not a traceback after the run."""
    try:
        check_manifest_inputs(record, seed, list(TABLE_SETS[tables]))
    except (TypeError, ValueError) as exc:
        shown = sc.files[-1] if sc.files else sc.name
        raise ScenarioError(f"{shown}: cannot be recorded in the run's manifest: {exc}") from None
