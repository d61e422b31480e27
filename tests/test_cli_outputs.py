"""Outputs are checked before the work starts, and a full disk is one line with nothing partial
left behind (issue 19, item 2).

Every bad ``--out`` (``--docs-dir`` for ``docs``) must give exit code 2 and one line on stderr
that names the argument and what is allowed, before any simulation, report or page is made.
A disk that runs full is simulated by making the writer raise ``OSError(ENOSPC)`` after it
has written part of its file.

Tests run as root on some machines, where a folder with mode 0o555 can still be written to:
the read-only tests then check with a probe whether the mode really protects the folder and
skip if not; the same messages are covered under any user by a probe that reports EROFS.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pandas as pd
import pytest
from test_batch_fixture import ROOT, write_batch, write_tiny_scenario

import cli.outputs as outputs
import model.storage as storage
from cli.main import main
from cli.outputs import PROBE_PREFIX, OutputError, check_out_dir, check_out_file
from model.batch.store import BatchStore
from model.errors import out_of_space

MMC = str(ROOT / "scenarios" / "offices" / "mmc_example.toml")
N_RUNS = 4
BATCH = f"""
[batch]
name = "space"
scenarios = ["tiny.toml"]
replications = {N_RUNS}
base_seed = 5
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """A folder with the tiny scenario (two services, one quarter) and a batch file of it."""
    folder = tmp_path_factory.mktemp("outputs")
    write_tiny_scenario(folder)
    write_batch(folder, BATCH, "space.toml")
    return folder


@pytest.fixture
def place(tmp_path, monkeypatch) -> Path:
    """An empty working folder with a file ``afile`` in it (the current folder of the test)."""
    (tmp_path / "afile").write_text("not a folder\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def no_work(monkeypatch) -> list[str]:
    """Replace every command's work by a recorder: a refused output must not reach it."""
    import analysis.comparison_report
    import cli.docs
    import model.batch.runner
    import model.batch.sensitivity
    import model.des
    import model.runner
    from analysis import compare

    called: list[str] = []

    def recorder(name):
        def work(*args, **kwargs):
            called.append(name)
            raise AssertionError(f"{name} started although the output was refused")

        return work

    for module, name in ((model.runner, "run_scenario"), (model.des, "simulate_office"),
                         (model.batch.runner, "run_batch"), (cli.docs, "write_docs"),
                         (analysis.comparison_report, "write_report"),
                         (compare, "open_runs"),
                         (model.batch.sensitivity, "sensitivity_table")):  # fmt: skip
        monkeypatch.setattr(module, name, recorder(name))
    return called


def command(name: str, out: str, tiny: Path) -> list[str]:
    """The argument list of ``name`` writing to ``out``."""
    return {
        "run": ["run", str(tiny / "tiny.toml"), "--out", out],
        "des": ["des", MMC, "--out", out],
        "batch": ["batch", str(tiny / "space.toml"), "--serial", "--quiet", "--out", out],
        "report": ["report", "somewhere", "--out", out],
        "docs": ["docs", "--docs-dir", out],
        "compare": ["compare", "somewhere", "--out", out],
        "sensitivity": ["sensitivity", "somewhere", "--kpi", "backlog_cases", "--out", out],
    }[name]


def one_error_line(capsys) -> str:
    """The single line on stderr (progress lines of ``foedsim run`` aside), checked."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines()
             if line.strip() and not line.lstrip("\r ").startswith("simulated")]  # fmt: skip
    assert len(lines) == 1, err
    assert lines[0].startswith("foedsim: error: ")
    return lines[0]


def listing(folder: Path) -> list[str]:
    """Every path under ``folder``, relative, sorted (hidden ones included)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


FOLDER_COMMANDS = ("run", "des", "batch", "docs")
FILE_COMMANDS = ("report", "compare", "sensitivity")
BAD_FOLDERS = [
    ("", "is empty"),
    (".", "'.' names no folder of its own"),
    ("..", "'..' names no folder of its own"),
    ("sub/..", "'sub/..' names no folder of its own"),
    ("afile", "'afile' is a file, not a folder"),
    ("afile/out", "'afile/out' lies inside 'afile', which is a file"),
]
BAD_FILES = [
    ("", "is empty"),
    (".", "'.' names a folder, not a file"),
    ("sub/", "'sub/' names a folder, not a file"),
    ("afile/out.html", "'afile/out.html' lies inside 'afile', which is a file"),
    ("/dev/null", "'/dev/null' is not a regular file"),
]


@pytest.mark.parametrize("name", FOLDER_COMMANDS)
@pytest.mark.parametrize(("out", "message"), BAD_FOLDERS)
def test_a_bad_output_folder_is_refused_before_the_work(name, out, message, tiny, place, no_work,
                                                        capsys):  # fmt: skip
    before = listing(place)
    assert main(command(name, out, tiny)) == 2
    line = one_error_line(capsys)
    option = "--docs-dir" if name == "docs" else "--out"
    assert line.startswith(f"foedsim: error: argument {option}: {message}"), line
    assert "; allowed: " in line and line.split("; allowed: ")[1].strip()
    assert no_work == []
    assert listing(place) == before  # nothing created, no probe left


@pytest.mark.parametrize("name", FILE_COMMANDS)
@pytest.mark.parametrize(("out", "message"), BAD_FILES)
def test_a_bad_output_file_is_refused_before_the_work(name, out, message, tiny, place, no_work,
                                                      capsys):  # fmt: skip
    if out == "/dev/null" and not Path(out).exists():
        pytest.skip("no /dev/null here")
    (place / "sub").mkdir()
    before = listing(place)
    assert main(command(name, out, tiny)) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"foedsim: error: argument --out: {message}"), line
    assert "; allowed: " in line
    assert no_work == []
    assert listing(place) == before


