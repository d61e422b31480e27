"""Paths are the user's business (issue 19, item 1).

``foedsim run /abs/x.toml``, an ``extends`` with an absolute path, a description that starts
with ``/`` or names a home folder, and a batch given by (or listing scenarios by) absolute
paths all work. The manifest records an absolute file relative to the current folder (a run)
or to the batch file (a batch) where the two share a folder below the file system root and
below the folder of the home folders, and by its name (with ``file_sha256``) where they do
not; it never holds the absolute path of the test's temporary folder, and no manifest check
fires after a simulation (docs/SCENARIOS.md, "Paths in manifests").

Every run here is the tiny scenario (two services, one quarter; about a second).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from test_batch_fixture import write_batch, write_tiny_scenario

import model.runner
from cli.main import main
from model import storage
from model.scenario import load_scenario
from model.storage import assert_no_absolute_paths, path_problem, portable_path

HOME_TEXT = "~/notes"
ROOT_TEXT = "/etc/x"


@pytest.fixture(autouse=True)
def no_gc_freeze(monkeypatch):
    """``foedsim run`` freezes the garbage collector for its process; not in the test's."""
    monkeypatch.setattr(model.runner, "freeze_imports", lambda: None)


def fake_home(tmp_path_factory, monkeypatch) -> Path:
    """A home folder ``anna`` in a temporary folder of its own (not inside the test's: the
    folders above a home folder are where paths are cut to names)."""
    home = tmp_path_factory.mktemp("home") / "anna"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture
def layout(tmp_path, tmp_path_factory, monkeypatch) -> dict[str, Path]:
    """Scenarios in ``tmp/scenarios``; the current folder is ``tmp/elsewhere``, which shares
    only the test's temporary folder with them; the home folder is :func:`fake_home`."""
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    tiny = write_tiny_scenario(scenarios)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    home = fake_home(tmp_path_factory, monkeypatch)
    monkeypatch.chdir(elsewhere)
    return {"tmp": tmp_path, "scenarios": scenarios, "tiny": tiny, "home": home,
            "elsewhere": elsewhere}  # fmt: skip


def child(folder: Path, extends: str, description: str, name: str = "child") -> Path:
    path = folder / f"{name}.toml"
    path.write_text(f'[scenario]\nname = "{name}"\ndescription = "{description}"\n'
                    f'extends = "{extends}"\n', encoding="utf-8")  # fmt: skip
    return path


def run(argv: list[str], capsys) -> tuple[int, str]:
    code = main(argv)
    err = capsys.readouterr().err
    return code, err


def manifest_text(folder: Path) -> str:
    return (folder / storage.MANIFEST_NAME).read_text(encoding="utf-8")


def assert_no_tmp_path(text: str, tmp: Path) -> None:
    """Neither the temporary folder nor its real path (symlinks resolved) is in ``text``."""
    for absolute in {str(tmp), str(tmp.resolve()), os.path.realpath(tmp)}:
        assert absolute not in text


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- foedsim run --------------------------------------------------------------------------


@pytest.mark.parametrize("description", [ROOT_TEXT, HOME_TEXT, "notes in /home/anna/x"])
def test_run_with_an_absolute_path_an_absolute_extends_and_any_description(
    layout, capsys, description
):
    scenario = child(layout["scenarios"], str(layout["tiny"]), description)
    assert scenario.is_absolute()
    out = layout["tmp"] / "runs" / "child"
    code, err = run(["run", str(scenario), "--tables", "kpis", "--out", str(out)], capsys)
    assert code == 0, err
    assert "Traceback" not in err
    run_ = storage.read_run(out)
    recorded = run_.manifest["scenario"]
    # Relative to the current folder, with which they share the test's temporary folder.
    assert recorded["files"] == ["../scenarios/tiny.toml", "../scenarios/child.toml"]
    assert recorded["file_sha256"] == [sha256(layout["tiny"]), sha256(scenario)]
    assert recorded["description"] == description  # the user's words, kept as written
    assert recorded["name"] == "child"
    assert_no_tmp_path(manifest_text(out), layout["tmp"])
    assert not run_.table("kpis").empty


