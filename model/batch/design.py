"""Replication seeds, designs over uncertainties, and the list of a batch's runs.

Seeds and common random numbers: the batch's ``base_seed`` spawns one seed per replication with
numpy's :class:`~numpy.random.SeedSequence` (child ``k`` of ``SeedSequence(base_seed)``).
Replication ``k`` of *every* scenario and design point runs with that same seed, and inside a
run every random decision draws from its own named stream derived from ``(seed, name)``
(:mod:`model.streams`). Two runs that share a replication number therefore share their random
numbers wherever their inputs let them, and scenario differences are paired by seed (Starsim
``MultiSim``, Covasim ``Scenarios``). Child ``k`` does not depend on how many children are
spawned, so adding replications leaves the existing ones unchanged.

Designs (SALib samplers; values outside the samplers are the registry's or the file's ranges):

- ``factorial``: every combination of ``levels`` evenly spaced values per uncertainty.
- ``lhs``: a Latin hypercube of ``samples`` points.
- ``sobol``: Saltelli's extension of a Sobol sequence, ``samples x (D + 2)`` points
  (``x (2D + 2)`` with second order), for Sobol indices.
- ``morris``: ``samples`` one-at-a-time trajectories of ``D + 1`` points on a ``levels`` grid,
  for Morris elementary effects.

Uncertainties whose registry default and range are whole numbers (weeks) are rounded to whole
numbers after sampling; the design table holds the values the runs actually used.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model.batch.spec import BatchSpec, DesignSpec, factor_levels, scenario_slug

Number = int | float


def replication_seeds(base_seed: int, n: int) -> list[int]:
    """One seed per replication, spawned from ``base_seed``.

    Args:
        base_seed: The batch's base seed (a non-negative integer).
        n: Number of replications.

    Returns:
        ``n`` seeds in ``[0, 2**63)`` (they fit Parquet's int64): the first 64 bits of child
        ``k``'s state, shifted right by one bit.
    """
    children = np.random.SeedSequence(base_seed).spawn(n)
    return [int(child.generate_state(1, np.uint64)[0]) >> 1 for child in children]


@dataclass(frozen=True)
class Design:
    """The design points of a batch (the same for every scenario).

    Attributes:
        method: ``none`` (one point: the scenarios' own values), ``factorial``, ``lhs``,
            ``sobol`` or ``morris``.
        names: The uncertainties varied, in order.
        bounds: ``(low, high)`` per uncertainty.
        integer: Whether each takes whole numbers.
        points: ``(n_points, len(names))`` values the runs use.
        settings: Sampler settings (samples, levels, seed, second_order) for the manifest.
    """

    method: str
    names: tuple[str, ...]
    bounds: tuple[tuple[float, float], ...]
    integer: tuple[bool, ...]
    points: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def n_points(self) -> int:
        """Number of design points."""
        return int(self.points.shape[0])

    def problem(self) -> dict[str, Any]:
        """The SALib problem: ``num_vars``, ``names`` and ``bounds``."""
        return {"num_vars": len(self.names), "names": list(self.names),
                "bounds": [list(b) for b in self.bounds]}  # fmt: skip

    def values(self, point: int) -> dict[str, Number]:
        """The parameter values of one design point, as Python numbers."""
        row = self.points[point]
        return {
            name: (int(round(float(v))) if is_int else float(v))
            for name, v, is_int in zip(self.names, row, self.integer, strict=True)
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description with every point (for the batch manifest)."""
        return {
            "method": self.method,
            "parameters": [
                {"name": n, "low": lo, "high": hi, "integer": i}
                for n, (lo, hi), i in zip(self.names, self.bounds, self.integer, strict=True)
            ],
            "settings": dict(self.settings),
            "points": [list(self.values(p).values()) for p in range(self.n_points)],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Design:
        """The design stored in a batch manifest (inverse of :meth:`to_dict`)."""
        params = data["parameters"]
        d = len(params)
        points = np.array(data["points"], dtype=float).reshape(-1, d)
        return cls(
            method=data["method"],
            names=tuple(p["name"] for p in params),
            bounds=tuple((float(p["low"]), float(p["high"])) for p in params),
            integer=tuple(bool(p["integer"]) for p in params),
            points=points,
            settings=dict(data.get("settings", {})),
        )


def sample_points(
    method: str,
    bounds: list[tuple[float, float]],
    integer: list[bool],
    samples: int | None = None,
    levels: int | None = None,
    seed: int = 0,
    second_order: bool = False,
) -> np.ndarray:
    """Sample design points in the given bounds.

    Args:
        method: ``factorial``, ``lhs``, ``sobol`` or ``morris``.
        bounds: ``(low, high)`` per parameter.
        integer: Round each parameter to whole numbers.
        samples: See :class:`~model.batch.spec.DesignSpec`.
        levels: See :class:`~model.batch.spec.DesignSpec`.
        seed: Sampler seed.
        second_order: Sobol: sample for second-order indices too.

    Returns:
        ``(n_points, n_parameters)`` values.
    """
    d = len(bounds)
    if method == "factorial":
        axes = [factor_levels(lo, hi, levels or 2, i) for (lo, hi), i in
                zip(bounds, integer, strict=True)]  # fmt: skip
        return np.array(list(itertools.product(*axes)), dtype=float).reshape(-1, d)
    problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)],
               "bounds": [list(b) for b in bounds]}  # fmt: skip
    if method == "lhs":
        from SALib.sample import latin

        x = latin.sample(problem, samples, seed=seed)
    elif method == "sobol":
        from SALib.sample import sobol

        x = sobol.sample(problem, samples, calc_second_order=second_order, seed=seed)
    elif method == "morris":
        from SALib.sample import morris

        x = morris.sample(problem, samples, num_levels=levels or 4, seed=seed)
    else:
        raise ValueError(f"unknown design method {method!r}")
    x = np.asarray(x, dtype=float)
    for j, is_int in enumerate(integer):
        if is_int:
            x[:, j] = np.rint(x[:, j])
    return x