@pytest.mark.parametrize("name", FILE_COMMANDS)
def test_an_existing_folder_is_not_an_output_file(name, tiny, place, no_work, capsys):
    (place / "taken.html").mkdir()
    assert main(command(name, "taken.html", tiny)) == 2
    assert "'taken.html' is a folder, not a file; allowed: " in one_error_line(capsys)
    assert no_work == []


def test_report_refuses_a_file_that_is_not_html_before_the_work(tiny, place, no_work, capsys):
    assert main(command("report", "report.txt", tiny)) == 2
    line = one_error_line(capsys)
    assert "argument --out: 'report.txt': the report is HTML; allowed: a .html file" in line
    assert no_work == []


# --- read-only ------------------------------------------------------------------------------


def _really_read_only(folder: Path) -> bool:
    """True if the mode of ``folder`` keeps this process from creating a file in it (not so
    for root)."""
    try:
        (folder / "probe").touch()
    except PermissionError:
        return True
    (folder / "probe").unlink()
    return False


@pytest.fixture
def read_only(place):
    """A folder ``ro`` with mode 0o555 in the working folder (mode restored afterwards)."""
    folder = place / "ro"
    folder.mkdir()
    (folder / "old.html").write_text("old\n", encoding="utf-8")
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    yield folder
    folder.chmod(stat.S_IRWXU)


@pytest.mark.parametrize(
    ("name", "out", "message"),
    [
        ("run", "ro/run", "'ro/run' cannot be created: 'ro' is not writable (Permission denied)"),
        ("batch", "ro/batch", "'ro/batch' cannot be created: 'ro' is not writable"),
        ("des", "ro", "'ro' is read-only (Permission denied)"),
        ("docs", "ro", "'ro' is read-only (Permission denied)"),
        ("report", "ro/report.html", "'ro/report.html' cannot be created: 'ro' is not writable"),
        ("report", "ro/old.html", "'ro/old.html' is read-only (Permission denied)"),
    ],
)
def test_a_read_only_output_is_refused(name, out, message, read_only, tiny, no_work, capsys):
    if not _really_read_only(read_only):
        pytest.skip("this user (root?) can write into a folder of mode 0o555")
    assert main(command(name, out, tiny)) == 2
    line = one_error_line(capsys)
    assert message in line and "; allowed: " in line
    assert no_work == []
    assert sorted(p.name for p in read_only.iterdir()) == ["old.html"]


