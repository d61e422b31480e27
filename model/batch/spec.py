"""Batch files: which scenarios to run, how often, over which design, and what to keep.

A batch file is TOML in ``scenarios/batches/`` (every key is described in docs/BATCHES.md)::

    [batch]
    name = "sensitivity_baseline"          # default: the file name; names the run folder
    description = "..."
    scenarios = ["../baseline.toml"]       # paths relative to this file, or absolute (required)
    replications = 2                       # seeds per scenario and design point (default 1)
    base_seed = 20230102                   # spawns one seed per replication (default 0)
    start = 2023-01-02                     # horizon: overrides every scenario's start/end
    end = 2030-12-31
    tables = "kpis"                        # what each run keeps: kpis | aggregates | full

    [design]                               # optional: a design over registry uncertainties
    method = "morris"                      # factorial | lhs | sobol | morris
    uncertainties = ["utilisation_2023", "volume_scale"]
    samples = 4                            # lhs points, sobol base N, morris trajectories
    levels = 4                             # factorial levels per parameter, morris grid levels
    seed = 1                               # sampler seed (default: base_seed)
    second_order = false                   # sobol only

    [design.ranges]                        # optional narrowing of registry ranges
    volume_scale = [0.9, 1.1]

Validation happens before anything runs and reports the first problem as one line naming the
file, the key and what is allowed (:class:`~model.errors.ScenarioError`), like scenario files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.checks import check_table, choice, is_bool, is_str, list_of, read_toml, unknown, whole
from model.checks import err as _err
from model.errors import ScenarioError
from model.parameters import REGISTRY, Parameter, Registry
from model.scenario import EARLIEST_START, LATEST_END, Scenario, load_scenario

METHODS: tuple[str, ...] = ("factorial", "lhs", "sobol", "morris")
TABLE_CHOICES: tuple[str, ...] = ("kpis", "aggregates", "full")
# Guards against a typo that would launch an enormous batch (e.g. samples = 1_000_000 with
# ten parameters in Sobol): the runs a batch file may define. Assumption, not a hard limit of
# the machinery (the store streams); raise it here if a real study needs more.
MAX_RUNS = 10_000_000
MAX_SEED = 2**63 - 1  # seeds are stored as int64 in Parquet
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
MAX_NAME_CHARS = 100
"""Longest batch name (characters): it names the run folder, and file systems allow 255 bytes
per folder name (the store adds hidden temporary siblings with a suffix)."""
SLUG_CHARS = 80
"""Longest scenario part of a run id (characters): longer scenario names are cut and get 8
hex digits of their hash, so run folder names stay below the file systems' 255 bytes."""


def _is_date(v: Any) -> str | None:
    if isinstance(v, dt.datetime) or not isinstance(v, dt.date):
        return "must be a TOML date such as 2030-12-31"
    if not EARLIEST_START <= v <= LATEST_END:
        return f"must lie between {EARLIEST_START} and {LATEST_END}"
    return None


def _is_name(v: Any) -> str | None:
    if not (isinstance(v, str) and _NAME.fullmatch(v)):  # fullmatch: no trailing newline
        return "must be a name of letters, digits, '_', '.' and '-' (it names the run folder)"
    if len(v) > MAX_NAME_CHARS:
        return (f"must be at most {MAX_NAME_CHARS} characters (it names the run folder), "
                f"not {len(v)}")
    return None


BATCH_KEYS = {
    "name": _is_name,
    "description": is_str,
    "scenarios": list_of(is_str, "scenario file paths (relative to the batch file)"),
    "replications": whole(1, 1_000_000),
    "base_seed": whole(0, MAX_SEED),
    "start": _is_date,
    "end": _is_date,
    "tables": choice(TABLE_CHOICES),
}
DESIGN_KEYS = {
    "method": choice(METHODS),
    "uncertainties": list_of(is_str, "registry uncertainty names"),
    "ranges": lambda v: None if isinstance(v, Mapping) else "must be a table NAME = [low, high]",
    "samples": whole(1, MAX_RUNS),
    "levels": whole(2, 1000),
    "seed": whole(0, 2**32 - 1),  # SALib's samplers take numpy seeds
    "second_order": is_bool,
}
TOP_LEVEL = ("batch", "design")
# Which design keys each method uses; others are refused so that a typo does not pass silently.
METHOD_KEYS: dict[str, tuple[str, ...]] = {
    "factorial": ("levels",),
    "lhs": ("samples",),
    "sobol": ("samples", "second_order"),
    "morris": ("samples", "levels"),
}
DEFAULT_LEVELS = {"factorial": 3, "morris": 4}