def test_run_from_the_root_folder_records_file_names(layout, capsys, monkeypatch):
    """Sharing only the root with the current folder, a relative path would spell out the
    absolute one: the manifest records the files' names (and their hashes)."""
    monkeypatch.chdir("/")
    scenario = child(layout["scenarios"], str(layout["tiny"]), ROOT_TEXT)
    out = layout["tmp"] / "runs" / "root"
    code, err = run(["run", str(scenario), "--tables", "kpis", "--out", str(out)], capsys)
    assert code == 0, err
    recorded = storage.read_run(out).manifest["scenario"]
    assert recorded["files"] == ["tiny.toml", "child.toml"]
    assert recorded["file_sha256"] == [sha256(layout["tiny"]), sha256(scenario)]
    assert_no_tmp_path(manifest_text(out), layout["tmp"])


def test_a_description_naming_the_real_home_folder_is_kept(layout, capsys):
    description = f"see {layout['home']}/notes.txt"
    scenario = child(layout["scenarios"], "tiny.toml", description)
    out = layout["tmp"] / "runs" / "home"
    code, err = run(["run", str(scenario), "--tables", "kpis", "--out", str(out)], capsys)
    assert code == 0, err
    assert storage.read_run(out).manifest["scenario"]["description"] == description


def test_an_absolute_path_inside_the_current_folder_is_recorded_relative(layout, capsys,
                                                                         monkeypatch):  # fmt: skip
    monkeypatch.chdir(layout["tmp"])
    scenario = child(layout["scenarios"], str(layout["tiny"]), ROOT_TEXT)
    out = layout["tmp"] / "runs" / "rel"
    code, err = run(["run", str(scenario), "--tables", "kpis", "--out", str(out)], capsys)
    assert code == 0, err
    files = storage.read_run(out).manifest["scenario"]["files"]
    assert files == ["scenarios/tiny.toml", "scenarios/child.toml"]
    assert_no_tmp_path(manifest_text(out), layout["tmp"])


def test_a_relative_run_is_recorded_as_given(layout, capsys, monkeypatch):
    monkeypatch.chdir(layout["scenarios"])
    out = layout["tmp"] / "runs" / "given"
    code, err = run(["run", "tiny.toml", "--tables", "kpis", "--out", str(out)], capsys)
    assert code == 0, err
    assert storage.read_run(out).manifest["scenario"]["files"] == ["tiny.toml"]


def test_a_scenario_in_the_home_folder_is_recorded_by_name(layout, capsys):
    tiny = write_tiny_scenario(layout["home"], name="mine")
    out = layout["tmp"] / "runs" / "mine"
    code, err = run(["run", str(tiny), "--tables", "kpis", "--out", str(out)], capsys)
    assert code == 0, err
    text = manifest_text(out)
    assert json.loads(text)["scenario"]["files"] == ["mine.toml"]
    assert str(layout["home"]) not in text