@pytest.mark.parametrize(
    ("name", "out", "message"),
    [
        ("run", "fs/run", "'fs/run' cannot be created: 'fs' is not writable (Read-only file "
         "system)"),
        ("batch", "fs", "'fs' is read-only (Read-only file system)"),
        ("des", "fs/des", "'fs/des' cannot be created: 'fs' is not writable"),
        ("docs", "fs", "'fs' is read-only (Read-only file system)"),
        ("report", "fs/report.html", "'fs/report.html' cannot be created: 'fs' is not writable"),
        ("compare", "fs/table.csv", "'fs/table.csv' cannot be created: 'fs' is not writable"),
    ],
)  # fmt: skip
def test_a_read_only_file_system_is_refused(name, out, message, tiny, place, no_work,
                                            monkeypatch, capsys):  # fmt: skip
    """Under any user: the probe into ``fs`` fails as on a file system mounted read-only."""
    (place / "fs").mkdir()
    real = outputs._probe

    def probe(folder: Path) -> str | None:
        if folder.resolve() == (place / "fs").resolve():
            return os.strerror(errno.EROFS)
        return real(folder)

    monkeypatch.setattr(outputs, "_probe", probe)
    assert main(command(name, out, tiny)) == 2
    line = one_error_line(capsys)
    assert message in line and "; allowed: " in line, line
    assert no_work == []
    assert listing(place / "fs") == []


def test_report_checks_its_default_file_in_the_folder_it_reads(place, no_work, monkeypatch,
                                                                capsys):  # fmt: skip
    (place / "batch").mkdir()
    monkeypatch.setattr(outputs, "_probe", lambda folder: os.strerror(errno.EROFS)
                        if folder.name == "batch" else None)  # fmt: skip
    assert main(["report", "batch"]) == 2
    line = one_error_line(capsys)
    expected = ("foedsim: error: argument path: 'batch/report.html' cannot be created: "
                "'batch' is not writable (Read-only file system); allowed: ")  # fmt: skip
    assert line.startswith(expected), line
    assert "--out a .html file name" in line
    assert no_work == []


def test_a_run_folder_must_have_a_writable_parent_to_be_replaced(place, monkeypatch):
    (place / "runs" / "old").mkdir(parents=True)
    monkeypatch.setattr(outputs, "_probe", lambda folder: "Read-only file system"
                        if folder.name == "runs" else None)  # fmt: skip
    with pytest.raises(OutputError, match="'runs/old' cannot be replaced: 'runs' is not "):
        check_out_dir("runs/old", "--out", "a folder", beside=True)
    assert check_out_dir("runs/old", "--out", "a folder") == Path("runs/old")


# --- what is accepted -------------------------------------------------------------------------


def test_the_checks_create_nothing_and_leave_no_probe(place):
    assert check_out_dir("new/deeper/run", "--out", "x") == Path("new/deeper/run")
    assert check_out_file("new/report.html", "--out", "x") == Path("new/report.html")
    (place / "folder").mkdir()
    assert check_out_dir("folder", "--out", "x") == Path("folder")
    assert check_out_dir(place / "folder", "--out", "x") == place / "folder"  # absolute: fine
    assert check_out_file("afile", "--out", "x") == Path("afile")  # replaced atomically
    assert listing(place) == ["afile", "folder"]
    assert not any(p.name.startswith(PROBE_PREFIX) for p in place.rglob("*"))


def test_docs_writes_into_a_new_or_an_existing_folder(place, capsys):
    from cli.docs import PAGES

    assert main(["docs", "--docs-dir", "pages/docs"]) == 0
    assert sorted(p.name for p in (place / "pages" / "docs").iterdir()) == sorted(PAGES)
    (place / "pages" / "docs" / "KPIS.md").write_text("stale\n", encoding="utf-8")
    assert main(["docs", "--docs-dir", "pages/docs"]) == 0  # an existing folder: replaced
    assert (place / "pages" / "docs" / "KPIS.md").read_text(encoding="utf-8") != "stale\n"
    assert capsys.readouterr().err == ""


