"""Run folders: round trip, atomic writes (including a real crash), overwrite, manifest, git."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from model import storage
from model.errors import DataError, FoedsimError
from model.storage import (
    SCHEMA_VERSION,
    TABLE_SETS,
    RunExistsError,
    assert_no_absolute_paths,
    clean_stale_temp,
    git_commit,
    list_runs,
    make_manifest,
    read_run,
    write_run,
)

REPO = Path(__file__).resolve().parents[1]
COMMIT = re.compile(r"^[0-9a-f]{40}(-dirty)?$")
MANIFEST_KEYS = {
    "model",
    "model_version",
    "schema_version",
    "git_commit",
    "created_at",
    "python",
    "platform",
    "packages",
    "scenario",
    "seed",
    "tables",
    "extra",
}
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
SCENARIO = {"name": "baseline", "file": "scenarios/baseline.toml", "parameters": {"x": 1.5}}


def small_tables() -> dict[str, pd.DataFrame]:
    kpis = pd.DataFrame(
        {
            "year": [2023, 2023, 2024],
            "kpi": ["backlog_cases", "lead_time_weeks", "backlog_cases"],
            "value": [1200.5, 3.25, float("nan")],
            "land": pd.Categorical(["NW", "BY", "NW"], categories=["BY", "NW"]),
        }
    )
    weekly = pd.DataFrame(
        {
            "week": [0, 1],
            "service": ["wohngeld", "elterngeld"],
            "arrivals_cases": [10, 20],
            "level": pd.Categorical(["Gemeinde", "Kreis"], categories=["Gemeinde", "Kreis"]),
        }
    )
    return {"kpis": kpis, "weekly": weekly}


def manifest_for(tables: dict[str, pd.DataFrame], **extra) -> dict:
    return make_manifest(SCENARIO, seed=7, tables=list(tables), extra=extra or None)


def hidden_entries(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


# --- round trip ------------------------------------------------------------------------------


def test_round_trip(tmp_path):
    tables = small_tables()
    out = write_run(tmp_path / "runs" / "base", tables, manifest_for(tables, replicate=0))
    assert out == tmp_path / "runs" / "base"
    assert sorted(p.name for p in out.iterdir()) == [
        "kpis.parquet",
        "manifest.json",
        "weekly.parquet",
    ]
    run = read_run(out)
    assert set(run.tables) == {"kpis", "weekly"}
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(run.table(name), frame)
        assert run.manifest["tables"][name] == {
            "file": f"{name}.parquet",
            "rows": len(frame),
            "columns": list(frame.columns),
        }
    assert run.manifest["scenario"] == SCENARIO
    assert run.manifest["seed"] == 7
    assert run.manifest["extra"] == {"replicate": 0}
    assert list_runs(tmp_path / "runs") == [out]


def test_manifest_json_is_sorted_indented_utf8(tmp_path):
    tables = {"kpis": small_tables()["kpis"]}
    manifest = make_manifest({"name": "Überbrückungshilfe"}, 1, ["kpis"])
    out = write_run(tmp_path / "r", tables, manifest)
    text = (out / "manifest.json").read_text(encoding="utf-8")
    assert "Überbrückungshilfe" in text  # ensure_ascii=False
    parsed = json.loads(text)
    assert text == json.dumps(parsed, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert "rows" not in manifest["tables"]["kpis"]  # the caller's manifest is not changed


def test_parquet_files_are_zstd_without_index(tmp_path):
    import pyarrow.parquet as pq

    frame = small_tables()["kpis"].iloc[[2, 0]]  # a non-default (unnamed) index
    out = write_run(tmp_path / "r", {"kpis": frame}, make_manifest({}, 1, ["kpis"]))
    meta = pq.ParquetFile(out / "kpis.parquet").metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert pq.read_schema(out / "kpis.parquet").names == list(frame.columns)
    pd.testing.assert_frame_equal(read_run(out).table("kpis"), frame.reset_index(drop=True))


def test_named_index_and_mismatched_tables_are_refused(tmp_path):
    frame = small_tables()["kpis"].set_index("year")
    with pytest.raises(ValueError, match="reset_index"):
        write_run(tmp_path / "r", {"kpis": frame}, make_manifest({}, 1, ["kpis"]))
    with pytest.raises(ValueError, match="do not match"):
        write_run(tmp_path / "r", small_tables(), make_manifest({}, 1, ["kpis"]))
    assert list(tmp_path.iterdir()) == []


def test_missing_table_asked_for_is_a_data_error(tmp_path):
    tables = {"kpis": small_tables()["kpis"]}
    run = read_run(write_run(tmp_path / "r", tables, manifest_for(tables)))
    with pytest.raises(DataError, match="no table 'agencies'"):
        run.table("agencies")


# --- atomicity -------------------------------------------------------------------------------
def test_atomic_path_replaces_whole_or_not_at_all(tmp_path):
    """The single-file mechanism (reports, figures, batch files): a failure inside the block
    leaves the old file and no temporary file; success replaces it."""
    target = tmp_path / "summary.parquet"
    storage.atomic_write_bytes(target, b"old")
    with pytest.raises(RuntimeError, match="crash"), storage.atomic_path(target) as temp:
        assert re.fullmatch(r"\.summary\.parquet\.tmp-[0-9a-f]{8}", temp.name)
        temp.write_bytes(b"half")
        raise RuntimeError("crash")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.parquet"]
    with storage.atomic_path(target) as temp:
        temp.write_bytes(b"new")
        assert target.read_bytes() == b"old"  # not before the block ends
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.parquet"]




def test_failure_while_writing_tables_leaves_nothing(tmp_path, monkeypatch):
    calls = []
    real_write_table = storage.pq.write_table

    def write_then_fail(table, where, **kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise OSError("disk full")
        real_write_table(table, where, **kwargs)

    monkeypatch.setattr(storage.pq, "write_table", write_then_fail)
    tables = small_tables()
    with pytest.raises(OSError, match="disk full"):
        write_run(tmp_path / "run", tables, manifest_for(tables))
    assert calls[0] == {"compression": "zstd"}
    assert not (tmp_path / "run").exists()
    assert list(tmp_path.iterdir()) == []  # the temp folder was removed too
    with pytest.raises(DataError):
        read_run(tmp_path / "run")


def test_failure_of_the_final_rename_leaves_nothing(tmp_path, monkeypatch):
    def fail(src, dst):
        raise OSError("rename failed")

    monkeypatch.setattr(storage.os, "rename", fail)
    tables = small_tables()
    with pytest.raises(OSError, match="rename failed"):
        write_run(tmp_path / "run", tables, manifest_for(tables))
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(DataError, match="does not exist"):
        read_run(tmp_path / "run")


CRASH_SCRIPT = """
import os, sys
from pathlib import Path
import pandas as pd
from model import storage