@dataclass(frozen=True)
class DesignSpec:
    """A validated design over registry uncertainties.

    Attributes:
        method: ``factorial``, ``lhs``, ``sobol`` or ``morris``.
        uncertainties: Registry names, in the order of the file.
        ranges: ``(low, high)`` per uncertainty: the registry's range or the file's narrowing.
        integer: Whether each uncertainty takes whole numbers (:func:`is_integer_parameter`).
        samples: Points (lhs), base sample N (sobol: N x (D + 2), or N x (2D + 2) with second
            order) or trajectories (morris: N x (D + 1)); None for factorial.
        levels: Levels per parameter (factorial) or grid levels (morris); None otherwise.
        seed: Seed of the sampler.
        second_order: Sobol only: also sample for second-order indices.
    """

    method: str
    uncertainties: tuple[str, ...]
    ranges: tuple[tuple[float, float], ...]
    integer: tuple[bool, ...]
    samples: int | None
    levels: int | None
    seed: int
    second_order: bool = False


@dataclass(frozen=True)
class BatchSpec:
    """A validated batch file with its scenarios resolved.

    Attributes:
        name: Batch name (default run folder ``runs/NAME``).
        description: One paragraph in plain words.
        file: The batch file as given (used in messages).
        scenario_files: The scenario paths as written in the file (relative to it).
        scenarios: The resolved scenarios, horizon applied; their ``files`` are relative to
            the batch file's folder (manifests hold no absolute paths).
        replications: Seeds per scenario and design point.
        base_seed: Seed that spawns the replication seeds.
        tables: Table set each run keeps (``kpis``, ``aggregates`` or ``full``).
        design: The design, or None for plain replications.
        definition: The file's contents, JSON-ready (dates as ISO strings), for the manifest.
    """

    name: str
    description: str
    file: str
    scenario_files: tuple[str, ...]
    scenarios: tuple[Scenario, ...]
    replications: int
    base_seed: int
    tables: str
    design: DesignSpec | None
    definition: dict[str, Any]