def test_run_refuses_an_existing_folder_before_the_simulation(tiny, place, no_work, capsys):
    (place / "taken").mkdir()
    (place / "taken" / "notes.txt").write_text("mine\n", encoding="utf-8")
    assert main(command("run", "taken", tiny)) == 2
    line = one_error_line(capsys)
    assert "argument --out: 'taken' already exists; allowed: a new folder" in line
    assert "--overwrite" in line
    assert main([*command("run", "taken", tiny), "--overwrite"]) == 2
    line = one_error_line(capsys)
    assert "taken exists and is not a foedsim run (no manifest.json)" in line
    assert no_work == []
    assert listing(place / "taken") == ["notes.txt"]


# --- disk full -------------------------------------------------------------------------------


def full_disk(monkeypatch, after: int = 0) -> list[int]:
    """Make the Parquet writer of run folders write half a file and raise ENOSPC, from the
    call number ``after`` on (counting from 0); returns the call counter. Also keeps
    ``foedsim run`` from freezing the test process's objects (``gc.freeze``)."""
    import model.runner

    monkeypatch.setattr(model.runner, "freeze_imports", lambda: None)
    real = storage._write_parquet_synced
    calls = [0]

    def write(path: Path, frame: pd.DataFrame) -> None:
        calls[0] += 1
        if calls[0] > after:
            path.write_bytes(b"PAR1 half a table")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(path, frame)

    monkeypatch.setattr(storage, "_write_parquet_synced", write)
    return calls


def test_a_run_on_a_full_disk_is_one_line_and_leaves_nothing(tiny, place, monkeypatch, capsys):
    monkeypatch.chdir(tiny)  # relative paths: the manifest stores the scenario file relative
    calls = full_disk(monkeypatch)
    out = place / "runs" / "full"
    assert main(["run", "tiny.toml", "--tables", "kpis", "--out", str(out)]) == 2
    assert calls[0] == 1
    line = one_error_line(capsys)
    assert line == (f"foedsim: error: no space left on the device while writing {out} (No "
                    "space left on device); nothing partial was left behind; free space and run "
                    "again")  # fmt: skip
    assert listing(place / "runs") == []  # no run folder, no hidden temporary folder


def test_a_full_disk_while_overwriting_keeps_the_old_run(tiny, place, monkeypatch, capsys):
    monkeypatch.chdir(tiny)
    monkeypatch.setattr("model.runner.freeze_imports", lambda: None)
    out = place / "runs" / "kept"
    assert main(["run", "tiny.toml", "--tables", "kpis", "--out", str(out)]) == 0
    before = storage.read_run(out).table("kpis")
    capsys.readouterr()
    full_disk(monkeypatch)
    assert main(["run", "tiny.toml", "--tables", "kpis", "--out", str(out), "--overwrite",
                 "--seed", "9"]) == 2  # fmt: skip
    assert "no space left on the device while writing" in one_error_line(capsys)
    pd.testing.assert_frame_equal(storage.read_run(out).table("kpis"), before)
    assert listing(place / "runs") == sorted(["kept", "kept/kpis.parquet",
                                              "kept/manifest.json"])  # fmt: skip