def crash(*args, **kwargs):
    os._exit(3)  # like kill -9: no cleanup, no finally blocks

where = sys.argv[2]
if where == "second_table":
    real = storage.pq.write_table
    calls = []
    def write_table(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            crash()
        real(*args, **kwargs)
    storage.pq.write_table = write_table
else:
    storage.os.rename = crash
tables = {
    "kpis": pd.DataFrame({"a": [1, 2]}),
    "weekly": pd.DataFrame({"b": [1.0]}),
}
storage.write_run(Path(sys.argv[1]), tables, storage.make_manifest({}, 1, list(tables)))
"""


@pytest.mark.parametrize("where", ["second_table", "final_rename"])
def test_crash_leaves_no_run_and_a_temp_folder_that_is_ignored_and_cleaned(tmp_path, where):
    parent = tmp_path / "runs"
    out = parent / "crashed"
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CRASH_SCRIPT), str(out), where],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3, done.stderr
    assert not out.exists()
    leftovers = list(parent.iterdir())
    assert len(leftovers) == 1
    temp_dir = leftovers[0]
    assert re.fullmatch(r"\.crashed\.tmp-[0-9a-f]{8}", temp_dir.name)
    # Before the rename the temp folder may even be complete; it is still not a run.
    assert (temp_dir / "manifest.json").exists() == (where == "final_rename")
    with pytest.raises(DataError, match="not exist"):
        read_run(out)
    with pytest.raises(DataError, match="temporary"):
        read_run(temp_dir)
    assert list_runs(parent) == []
    # A young temp folder is kept when the caller asks for a minimum age (other writers).
    assert clean_stale_temp(parent, min_age_s=3600) == []
    assert clean_stale_temp(parent) == [temp_dir]
    assert list(parent.iterdir()) == []


def test_clean_stale_temp_touches_only_its_own_folders(tmp_path):
    (tmp_path / ".x.tmp-0123abcd").mkdir()
    (tmp_path / ".x.old-89abcdef").mkdir()
    (tmp_path / ".x.tmp-0123abcd" / "kpis.parquet").write_bytes(b"partial")
    keep = [".git", ".x.tmp-notmine", "x", "notes.tmp-0123abcd"]
    for name in keep:
        (tmp_path / name).mkdir()
    (tmp_path / ".y.tmp-00000000").write_text("a file, not a folder")
    removed = clean_stale_temp(tmp_path)
    assert [p.name for p in removed] == [".x.old-89abcdef", ".x.tmp-0123abcd"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*keep, ".y.tmp-00000000"])
    assert clean_stale_temp(tmp_path / "missing") == []


# --- existing folders ------------------------------------------------------------------------


def test_existing_folder_is_an_error_naming_the_path(tmp_path):
    tables = small_tables()
    out = write_run(tmp_path / "x", tables, manifest_for(tables))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(RunExistsError) as caught:
        write_run(out, {"kpis": tables["kpis"]}, make_manifest({}, 2, ["kpis"]))
    assert isinstance(caught.value, FoedsimError)
    assert str(caught.value) == (f"{out} already exists; choose another --out or pass --overwrite")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert hidden_entries(tmp_path) == []


def test_overwrite_replaces_the_old_run_entirely(tmp_path):
    tables = small_tables()
    out = write_run(tmp_path / "x", tables, manifest_for(tables))
    (out / "notes.txt").write_text("left by a user")
    new = {"kpis": pd.DataFrame({"year": [2030], "value": [1.0]})}
    assert write_run(out, new, make_manifest({}, 2, ["kpis"]), overwrite=True) == out
    assert sorted(p.name for p in out.iterdir()) == ["kpis.parquet", "manifest.json"]
    run = read_run(out)
    assert run.manifest["seed"] == 2
    pd.testing.assert_frame_equal(run.table("kpis"), new["kpis"])
    assert hidden_entries(tmp_path) == []


def test_overwrite_refuses_a_folder_that_is_not_a_run(tmp_path):
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.tex").write_text("...")
    tables = {"kpis": small_tables()["kpis"]}
    with pytest.raises(RunExistsError, match="not a foedsim run"):
        write_run(precious, tables, manifest_for(tables), overwrite=True)
    assert (precious / "chapter1.tex").read_text() == "..."
    assert hidden_entries(tmp_path) == []


def test_failed_overwrite_keeps_the_old_run(tmp_path, monkeypatch):
    tables = small_tables()
    out = write_run(tmp_path / "x", tables, manifest_for(tables))
    real_rename = storage.os.rename

    def fail_on_moving_new_into_place(src, dst):
        if ".tmp-" in Path(src).name:
            raise OSError("rename failed")
        real_rename(src, dst)

    monkeypatch.setattr(storage.os, "rename", fail_on_moving_new_into_place)
    with pytest.raises(OSError, match="rename failed"):
        write_run(out, {"kpis": tables["kpis"]}, make_manifest({}, 2, ["kpis"]), overwrite=True)
    monkeypatch.undo()
    assert read_run(out).manifest["seed"] == 7
    assert hidden_entries(tmp_path) == []


# --- manifest --------------------------------------------------------------------------------


def test_manifest_has_the_documented_keys():
    manifest = make_manifest(SCENARIO, 7, list(TABLE_SETS["full"]), extra={"batch": "b1"})
    assert set(manifest) == MANIFEST_KEYS
    assert manifest["model"] == "foedsim"
    assert manifest["schema_version"] == SCHEMA_VERSION == 1
    assert manifest["tables"] == {
        "kpis": {"file": "kpis.parquet"},
        "weekly": {"file": "weekly.parquet"},
        "staff": {"file": "staff.parquet"},
        "agencies": {"file": "agencies.parquet"},
        "staff_agencies": {"file": "staff_agencies.parquet"},
        "costs": {"file": "costs.parquet"},
    }
    assert set(manifest["packages"]) == {"numpy", "pandas", "pyarrow", "mesa", "simpy"}
    assert manifest["packages"]["pandas"] == pd.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", manifest["python"])
    assert "-" in manifest["platform"] and "/" not in manifest["platform"]
    created = dt.datetime.fromisoformat(manifest["created_at"])
    assert created.utcoffset() == dt.timedelta(0)
    assert created.microsecond == 0
    assert abs(dt.datetime.now(dt.UTC) - created) < dt.timedelta(minutes=5)
    assert manifest["git_commit"] is None or COMMIT.match(manifest["git_commit"])
    assert manifest["extra"] == {"batch": "b1"}
    assert_no_absolute_paths(manifest)


def test_manifest_is_deterministic_apart_from_created_at(monkeypatch):
    # Other work in the checkout could flip "-dirty" between the two calls.
    monkeypatch.setattr(storage, "git_commit", lambda start=None: "0" * 40)
    first = make_manifest(SCENARIO, 7, ["kpis", "weekly"])
    second = make_manifest(dict(SCENARIO), 7, ["kpis", "weekly"])
    first.pop("created_at")
    second.pop("created_at")
    assert first == second
    assert make_manifest(SCENARIO, 8, ["kpis"]) != make_manifest(SCENARIO, 7, ["kpis"])


def test_manifest_copies_the_scenario_and_needs_json_ready_input():
    scenario = {"parameters": {"x": 1}}
    manifest = make_manifest(scenario, 1, ["kpis"])
    scenario["parameters"]["x"] = 2
    assert manifest["scenario"] == {"parameters": {"x": 1}}
    with pytest.raises(TypeError, match="scenario must be JSON-ready"):
        make_manifest({"start": dt.date(2023, 1, 2)}, 1, ["kpis"])
    with pytest.raises(TypeError, match="seed"):
        make_manifest({}, 1.5, ["kpis"])
    with pytest.raises(ValueError, match="table names"):
        make_manifest({}, 1, ["../kpis"])


@pytest.mark.parametrize(
    "value",
    [
        "/home/x/scenarios/baseline.toml",
        "/tmp/runs/.base.tmp-0123abcd",
        "runs/.base.tmp-0123abcd/kpis.parquet",
        "C:\\Users\\x\\baseline.toml",
        "D:/data/x.csv",
        "\\\\server\\share\\x",
        "~/runs/base",
    ],
)
def test_absolute_paths_are_refused(value):
    with pytest.raises(ValueError, match=r"manifest\.scenario\.items\[1\]"):
        assert_no_absolute_paths({"scenario": {"items": ["fine", value]}})


def test_home_folder_anywhere_in_a_string_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "someone"))
    with pytest.raises(ValueError, match="home folder"):
        assert_no_absolute_paths({"note": f"copied from {tmp_path}/someone/data"})


def test_temp_path_of_a_real_write_is_refused_and_nothing_is_written(tmp_path, monkeypatch):
    tables = {"kpis": small_tables()["kpis"]}
    temp_name = storage._sibling(tmp_path / "r", "tmp")
    with pytest.raises(ValueError, match="looks like"):
        assert_no_absolute_paths({"extra": {"out": str(temp_name)}})
    manifest = manifest_for(tables, out=str(tmp_path / "r"))
    with pytest.raises(ValueError, match=r"manifest\.extra\.out"):
        write_run(tmp_path / "r", tables, manifest)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "value",
    ["scenarios/baseline.toml", "runs/base", "https://www.destatis.de/x", "~20 % more", "a/b"],
)
def test_relative_paths_and_prose_pass(value):
    assert_no_absolute_paths({"scenario": {"file": value}, "numbers": [1, 2.5, None, True]})


# --- git -------------------------------------------------------------------------------------


@needs_git
def test_git_commit_of_this_checkout():
    if not (REPO / ".git").exists():
        pytest.skip("not running from a git checkout")
    commit = git_commit()
    assert commit is not None and COMMIT.match(commit)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert commit.removesuffix("-dirty") == head


def test_git_commit_outside_a_checkout_is_none(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert git_commit(tmp_path) is None
    assert git_commit(tmp_path / "missing") is None


def test_git_commit_without_git_is_none(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no git on the path
    assert git_commit() is None


def _git(repo: Path, *args: str) -> str:
    config = ["-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=0"]
    return subprocess.run(
        ["git", *config, *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()


@needs_git
def test_git_commit_marks_changed_tracked_files_as_dirty(tmp_path):
    repo = tmp_path / "checkout"
    (repo / "model").mkdir(parents=True)
    _git(repo, "init", "-q")
    assert git_commit(repo / "model") is None  # no commit yet
    (repo / "model" / "a.py").write_text("x = 1\n")
    (repo / ".gitignore").write_text(".venv/\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "first")
    head = _git(repo, "rev-parse", "HEAD")
    assert git_commit(repo / "model") == head
    (repo / "model" / "untracked.py").write_text("")
    assert git_commit(repo / "model") == head  # untracked files do not count
    (repo / "model" / "a.py").write_text("x = 2\n")
    assert git_commit(repo / "model") == f"{head}-dirty"
    # A package installed into an ignored .venv inside the checkout is not from the checkout.
    installed = repo / ".venv" / "site-packages" / "model"
    installed.mkdir(parents=True)
    assert git_commit(installed) is None


# --- reading broken folders ------------------------------------------------------------------


def test_folder_without_manifest_is_not_a_run(tmp_path):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "kpis.parquet").write_bytes(b"")
    with pytest.raises(DataError) as caught:
        read_run(tmp_path / "r")
    assert str(caught.value) == f"{tmp_path / 'r'} is not a complete run (no manifest.json)"


def _written(tmp_path: Path) -> Path:
    tables = small_tables()
    return write_run(tmp_path / "r", tables, manifest_for(tables))


def _edit_manifest(run_dir: Path, **changes) -> None:
    path = run_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.update(changes)
    path.write_text(json.dumps(manifest), encoding="utf-8")


def test_newer_schema_version_is_refused(tmp_path):
    run_dir = _written(tmp_path)
    _edit_manifest(run_dir, schema_version=SCHEMA_VERSION + 1)
    with pytest.raises(DataError, match=f"schema version {SCHEMA_VERSION + 1}") as caught:
        read_run(run_dir)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schema_version": "1"}, "invalid schema_version"),
        ({"model": "other"}, "not a foedsim manifest"),
        ({"tables": {"kpis": {"file": "../kpis.parquet"}}}, "valid file name"),
    ],
)
def test_invalid_manifests_are_refused(tmp_path, change, message):
    run_dir = _written(tmp_path)
    _edit_manifest(run_dir, **change)
    with pytest.raises(DataError, match=re.escape(message)):
        read_run(run_dir)


def test_unparsable_manifest_is_a_one_line_data_error(tmp_path):
    run_dir = _written(tmp_path)
    (run_dir / "manifest.json").write_text('{"model": "foedsim",\n', encoding="utf-8")
    with pytest.raises(DataError, match="cannot be read") as caught:
        read_run(run_dir)
    assert "\n" not in str(caught.value)


def test_missing_table_file_is_refused(tmp_path):
    run_dir = _written(tmp_path)
    (run_dir / "weekly.parquet").unlink()
    with pytest.raises(DataError, match="weekly.parquet missing"):
        read_run(run_dir)


def test_corrupt_table_file_is_a_data_error(tmp_path):
    run_dir = _written(tmp_path)
    run = read_run(run_dir)
    (run_dir / "kpis.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError, match="not a readable Parquet file") as caught:
        run.table("kpis")
    assert "\n" not in str(caught.value)