def make_design(spec: DesignSpec | None) -> Design:
    """The design of a batch file (one empty point without a design)."""
    if spec is None:
        return Design("none", (), (), (), np.zeros((1, 0)), {})
    points = sample_points(spec.method, list(spec.ranges), list(spec.integer), spec.samples,
                           spec.levels, spec.seed, spec.second_order)  # fmt: skip
    settings = {"samples": spec.samples, "levels": spec.levels, "seed": spec.seed,
                "second_order": spec.second_order}  # fmt: skip
    return Design(spec.method, spec.uncertainties, spec.ranges, spec.integer, points, settings)


@dataclass(frozen=True)
class RunKey:
    """Who one run is: its place in the batch and its inputs.

    Attributes:
        index: Position in the batch, ``(scenario x n_points + point) x replications + rep``.
        run_id: Folder name under ``runs/NAME/runs/``.
        scenario: Scenario name.
        scenario_index: Position of the scenario in the batch file.
        point: Design point (0 without a design).
        replication: Replication number ``k``.
        seed: The replication's seed.
        values: Design parameter values of the point.
    """

    index: int
    run_id: str
    scenario: str
    scenario_index: int
    point: int
    replication: int
    seed: int
    values: dict[str, Number]

    def inputs(self) -> dict[str, Any]:
        """The run's inputs as one flat record (summary and failure records)."""
        return {"run_index": self.index, "run_id": self.run_id, "scenario": self.scenario,
                "point": self.point, "replication": self.replication, "seed": self.seed,
                **self.values}  # fmt: skip


@dataclass(frozen=True)
class RunPlan:
    """Every run of a batch, enumerated on demand (never all held in memory).

    Attributes:
        scenario_names: The scenarios' names, in file order.
        design: The design points.
        seeds: One seed per replication.
    """

    scenario_names: tuple[str, ...]
    design: Design
    seeds: tuple[int, ...]

    @property
    def n_runs(self) -> int:
        """Number of runs."""
        return len(self.scenario_names) * self.design.n_points * len(self.seeds)

    def key(self, index: int) -> RunKey:
        """The run at ``index``."""
        n_p, n_r = self.design.n_points, len(self.seeds)
        s, rest = divmod(index, n_p * n_r)
        p, r = divmod(rest, n_r)
        name = self.scenario_names[s]
        rep = f"r{r:0{max(3, len(str(n_r - 1)))}d}"
        if self.design.method == "none":
            run_id = f"{scenario_slug(name)}-{rep}"
        else:
            run_id = f"{scenario_slug(name)}-p{p:0{max(4, len(str(n_p - 1)))}d}-{rep}"
        return RunKey(index, run_id, name, s, p, r, self.seeds[r], self.design.values(p))

    def index_of(self, run_id: str) -> int | None:
        """The index of the run called ``run_id``, or None if this plan has no such run."""
        head, _, rep = run_id.rpartition("-r")
        name_part, _, point = head.rpartition("-p")
        try:
            r = int(rep)
            p = int(point) if self.design.method != "none" else 0
        except ValueError:
            return None
        slug = name_part if self.design.method != "none" else head
        names = [scenario_slug(n) for n in self.scenario_names]
        if slug not in names or not (0 <= p < self.design.n_points and 0 <= r < len(self.seeds)):
            return None
        index = (names.index(slug) * self.design.n_points + p) * len(self.seeds) + r
        return index if self.key(index).run_id == run_id else None

    def run_keys(self, skip: np.ndarray | None = None) -> Iterator[RunKey]:
        """The runs in order, leaving out those where ``skip[index]`` is true."""
        for index in range(self.n_runs):
            if skip is None or not skip[index]:
                yield self.key(index)


def plan_batch(spec: BatchSpec) -> RunPlan:
    """The run plan of a validated batch file."""
    return RunPlan(
        scenario_names=tuple(sc.name for sc in spec.scenarios),
        design=make_design(spec.design),
        seeds=tuple(replication_seeds(spec.base_seed, spec.replications)),
    )