def test_des_on_a_full_disk_keeps_both_old_tables(place, monkeypatch, capsys):
    out = place / "des"
    out.mkdir()
    for name in ("cases.parquet", "weekly.parquet"):
        (out / name).write_bytes(b"old " + name.encode())
    real = pd.DataFrame.to_parquet
    calls = [0]

    def to_parquet(frame, path, *args, **kwargs):
        calls[0] += 1
        if calls[0] == 2:  # the first file is written in full, the second runs out of space
            Path(path).write_bytes(b"PAR1 half")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(frame, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", to_parquet)
    assert main(["des", MMC, "--out", "des"]) == 2
    line = one_error_line(capsys)
    assert line.startswith("foedsim: error: no space left on the device while writing "
                           "des/cases.parquet, des/weekly.parquet")  # fmt: skip
    assert listing(out) == ["cases.parquet", "weekly.parquet"]  # no temporary file left
    assert (out / "cases.parquet").read_bytes() == b"old cases.parquet"
    assert (out / "weekly.parquet").read_bytes() == b"old weekly.parquet"


def test_docs_on_a_full_disk_keeps_the_old_pages(place, monkeypatch, capsys):
    docs = place / "docs"
    docs.mkdir()
    (docs / "KPIS.md").write_text("old\n", encoding="utf-8")
    real = Path.write_bytes

    def write_bytes(self, data):
        if self.name.startswith(".ODD.md.tmp-"):
            real(self, data[:10])
            raise OSError(errno.EDQUOT, os.strerror(errno.EDQUOT), str(self))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    assert main(["docs", "--docs-dir", "docs"]) == 2
    assert "no space left on the device while writing docs/PARAMETERS.md" in one_error_line(capsys)
    assert listing(docs) == ["KPIS.md"]
    assert (docs / "KPIS.md").read_text(encoding="utf-8") == "old\n"


def test_another_os_error_is_one_line_naming_the_file(place, monkeypatch, capsys):
    import cli.docs

    def broken(_docs_dir):
        raise OSError(errno.EIO, os.strerror(errno.EIO), "docs/KPIS.md")

    monkeypatch.setattr(cli.docs, "write_docs", broken)
    assert main(["docs", "--docs-dir", "docs"]) == 2
    assert one_error_line(capsys) == f"foedsim: error: docs/KPIS.md: {os.strerror(errno.EIO)}"


def complete_runs(out: Path) -> list[str]:
    return sorted(BatchStore(out).complete_run_ids())


def test_a_batch_on_a_full_disk_stops_with_one_line_and_resumes(tiny, place, monkeypatch, capsys):
    reference = place / "reference"
    batch = str(tiny / "space.toml")
    assert main(["batch", batch, "--serial", "--quiet", "--out", str(reference)]) == 0
    out = place / "full"
    capsys.readouterr()

    with monkeypatch.context() as patch:
        calls = full_disk(patch, after=2)  # two runs fit, the third runs out of space
        assert main(["batch", batch, "--serial", "--quiet", "--out", str(out)]) == 2
        assert calls[0] == 3  # stopped at the first full write: the fourth run never started
    line = one_error_line(capsys)
    assert "no space left on the device while writing" in line
    assert "run tiny-r002 counts as failed; the batch stopped after 2/4 runs" in line
    assert f"free space, then continue with: foedsim batch {batch} --out {out} --resume" in line
    assert complete_runs(out) == ["tiny-r000", "tiny-r001"]
    assert not [p for p in out.rglob(".*") if p.name != ".lock"]  # no temporary leftovers
    assert not (out / ".lock").exists()

    assert main(["batch", batch, "--serial", "--quiet", "--out", str(out), "--resume"]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert "4/4 runs done (2 run now, 2 found finished)" in captured.out
    assert complete_runs(out) == [f"tiny-r00{i}" for i in range(N_RUNS)]
    assert list((out / "failures").iterdir()) == []
    pd.testing.assert_frame_equal(BatchStore(out).summary(), BatchStore(reference).summary())


def test_a_full_disk_when_the_batch_starts_leaves_no_folder(tiny, place, monkeypatch, capsys):
    import model.batch.store

    def full(path, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(model.batch.store, "atomic_write_bytes", full)
    out = place / "new"
    batch = str(tiny / "space.toml")
    assert main(["batch", batch, "--serial", "--quiet", "--out", str(out)]) == 2
    line = one_error_line(capsys)
    assert f"while writing {out / 'manifest.json'}" in line
    assert line.endswith(f"free space, then run: foedsim batch {batch} --out {out}")
    assert not out.exists()


def test_a_full_disk_in_the_summary_merge_resumes(tiny, place, monkeypatch, capsys):
    batch = str(tiny / "space.toml")
    out = place / "merge"

    def full(self):
        raise out_of_space(OSError(errno.ENOSPC, "full"), self.summary_dir / "part")

    with monkeypatch.context() as patch:
        patch.setattr(BatchStore, "merge_summary", full)
        assert main(["batch", batch, "--serial", "--quiet", "--out", str(out)]) == 2
    line = one_error_line(capsys)
    assert "4/4 runs are stored in" in line and line.endswith("--resume")
    assert main(["batch", batch, "--serial", "--quiet", "--out", str(out), "--resume"]) == 0
    assert "4/4 runs done (0 run now, 4 found finished)" in capsys.readouterr().out
    assert len(BatchStore(out).summary()) == N_RUNS