def _json_ready(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value


def scenario_slug(name: str) -> str:
    """A scenario name made safe for run folder names (``[A-Za-z0-9_.-]``, at most
    :data:`SLUG_CHARS` characters)."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._-") or "scenario"
    if len(slug) > SLUG_CHARS:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
        slug = f"{slug[:SLUG_CHARS - 9].rstrip('._-')}-{digest}"
    return slug


def _load_scenarios(shown: str, folder: Path, files: list[str]) -> list[Scenario]:
    from model.storage import portable_path  # storage imports pandas; this module stays light

    scenarios = []
    for i, rel in enumerate(files):
        path = folder / Path(rel).expanduser()
        if not path.is_file():
            where = "" if path == Path(rel).expanduser() else f" next to {shown}"
            raise _err(shown, "batch.scenarios",
                       f"entry {i + 1} ({rel!r}): file not found{where}; allowed: scenario "
                       "files, relative to the batch file or absolute")  # fmt: skip
        sc = load_scenario(path)
        # Record the scenario's file chain relative to the batch file, whatever the working
        # folder (the batch folder is the reference); a file outside the batch file's tree
        # is recorded by its name (portable_path), since manifests hold no absolute paths.
        files_rel = tuple(portable_path(f, folder) for f in sc.files)
        scenarios.append(dataclasses.replace(sc, files=files_rel))
    slugs = [scenario_slug(sc.name) for sc in scenarios]
    for i, slug in enumerate(slugs):
        if slugs.index(slug) != i:
            raise _err(shown, "batch.scenarios",
                       f"entries {slugs.index(slug) + 1} and {i + 1} are both named {slug!r}; "
                       "give each scenario its own [scenario] name")  # fmt: skip
    return scenarios


def _apply_horizon(shown: str, batch: Mapping[str, Any], sc: Scenario) -> Scenario:
    start = batch.get("start", sc.start)
    end = batch.get("end", sc.end)
    if end <= start:
        key = "batch.end" if "end" in batch else "batch.start"
        raise _err(shown, key, f"the horizon must end after it starts ({start} to {end}) "
                               f"for scenario {sc.name!r}")  # fmt: skip
    for sid, shock in sc.shocks.items():
        if not start <= shock["start"] <= end:
            key = "batch.end" if "end" in batch else "batch.start"
            raise _err(shown, key,
                       f"scenario {sc.name!r} opens programme {sid!r} on {shock['start']}, "
                       f"outside the horizon {start} to {end}")  # fmt: skip
    return dataclasses.replace(sc, start=start, end=end)


def is_integer_parameter(p: Parameter) -> bool:
    """True for a whole-number parameter: its default and both ends of its range are whole
    numbers (weeks, ages in years). The registry has no type field; ``retirement_age_employees``
    (default 64, range 63-66.5) is therefore real, ``warmup_weeks`` (26, 13-52) whole."""
    if isinstance(p.default, bool) or not isinstance(p.default, int):
        return False
    return all(v is not None and float(v).is_integer() for v in (p.low, p.high))


def _design_parameter(shown: str, name: str, registry: Registry) -> tuple[float, float, bool]:
    key = "design.uncertainties"
    if name not in registry:
        raise unknown(shown, key, "uncertainty", name,
                      [p.name for p in registry.by_role("uncertainty")])  # fmt: skip
    p = registry[name]
    if p.role != "uncertainty":
        what = "levers are set in scenario files" if p.role == "lever" else "it cannot vary"
        raise _err(shown, key, f"{name!r} is a {p.role}, not an uncertainty ({what})")
    if p.is_categorical or p.low is None or p.high is None:
        raise _err(shown, key, f"{name!r} has no numeric range; vary it with scenario files")
    return float(p.low), float(p.high), is_integer_parameter(p)


def _design(shown: str, data: Mapping[str, Any], base_seed: int, registry: Registry) -> DesignSpec:
    check_table(shown, "design", data, DESIGN_KEYS)
    for key in ("method", "uncertainties"):
        if key not in data:
            raise _err(shown, f"design.{key}", "is required in a [design] table")
    method = data["method"]
    for key in ("samples", "levels", "second_order"):
        if key in data and key not in METHOD_KEYS[method]:
            users = [m for m, keys in METHOD_KEYS.items() if key in keys]
            only = f"does not apply to method {method!r} (only to {', '.join(users)})"
            raise _err(shown, f"design.{key}", only)
    names = list(data["uncertainties"])
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise _err(shown, "design.uncertainties", f"{name!r} is listed twice")
    ranges, integer = [], []
    for name in names:
        low, high, is_int = _design_parameter(shown, name, registry)
        ranges.append((low, high))
        integer.append(is_int)
    for name, value in data.get("ranges", {}).items():
        key = f"design.ranges.{name}"
        if name not in names:
            raise unknown(shown, key, "uncertainty of design.uncertainties", name, names)
        i = names.index(name)
        low, high = ranges[i]
        ok = isinstance(value, list) and len(value) == 2 and all(
            not isinstance(x, bool) and isinstance(x, int | float) for x in value)  # fmt: skip
        if not ok or not value[0] < value[1]:
            raise _err(shown, key, "must be [low, high] with two numbers, low < high")
        if value[0] < low or value[1] > high:
            raise _err(shown, key, f"may narrow, never widen, the registry range "
                                   f"[{low:g}, {high:g}]")  # fmt: skip
        ranges[i] = (float(value[0]), float(value[1]))
    samples = data.get("samples")
    levels = data.get("levels", DEFAULT_LEVELS.get(method))
    if method in ("lhs", "sobol", "morris") and samples is None:
        raise _err(shown, "design.samples", f"is required for method {method!r}")
    if method == "sobol" and (samples < 2 or samples & (samples - 1)):
        raise _err(shown, "design.samples", "must be a power of 2 (2, 4, 8, ...) for Sobol "
                                            "sequences to keep their balance")  # fmt: skip
    if method == "morris":
        if samples < 2:
            raise _err(shown, "design.samples", "must be at least 2 trajectories for Morris")
        if levels % 2:
            raise _err(shown, "design.levels", "must be even for Morris (4 is usual)")
    return DesignSpec(
        method=method,
        uncertainties=tuple(names),
        ranges=tuple(ranges),
        integer=tuple(integer),
        samples=samples,
        levels=levels if method in ("factorial", "morris") else None,
        seed=data.get("seed", base_seed % 2**32),
        second_order=bool(data.get("second_order", False)),
    )


def factor_levels(low: float, high: float, levels: int, integer: bool) -> list[float | int]:
    """Evenly spaced levels from ``low`` to ``high`` inclusive; whole numbers, deduplicated,
    for integer parameters (so a range of 13-52 weeks with 3 levels gives 13, 32, 52)."""
    values = [low + (high - low) * i / (levels - 1) for i in range(levels)]
    if integer:
        return sorted({round(v) for v in values})
    return values


def design_size(design: DesignSpec | None) -> int:
    """Number of design points (1 without a design)."""
    if design is None:
        return 1
    d = len(design.uncertainties)
    if design.method == "factorial":
        n = 1
        for (low, high), is_int in zip(design.ranges, design.integer, strict=True):
            n *= len(factor_levels(low, high, design.levels, is_int))
        return n
    if design.method == "lhs":
        return design.samples
    if design.method == "sobol":
        return design.samples * (2 * d + 2 if design.second_order else d + 2)
    return design.samples * (d + 1)  # morris


def load_batch(path: str | Path, registry: Registry = REGISTRY) -> BatchSpec:
    """Read and validate a batch file and every scenario it lists.

    Args:
        path: The batch file.
        registry: The parameter registry (uncertainties and their ranges).

    Returns:
        The validated batch.

    Raises:
        ScenarioError: With one line naming the file, the key and what is allowed (a scenario
            file's own problems are reported with that file's name).
    """
    path = Path(path)
    shown = str(path)
    data = read_toml(path, shown)
    for key in data:
        if key not in TOP_LEVEL:
            raise unknown(shown, key, "table", key, TOP_LEVEL)
    batch = check_table(shown, "batch", data.get("batch", {}), BATCH_KEYS)
    if "scenarios" not in batch:
        raise _err(shown, "batch.scenarios", "is required: a list of scenario files, relative "
                                             "to the batch file")  # fmt: skip
    base_seed = batch.get("base_seed", 0)
    design = _design(shown, data["design"], base_seed, registry) if "design" in data else None
    replications = batch.get("replications", 1)
    n_runs = len(batch["scenarios"]) * design_size(design) * replications
    if n_runs > MAX_RUNS:
        raise _err(shown, "design.samples" if design else "batch.replications",
                   f"the batch would have {n_runs:,} runs, more than {MAX_RUNS:,}")  # fmt: skip
    scenarios = _load_scenarios(shown, path.parent, list(batch["scenarios"]))
    scenarios = [_apply_horizon(shown, batch, sc) for sc in scenarios]
    if design is not None:
        for sc in scenarios:  # the design's extremes must be valid values in every scenario
            try:
                sc.with_parameters(**{n: (int(lo) if i else lo) for n, (lo, _), i in
                                      zip(design.uncertainties, design.ranges, design.integer,
                                          strict=True)})  # fmt: skip
            except ScenarioError as exc:
                raise _err(shown, "design.ranges", str(exc)) from None
    return BatchSpec(
        name=batch.get("name", scenario_slug(path.stem)),
        description=batch.get("description", ""),
        file=shown,
        scenario_files=tuple(batch["scenarios"]),
        scenarios=tuple(scenarios),
        replications=replications,
        base_seed=base_seed,
        tables=batch.get("tables", "kpis"),
        design=design,
        definition=_recordable_definition(_json_ready(data), path.parent),
    )


def _recordable_definition(definition: dict[str, Any], folder: Path) -> dict[str, Any]:
    """The batch file's contents as its manifest records them: the scenario entries as paths
    relative to the batch file, an absolute one made relative or cut to its file name
    (:func:`model.storage.portable_path`); everything else as written."""
    from model.storage import portable_path

    batch = definition.get("batch", {})
    entries = batch.get("scenarios", [])
    recorded = [portable_path(entry, folder) if Path(entry).expanduser().is_absolute()
                else entry for entry in entries]  # fmt: skip
    if recorded == entries:
        return definition
    return {**definition, "batch": {**batch, "scenarios": recorded}}
