"""A generated table of malformed inputs over every key of the file formats (issue 19).

For every key of every table of the three file formats, read from the code so that a key added
later is covered without touching this file:

- scenario files: ``[scenario]`` (``SCENARIO_KEYS``), ``[parameters]`` (every parameter of
  the registry), ``[services.ID]`` (``SERVICE_KEYS``), ``[shocks.ID]`` (``SHOCK_KEYS``),
  ``[[execution]]`` and its ``select`` (``ENTRY_KEYS``, ``SELECT_KEYS``);
- batch files: ``[batch]`` (``BATCH_KEYS``), ``[design]`` for every method (``DESIGN_KEYS``)
  and ``[design.ranges]``;
- office files of the DES: ``[office]``, ``[arrivals]``, ``[staff]``, ``[[steps]]``,
  ``[automation]``, ``[[classes]]`` (``OFFICE_KEYS`` ... ``CLASS_KEYS``);

a small valid file gets that key set to each of :data:`VALUES` (wrong types, empty and
over-long strings, zero, negatives, the int64 ends, ±1e308, NaN, ±inf, empty and mixed lists,
a table, dates far out, a date-time) and one unknown key per table. The real command runs on it
(``foedsim check``, ``foedsim batch --dry-run``, ``foedsim des``) and must

1. exit with 0 or 2, never raise, never print a traceback;
2. refuse (exit 2) every value the key's own check refuses (for a parameter: the registry's
   :meth:`~model.parameters.Parameter.check_value`), with one line that names the file and
   the key;
3. for a value the key's check accepts, either run or refuse it in one line as well (a
   combination with the rest of the file may be invalid).

The oracle of item 2 is the check the format declares for the key, so this test finds a key
whose check is bypassed, a loader that crashes on a value its check let through, and a
message that does not name its key. Whether each check is the right one is tested beside each
format (tests/test_scenarios.py, tests/test_batch.py, tests/test_des.py).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from test_batch_fixture import write_tiny_scenario

import model.batch.spec as batch_spec
import model.des_spec as des_spec
import model.execution as execution
import model.scenario as scenario
from cli.main import main
from model.catalogue import load_catalogue
from model.parameters import REGISTRY

VALUES: tuple[Any, ...] = (
    "x", "", "ä" * 300, True, False, 0, 1, -1, 0.5, 2**63 - 1, -(2**63), 1e308, -1e308,
    math.nan, math.inf, -math.inf, [], [1, "a"], ["x", "y"], {"a": 1},
    dt.date(1900, 1, 1), dt.date(2100, 1, 1), dt.datetime(2024, 1, 1, 12, 0),
)  # fmt: skip
UNKNOWN_KEY = "no_such_key_zz"


# --- writing TOML (inline tables only: enough for these documents) --------------------------


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def write_toml(path: Path, doc: Mapping[str, Any]) -> Path:
    path.write_text("".join(f"{k} = {toml_value(v)}\n" for k, v in doc.items()), encoding="utf-8")
    return path


def with_key(doc: dict[str, Any], where: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """A deep copy of ``doc`` with ``doc[where[0]][where[1]]... = value`` (missing tables
    created)."""
    out = copy.deepcopy(doc)
    node = out
    for step in where[:-1]:
        node = node[step] if isinstance(step, int) else node.setdefault(step, {})
    node[where[-1]] = value
    return out


def key_name(where: tuple[str | int, ...]) -> str:
    """The key as the error messages write it: ``parameters.x``, ``steps[1].minutes`` (entries
    of an array of tables are counted from 1, as a reader counts them in the file)."""
    out = ""
    for step in where:
        out += f"[{step + 1}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


# --- the cases --------------------------------------------------------------------------------


def cases(keys: Mapping[str, Any], where: tuple[str | int, ...]) -> Iterator[tuple]:
    """(path of the key, value, what its check says) for every key of a table and value,
    and one unknown key."""
    for key, check in keys.items():
        for value in VALUES:
            yield (*where, key), value, check(value)
    yield (*where, UNKNOWN_KEY), 1, "unknown key"


SERVICE = "wohngeld"


def scenario_base() -> dict[str, Any]:
    return {"scenario": {"name": "fz", "start": dt.date(2023, 1, 2), "end": dt.date(2023, 3, 31)},
            "parameters": {}, "services": {SERVICE: {}}, "shocks": {},
            "execution": [{"services": [SERVICE], "mode": "central_land",
                           "start": dt.date(2023, 2, 6)}]}  # fmt: skip


def select_base() -> dict[str, Any]:
    """The scenario base whose execution entry picks services by a ``select`` rule (an entry
    has either ``services`` or ``select``)."""
    doc = scenario_base()
    entry = doc["execution"][0]
    del entry["services"]
    entry["select"] = {"discretion_max": 0.5}
    return doc


def scenario_cases() -> Iterator[tuple]:
    """(base document, key, value, what its check says)."""
    shock = load_catalogue().shocks["shock_id"].iloc[0]
    base, select = scenario_base(), select_base()
    for case in cases(scenario.SCENARIO_KEYS, ("scenario",)):
        yield base, *case
    for p in REGISTRY.values():
        for value in VALUES:
            yield base, ("parameters", p.name), value, p.check_value(value)
    yield base, ("parameters", UNKNOWN_KEY), 1, "unknown parameter"
    for table, keys, where in ((base, scenario.SERVICE_KEYS, ("services", SERVICE)),
                               (base, scenario.SHOCK_KEYS, ("shocks", str(shock))),
                               (base, execution.ENTRY_KEYS, ("execution", 0)),
                               (select, execution.SELECT_KEYS,
                                ("execution", 0, "select"))):  # fmt: skip
        for case in cases(keys, where):
            yield table, *case


METHOD_BASE = {"factorial": {"levels": 2}, "lhs": {"samples": 2}, "sobol": {"samples": 2},
               "morris": {"samples": 2, "levels": 4}}  # fmt: skip
"""The keys each design method requires, at small values."""


def batch_base(method: str | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"batch": {"name": "fz", "scenarios": ["tiny.toml"]}}
    if method is not None:
        doc["design"] = {"method": method, "uncertainties": ["volume_scale"], "seed": 1,
                         **METHOD_BASE[method]}
    return doc


def batch_cases() -> Iterator[tuple]:
    for case in cases(batch_spec.BATCH_KEYS, ("batch",)):
        yield None, *case
    for method in batch_spec.METHODS:
        for (where, value, problem) in cases(batch_spec.DESIGN_KEYS, ("design",)):
            yield method, where, value, problem
        yield method, ("design", "ranges"), {"volume_scale": [1.2, 0.8]}, "low above high"


def office_base() -> dict[str, Any]:
    return {"office": {"name": "fz", "weeks": 20, "warmup_weeks": 2, "time": "calendar"},
            "arrivals": {"rate_per_week": 30.0}, "staff": {"clerks": 2, "days": 5},
            "steps": [{"name": "decide", "minutes": 45.0}],
            "automation": {"share": 0.2, "check_share": 0.5, "check_minutes": 5.0},
            "classes": [{"name": "normal", "share": 1.0, "priority": 0}]}  # fmt: skip


def office_cases() -> Iterator[tuple]:
    yield from cases(des_spec.OFFICE_KEYS, ("office",))
    for kind in des_spec.ARRIVAL_KINDS:  # each kind replaces the base's rate
        check = des_spec.ARRIVAL_KEYS[kind]
        for value in VALUES:
            yield ("arrivals", kind), value, check(value)
    yield from cases(des_spec.STAFF_KEYS, ("staff",))
    yield from cases(des_spec.STEP_KEYS, ("steps", 0))
    yield from cases(des_spec.AUTOMATION_KEYS, ("automation",))
    yield from cases(des_spec.CLASS_KEYS, ("classes", 0))


# --- running them -------------------------------------------------------------------------


def outcome(capsys, argv: list[str]) -> tuple[int, str]:
    """The command's exit code and stderr; an exception that escapes it (which the console
    script would print as a traceback) is returned as its traceback."""
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse
        rc = exc.code
    except Exception:  # noqa: BLE001 - what the user would see as a traceback
        capsys.readouterr()
        return -1, traceback.format_exc()
    captured = capsys.readouterr()
    return rc, captured.err


def judge(rc: int, err: str, path: Path, where: tuple, value: Any, problem: str | None) -> str:
    """'' if the outcome is right, else what is wrong (for one failure list per format)."""
    shown = f"{key_name(where)} = {toml_value(value)[:40]}"
    if "Traceback" in err:
        return f"{shown}: traceback"
    if rc not in (0, 2):
        return f"{shown}: exit code {rc}"
    if problem and rc != 2:
        return f"{shown}: accepted, but its check says {problem!r}"
    if rc == 2:
        lines = [line for line in err.strip().splitlines() if not line.endswith("invalid")]
        if len(lines) != 1:
            return f"{shown}: {len(lines)} error lines: {err!r}"
        if problem and (path.name not in lines[0] or f"'{key_name(where)}" not in lines[0]):
            return f"{shown}: the error names another file or key: {lines[0]}"
    return ""


def test_every_scenario_key(tmp_path, capsys):
    for base in (scenario_base(), select_base()):  # the bases are valid
        assert outcome(capsys, ["check", str(write_toml(tmp_path / "fz.toml", base))]) == (0, "")
    failures = []
    n = 0
    for base, where, value, problem in scenario_cases():
        path = write_toml(tmp_path / "fz.toml", with_key(base, where, value))
        rc, err = outcome(capsys, ["check", str(path)])
        failures.append(judge(rc, err, path, where, value, problem))
        n += 1
    failures = [f for f in failures if f]
    assert n > 20 * len(REGISTRY)
    assert not failures, f"{len(failures)} of {n}:\n" + "\n".join(failures[:40])


def test_every_batch_key(tmp_path, capsys):
    write_tiny_scenario(tmp_path)
    for method in (None, *batch_spec.METHODS):  # the bases are valid
        path = write_toml(tmp_path / "fz.toml", batch_base(method))
        assert outcome(capsys, ["batch", str(path), "--dry-run"]) == (0, ""), method
    failures = []
    n = 0
    for method, where, value, problem in batch_cases():
        path = write_toml(tmp_path / "fz.toml", with_key(batch_base(method), where, value))
        rc, err = outcome(capsys, ["batch", str(path), "--dry-run", "--out", str(tmp_path / "o")])
        failures.append(judge(rc, err, path, where, value, problem))
        n += 1
    failures = [f for f in failures if f]
    assert not (tmp_path / "o").exists()  # a dry run writes nothing
    assert not failures, f"{len(failures)} of {n}:\n" + "\n".join(failures[:40])


def test_every_office_key(tmp_path, capsys):
    assert outcome(capsys, ["des", str(write_toml(tmp_path / "fz.toml", office_base()))]) == (0, "")
    failures = []
    n = 0
    for where, value, problem in office_cases():
        doc = office_base()
        if where[0] == "arrivals":
            doc["arrivals"] = {}
        path = write_toml(tmp_path / "fz.toml", with_key(doc, where, value))
        rc, err = outcome(capsys, ["des", str(path)])
        failures.append(judge(rc, err, path, where, value, problem))
        n += 1
    failures = [f for f in failures if f]
    assert not failures, f"{len(failures)} of {n}:\n" + "\n".join(failures[:40])


@pytest.mark.parametrize("text", [
    "scenario = {name = 'x'",  # unclosed
    "[scenario]\nname = 'x'\nname = 'y'\n",  # duplicate key
    "\ufeff[scenario]\nname = 'bom'\n",  # a byte-order mark is accepted
    "[scenario]\nname = 'x'\n" + "a = " + "[" * 2000 + "]" * 2000 + "\n",  # deep nesting
    "\x00\x01\x02",  # binary
])  # fmt: skip
def test_malformed_toml_is_one_line(tmp_path, capsys, text):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    for argv in (["check", str(path)], ["batch", str(path), "--dry-run"], ["des", str(path)]):
        rc, err = outcome(capsys, argv)
        assert rc in (0, 2) and "Traceback" not in err, (argv, err)
        if rc == 2:
            assert str(path.name) in err, (argv, err)


def registry_ends(end: int) -> dict[str, Any]:
    """Every numeric parameter a scenario may set at the low (0) or high (1) end of its valid
    range, whole numbers where the default is one."""
    values = {}
    for p in REGISTRY.values():
        if p.role == "constant" or p.is_categorical or p.valid_range is None:
            continue
        value = p.valid_range[end]
        whole_default = isinstance(p.default, int) and not isinstance(p.default, bool)
        values[p.name] = int(value) if whole_default and float(value).is_integer() else value
    return values


@pytest.mark.parametrize("end", [0, 1], ids=["low", "high"])
def test_a_scenario_at_the_ends_of_every_range_runs_and_is_saved(tmp_path, capsys, end):
    # What check accepts must run and be saved (issue 19: a scenario that check accepted used
    # to fail when its run was saved). Two runs cover every parameter at once.
    base = tmp_path / "tiny.toml"
    write_tiny_scenario(tmp_path, parameters=registry_ends(end))
    assert outcome(capsys, ["check", str(base)])[0] == 0
    rc, err = outcome(capsys, ["run", str(base), "--out", str(tmp_path / "run")])
    assert (rc, "Traceback" in err) == (0, False), err
    assert (tmp_path / "run" / "manifest.json").is_file()


def test_every_choice_of_every_categorical_parameter_runs(tmp_path, capsys):
    failures = []
    for p in REGISTRY.values():
        if p.role == "constant" or not p.is_categorical:
            continue
        for choice in p.choices or ():
            path = write_tiny_scenario(tmp_path, parameters={p.name: choice})
            rc, err = outcome(capsys, ["run", str(path), "--out", str(tmp_path / "run"),
                                       "--overwrite"])  # fmt: skip
            if rc != 0:
                failures.append(f"{p.name} = {choice!r}: exit {rc}: {err.strip()[-300:]}")
    assert not failures, "\n".join(failures)