def test_a_missing_absolute_extends_is_one_line_before_any_work(layout, capsys, monkeypatch):
    def no_model(*args, **kwargs):
        raise AssertionError("the model was built although the scenario is invalid")

    monkeypatch.setattr(model.runner, "FederalModel", no_model)
    missing = layout["tmp"] / "nowhere" / "base.toml"
    scenario = child(layout["scenarios"], str(missing), "x")
    code, err = run(["run", str(scenario), "--out", str(layout["tmp"] / "r")], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "scenario.extends" in err and str(missing) in err and "allowed:" in err
    assert not (layout["tmp"] / "r").exists()


def test_a_manifest_refusal_fires_before_the_simulation(layout, monkeypatch, capsys):
    """Should a manifest check refuse anything, it does so before the model is built, as one
    line naming the scenario file (here forced by a path check that refuses everything)."""
    built: list[int] = []
    real_model = model.runner.FederalModel
    monkeypatch.setattr(model.runner, "FederalModel",
                        lambda *a, **k: built.append(1) or real_model(*a, **k))  # fmt: skip
    monkeypatch.setattr(storage, "path_problem", lambda text, homes=None: "refused")
    code, err = run(["run", str(layout["tiny"]), "--out", str(layout["tmp"] / "r")], capsys)
    assert code == 2 and built == []
    assert err.startswith(f"foedsim: error: {layout['tiny']}: cannot be recorded")
    assert err.count("\n") == 1
    assert not (layout["tmp"] / "r").exists()


# --- foedsim batch --------------------------------------------------------------------------


def test_batch_by_absolute_path_with_absolute_scenarios(layout, capsys):
    scenario = child(layout["scenarios"], str(layout["tiny"]), HOME_TEXT)
    other = layout["tmp"] / "other"
    other.mkdir()
    batch = write_batch(other, f"""
        [batch]
        name = "absolute"
        description = "{ROOT_TEXT} and {HOME_TEXT}"
        scenarios = ["{scenario}", "{layout['tiny']}"]
        """)  # fmt: skip
    assert batch.is_absolute()
    out = layout["tmp"] / "runs" / "absolute"
    code, err = run(["batch", str(batch), "--out", str(out), "--serial", "--quiet"], capsys)
    assert code == 0, err
    manifest = json.loads(manifest_text(out))
    # Relative to the batch file, which shares tmp/ with the scenarios.
    assert manifest["definition"]["batch"]["scenarios"] == ["../scenarios/child.toml",
                                                            "../scenarios/tiny.toml"]  # fmt: skip
    assert [sc["files"] for sc in manifest["scenarios"]] == [
        ["../scenarios/tiny.toml", "../scenarios/child.toml"], ["../scenarios/tiny.toml"]]
    assert manifest["description"] == f"{ROOT_TEXT} and {HOME_TEXT}"
    assert_no_tmp_path(manifest_text(out), layout["tmp"])
    run_manifests = sorted((out / "runs").glob(f"*/{storage.MANIFEST_NAME}"))
    assert len(run_manifests) == 2
    for file in run_manifests:
        assert_no_tmp_path(file.read_text(encoding="utf-8"), layout["tmp"])


def test_batch_with_a_relative_path_is_recorded_as_before(layout, capsys, monkeypatch):
    monkeypatch.chdir(layout["tmp"])
    batch = write_batch(layout["scenarios"], """
        [batch]
        name = "relative"
        scenarios = ["tiny.toml"]
        """)  # fmt: skip
    out = Path("runs") / "relative"
    code, err = run(["batch", "scenarios/batch.toml", "--out", str(out), "--serial", "--quiet"],
                    capsys)  # fmt: skip
    assert code == 0, err
    manifest = json.loads(manifest_text(out))
    assert manifest["definition"]["batch"]["scenarios"] == ["tiny.toml"]
    assert manifest["scenarios"][0]["files"] == ["tiny.toml"]
    assert batch.is_file()


# --- the recording rules --------------------------------------------------------------------


def test_portable_path_rules(tmp_path, tmp_path_factory, monkeypatch):
    home = fake_home(tmp_path_factory, monkeypatch)
    project = tmp_path / "project"
    assert portable_path(project / "scenarios" / "x.toml", project) == "scenarios/x.toml"
    assert portable_path(tmp_path / "shared" / "x.toml", project) == "../shared/x.toml"
    # Sharing only the root, or only the folder of the home folders: the name alone.
    assert portable_path("/x.toml", project) == "x.toml"
    assert portable_path(home.parent / "bob" / "x.toml", home / "p") == "x.toml"
    assert portable_path(home / "x.toml", project) == "x.toml"
    assert portable_path("~/x.toml", home / "p") == "../x.toml"
    monkeypatch.chdir(project.parent)
    assert portable_path(project / "a.toml") == "project/a.toml"
    for recorded in ("scenarios/x.toml", "../shared/x.toml", "x.toml", "../x.toml"):
        assert path_problem(recorded) is None


def test_the_path_check_skips_prose_but_not_paths():
    assert_no_absolute_paths({"scenario": {"name": "~/x", "description": "/etc/x",
                                           "execution": [{"description": "/home/anna"}]}})
    with pytest.raises(ValueError, match=r"manifest\.scenario\.files\[0\]"):
        assert_no_absolute_paths({"scenario": {"files": ["/etc/x.toml"]}})
    with pytest.raises(ValueError, match="key"):  # a key is checked even under "name"
        assert_no_absolute_paths({"name": {"/etc/x": 1}})


def test_the_home_folder_counts_only_as_a_whole_path_component():
    assert path_problem("scenarios/rootless.toml", ["/root"]) is None
    assert path_problem("copied from /root/x", ["/root"]) == "a path into the home folder"


def test_to_dict_records_what_load_scenario_read(layout):
    scenario = child(layout["scenarios"], str(layout["tiny"]), ROOT_TEXT)
    sc = load_scenario(scenario)
    assert sc.files == (str(layout["tiny"]), str(scenario))  # as given, for messages
    assert sc.to_dict()["files"] == ["../scenarios/tiny.toml", "../scenarios/child.toml"]
    assert "file_sha256" not in sc.to_dict()  # a batch definition stays the same on a comment
    assert sc.to_dict(file_hashes=True)["file_sha256"] == [sha256(layout["tiny"]),
                                                           sha256(scenario)]  # fmt: skip
    assert sc.with_parameters(utilisation_2023=0.9).file_sha256 == sc.file_sha256
