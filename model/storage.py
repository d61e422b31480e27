"""Run folders: tables as Parquet plus a ``manifest.json`` with provenance, written atomically.

A run folder looks like this (see ``runs/README.md``)::

    runs/NAME/
      manifest.json      model version, git commit, resolved scenario, seed, schema version
      kpis.parquet       one file per table; which tables depends on ``--tables``
      weekly.parquet
      agencies.parquet

The manifest holds no user names, no absolute paths and no pickles: a run can be shared or
archived as it is. Paths the user gives are the user's business and never refused: a file is
recorded relative to a reference folder where that is possible and by its name (with a
content hash) where it is not (:func:`portable_path`); free text the user writes (values under
the keys in :data:`PROSE_KEYS`) is kept as written (docs/SCENARIOS.md, "Paths in manifests").

Writing is atomic. :func:`write_run` writes everything into a hidden sibling folder
``.NAME.tmp-XXXXXXXX``, syncs every file to disk, writes ``manifest.json`` last and then renames
the folder to ``NAME``. A crash at any moment therefore leaves either no folder called ``NAME``
or a complete one; a crash can leave a hidden temp folder behind, which readers never look at
and :func:`clean_stale_temp` removes. Overwriting moves the old folder aside to
``.NAME.old-XXXXXXXX`` and removes it only once the new one is in place.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from model import __version__
from model.errors import DataError, FoedsimError, is_out_of_space, out_of_space

# The version of the run-folder layout and table columns. Bump it when a table's columns
# change meaning (renamed, new unit, new breakdown); readers refuse runs written with a newer
# schema than they know. Adding a KPI row or a new optional table does not need a bump.
SCHEMA_VERSION = 1

# Which tables each ``--tables`` choice writes, smallest first.
TABLE_SETS: dict[str, tuple[str, ...]] = {
    "kpis": ("kpis",),
    "aggregates": ("kpis", "weekly", "staff", "costs"),
    "full": ("kpis", "weekly", "staff", "agencies", "staff_agencies", "costs"),
}

MANIFEST_NAME = "manifest.json"
PARQUET_COMPRESSION = "zstd"
# Packages whose versions decide the numbers or the files of a run.
RECORDED_PACKAGES = ("numpy", "pandas", "pyarrow", "mesa", "simpy")
# git is asked twice per manifest; a hung git (network file system, lock) must not hang a run.
GIT_TIMEOUT_S = 10.0

# Table names become file names, so they are restricted to what is safe on every file system.
_TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Hidden folders that write_run creates next to a run: ".NAME.tmp-1a2b3c4d", ".NAME.old-…".
_TEMP_DIR_NAME = re.compile(r"^\.(?P<run>.+)\.(?P<kind>tmp|old)-(?P<token>[0-9a-f]{8})$")
_TEMP_DIR_IN_TEXT = re.compile(r"(^|[\\/])\.[^\\/]+\.(tmp|old)-[0-9a-f]{8}([\\/]|$)")
_WINDOWS_ABSOLUTE = re.compile(r"^([A-Za-z]:[\\/]|\\\\)")
# Values under these keys are the user's own words (a scenario's name, a description that
# quotes "/home/anna/notes" or starts with "/"), not paths foedsim recorded: never checked.
PROSE_KEYS = frozenset({"name", "description"})


class RunExistsError(FoedsimError):
    """The output folder of a run already exists and may not be replaced."""


# --- provenance ------------------------------------------------------------------------------


def _git(args: list[str], cwd: Path) -> str | None:
    """Run one git command in ``cwd``; its stripped stdout, or None on any failure."""
    # GIT_DIR and friends would point git at another repository than the one around cwd.
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_commit(start: Path | None = None) -> str | None:
    """The git commit of the source checkout the ``model`` package is loaded from.

    Args:
        start: Folder to ask instead of the ``model`` package folder (for tests).

    Returns:
        The 40-hex commit, with ``-dirty`` appended when tracked files of the checkout differ
        from it, or None when the folder is not part of a git checkout (for example an
        installed package, or a folder that git ignores) or git is not available. Never raises.
    """
    folder = Path(start) if start is not None else Path(__file__).resolve().parent
    if not folder.is_dir():
        return None
    commit = _git(["rev-parse", "--verify", "HEAD"], folder)
    if not commit or not re.fullmatch(r"[0-9a-f]{40}", commit):
        return None
    # A folder inside a checkout but holding no tracked file (a non-editable install into an
    # ignored .venv, say) is not described by the checkout's commit.
    if not _git(["ls-files", "--", "."], folder):
        return None
    # --no-optional-locks: do not take index.lock, other processes may be using the checkout.
    status = _git(["--no-optional-locks", "status", "--porcelain", "--untracked-files=no"], folder)
    if status is None:
        return None
    return f"{commit}-dirty" if status else commit


def _package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _json_ready(value: Any, what: str) -> Any:
    """A deep copy of ``value`` through strict JSON; TypeError naming ``what`` if impossible."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{what} must be JSON-ready (str, number, bool, list, dict): {error}"
        ) from error


def _check_table_names(names: list[str] | tuple[str, ...]) -> None:
    bad = [name for name in names if not isinstance(name, str) or not _TABLE_NAME.match(name)]
    if bad:
        raise ValueError(f"table names must be lower_snake_case identifiers, got {bad}")
    if len(set(names)) != len(names):
        raise ValueError(f"table names must be unique, got {list(names)}")


def make_manifest(
    scenario: dict[str, Any],
    seed: int,
    tables: list[str],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest of one run, before its tables are written.

    Two manifests made from the same inputs in the same environment differ only in
    ``created_at``.

    Args:
        scenario: The resolved scenario, already JSON-ready (strings, numbers, lists, dicts);
            paths in it must be relative (see :func:`assert_no_absolute_paths`).
        seed: The run's master seed.
        tables: Names of the tables the run will write, e.g. ``list(TABLE_SETS["full"])``.
        extra: Further JSON-ready facts about the run (e.g. replicate number, batch name),
            stored under the key ``extra``.

    Returns:
        A dict with the keys ``model``, ``model_version``, ``schema_version``, ``git_commit``,
        ``created_at`` (UTC, ISO 8601 to the second), ``python``, ``platform`` (system and
        machine only, e.g. ``Linux-x86_64``), ``packages`` (name to version, None if not
        installed), ``scenario``, ``seed``, ``tables`` (name to ``{"file": "NAME.parquet"}``;
        :func:`write_run` adds ``rows`` and ``columns``) and ``extra``.

    Raises:
        TypeError: ``seed`` is not an int, or ``scenario``/``extra`` is not JSON-ready.
        ValueError: A table name is not a lower_snake_case identifier or is repeated.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {seed!r}")
    _check_table_names(list(tables))
    return {
        "model": "foedsim",
        "model_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "git_commit": git_commit(),
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": f"{platform.system()}-{platform.machine()}",
        "packages": {name: _package_version(name) for name in RECORDED_PACKAGES},
        "scenario": _json_ready(scenario, "scenario"),
        "seed": seed,
        "tables": {name: {"file": f"{name}.parquet"} for name in tables},
        "extra": _json_ready(extra if extra is not None else {}, "extra"),
    }


def _home_dirs() -> list[str]:
    try:
        home = Path.home()
    except (RuntimeError, KeyError):
        return []
    candidates = {str(home), str(home.resolve())}
    # A home of "/" (some service accounts) would match every path-like string.
    return sorted(h for h in candidates if len(h.strip("/\\")) > 0)


def path_problem(text: str, homes: list[str] | None = None) -> str | None:
    """Why ``text`` may not stand in a manifest as a path, or None if it may.

    Args:
        text: A string of the manifest.
        homes: The user's home folders (default: asked from the system).

    Returns:
        ``"an absolute path"`` (starts with ``/``, ``~/``, a Windows drive or a UNC prefix),
        ``"a path into the home folder"`` (contains the home folder) or ``"a temporary run
        folder"`` (contains one of :func:`write_run`'s hidden folders); None otherwise.
    """
    homes = _home_dirs() if homes is None else homes
    if text.startswith("/") or text.startswith("~/") or _WINDOWS_ABSOLUTE.match(text):
        return "an absolute path"
    # The home folder as a whole path component: "/root" is in "/root/x", not in "a/rootless".
    if any(re.search(re.escape(home) + r"([\\/]|$)", text) for home in homes):
        return "a path into the home folder"
    if _TEMP_DIR_IN_TEXT.search(text):
        return "a temporary run folder"
    return None


def portable_path(
    file: str | os.PathLike[str], anchor: str | os.PathLike[str] | None = None
) -> str:
    """How a file the user named is recorded in a manifest: never refused, never absolute.

    Relative to ``anchor`` (with ``/`` as separator) when the file and the anchor share a
    folder below the file system root and below the folder that holds the home folders
    (``scenarios/baseline.toml``, ``../baseline.toml``); otherwise the file's name alone
    (``x.toml``): a relative path that climbs to the root would spell out the absolute one.
    Purely lexical (``os.path.abspath``), so the same inputs give the same string anywhere.

    Args:
        file: The file, absolute, relative to the current folder, or starting with ``~``.
        anchor: The reference folder (default: the current folder), e.g. a batch file's folder.

    Returns:
        A string for which :func:`path_problem` is None.
    """
    target = os.path.abspath(os.path.expanduser(os.fspath(file)))
    base = os.path.abspath(os.path.expanduser(os.fspath(anchor)) if anchor is not None else ".")
    name = Path(target).name
    try:
        common = Path(os.path.commonpath([target, base]))
    except ValueError:  # different Windows drives
        return name
    homes = [Path(home) for home in _home_dirs()]
    # "/" or "/home": what lies below would name the machine's folders or another user.
    if common == Path(common.anchor) or any(common in home.parents for home in homes):
        return name
    recorded = Path(os.path.relpath(target, base)).as_posix()
    return name if path_problem(recorded) else recorded


def assert_no_absolute_paths(obj: Any, where: str = "manifest") -> None:
    """Check that no string in ``obj`` (keys included) is an absolute or machine-specific path.

    Flags strings that start with ``/``, a Windows drive (``C:\\``, ``C:/``), a UNC prefix
    (``\\\\``) or ``~/``, that contain the user's home folder, or that contain one of the
    hidden temp folders of :func:`write_run` (:func:`path_problem`). Values under a key of
    :data:`PROSE_KEYS` (``name``, ``description``) are the user's own words and not checked.

    Args:
        obj: A JSON-like value (dicts, lists, tuples, strings, numbers).
        where: Name of ``obj`` for the message.

    Raises:
        ValueError: Naming the place in ``obj`` (e.g. ``manifest.scenario.file``).
    """
    homes = _home_dirs()

    def check_string(text: str, place: str) -> None:
        reason = path_problem(text, homes)
        if reason:
            raise ValueError(f"{place} looks like {reason} ({text!r}); store paths relative")

    def walk(value: Any, place: str) -> None:
        if isinstance(value, str):
            check_string(value, place)
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str):
                    check_string(key, f"{place} key")
                if key in PROSE_KEYS and isinstance(item, str):
                    continue
                walk(item, f"{place}.{key}")
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                walk(item, f"{place}[{index}]")

    walk(obj, where)


def check_manifest_inputs(
    scenario: dict[str, Any],
    seed: int,
    tables: list[str],
    extra: dict[str, Any] | None = None,
) -> None:
    """Every check :func:`make_manifest` and :func:`write_run` make on what the caller gives,
    without asking git: call it before a simulation, so that none can fire after one.

    Args:
        scenario, seed, tables, extra: As for :func:`make_manifest`.

    Raises:
        TypeError: ``seed`` is not an int, or ``scenario``/``extra`` is not JSON-ready.
        ValueError: A table name is not a lower_snake_case identifier or is repeated, or a
            path in ``scenario`` or ``extra`` is absolute (:func:`assert_no_absolute_paths`).
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {seed!r}")
    _check_table_names(list(tables))
    assert_no_absolute_paths(_json_ready(scenario, "scenario"), "manifest.scenario")
    assert_no_absolute_paths(_json_ready(extra or {}, "extra"), "manifest.extra")


# --- writing ---------------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Write one file so that readers see either the old file or the complete new one.

    Yields a hidden temporary sibling (``.NAME.tmp-XXXXXXXX``; no file suffix, so a reader
    listing ``*.parquet`` never picks it up) to write to. When the block ends without error it
    is synced to disk and renamed over ``path`` with :func:`os.replace` (atomic on POSIX and
    Windows); on any error it is removed and ``path`` is left as it was. The one mechanism of
    every single-file write (reports, figures, batch manifests and summaries); run folders are
    written as a whole by :func:`write_run`.

    Raises:
        OutOfSpaceError: The disk or the quota ran full (the temporary file is removed).
    """
    with atomic_paths([path]) as (temp,):
        yield temp


@contextlib.contextmanager
def atomic_paths(paths: list[str | os.PathLike[str]]) -> Iterator[list[Path]]:
    """Write several files so that none is replaced unless all were written in full.

    Like :func:`atomic_path` for each file, but every temporary file is written and synced
    before the first is renamed into place; only the renames (which need no space) come
    after. For outputs that belong together, such as ``cases.parquet`` and ``weekly.parquet``
    of ``foedsim des``.

    Yields:
        One hidden temporary sibling per path, in the same order.

    Raises:
        OutOfSpaceError: The disk or the quota ran full (the temporary files are removed,
            the old files are left as they were).
    """
    targets = [Path(path) for path in paths]
    temps = [t.with_name(f".{t.name}.tmp-{secrets.token_hex(4)}") for t in targets]
    try:
        yield temps
        for temp in temps:
            with open(temp, "rb") as handle:
                os.fsync(handle.fileno())
        for temp, target in zip(temps, targets, strict=True):
            os.replace(temp, target)
    except OSError as error:
        if is_out_of_space(error):
            raise out_of_space(error, ", ".join(map(str, targets))) from None
        raise
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (:func:`atomic_path`); return the path."""
    with atomic_path(path) as temp, open(temp, "xb") as handle:
        handle.write(data)
    return Path(path)


def _fsync_dir(folder: Path) -> None:
    """Make a folder's entries (new files, renames) durable; a no-op where that is impossible."""
    if os.name == "nt":  # Windows cannot open a folder as a file.
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # Some file systems (network, FUSE) refuse fsync on folders; renames still hold.
    finally:
        os.close(fd)


def _write_bytes_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _write_parquet_synced(path: Path, frame: pd.DataFrame) -> None:
    arrow_table = pa.Table.from_pandas(frame, preserve_index=False)
    with open(path, "wb") as handle:
        pq.write_table(arrow_table, handle, compression=PARQUET_COMPRESSION)
        handle.flush()
        os.fsync(handle.fileno())


def _check_frame(name: str, frame: Any) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"table {name!r} must be a pandas DataFrame, got {type(frame).__name__}")
    columns = list(frame.columns)
    if not all(isinstance(column, str) for column in columns):
        raise ValueError(f"table {name!r}: column names must be strings, got {columns}")
    if len(set(columns)) != len(columns):
        raise ValueError(f"table {name!r}: column names must be unique, got {columns}")
    # The index is not written; a named index carries data that would be lost silently.
    if any(level is not None for level in frame.index.names):
        raise ValueError(
            f"table {name!r} has a named index {list(frame.index.names)} that would not be "
            "written; call reset_index() first"
        )


def _sibling(out_dir: Path, kind: str) -> Path:
    return out_dir.parent / f".{out_dir.name}.{kind}-{secrets.token_hex(4)}"


def _make_temp_dir(out_dir: Path) -> Path:
    # os.mkdir rather than tempfile.mkdtemp: mkdtemp's mode 0700 would survive the rename and
    # hide the run from colleagues sharing the folder; os.mkdir follows the umask.
    for _ in range(100):
        temp_dir = _sibling(out_dir, "tmp")
        try:
            os.mkdir(temp_dir)
        except FileExistsError:
            continue
        return temp_dir
    raise FileExistsError(f"could not create a temporary folder next to {out_dir}")


def check_replaceable(out_dir: Path) -> None:
    """Refuse to overwrite anything that is not a foedsim run (or an empty folder).

    Raises:
        RunExistsError: ``out_dir`` is a file, a link, or a folder that holds something but
            no ``manifest.json``.
    """
    if out_dir.is_symlink() or not out_dir.is_dir():
        raise RunExistsError(f"{out_dir} exists and is not a folder; refusing to overwrite it")
    if not (out_dir / MANIFEST_NAME).is_file() and any(out_dir.iterdir()):
        raise RunExistsError(
            f"{out_dir} exists and is not a foedsim run (no {MANIFEST_NAME}); "
            "refusing to overwrite it; choose another --out"
        )


def write_run(
    out_dir: Path,
    tables: dict[str, pd.DataFrame],
    manifest: dict[str, Any],
    overwrite: bool = False,
) -> Path:
    """Write a run's tables and manifest to ``out_dir``, atomically.

    Every table becomes ``NAME.parquet`` (pyarrow, zstd, without the pandas index);
    ``manifest.json`` is written last, with ``rows`` and ``columns`` of every table filled in.
    The caller's ``manifest`` is not changed.

    Args:
        out_dir: The run folder to create, e.g. ``Path("runs/baseline")``. Its parent is
            created if needed.
        tables: Table name to DataFrame; the names must be exactly those in
            ``manifest["tables"]``. Column names must be strings; a named index is refused.
        manifest: From :func:`make_manifest`.
        overwrite: Replace an existing run folder (or empty folder) at ``out_dir``. The old
            folder is removed only after the new one is in place.

    Returns:
        ``out_dir``.

    Raises:
        RunExistsError: ``out_dir`` exists and ``overwrite`` is false, or it exists and is not
            a run folder.
        OutOfSpaceError: The disk or the quota ran full; the temporary folder is removed, an
            old run at ``out_dir`` is left as it was.
        ValueError: The tables do not match the manifest, a frame cannot be stored, or the
            manifest contains an absolute path.
        TypeError: A table is not a DataFrame.
    """
    out_dir = Path(out_dir)
    if out_dir.name in ("", ".", ".."):
        raise ValueError(f"--out must name a folder, got {str(out_dir)!r}")
    if "tables" not in manifest or not isinstance(manifest["tables"], dict):
        raise ValueError("manifest has no 'tables' entry; build it with make_manifest()")
    if set(tables) != set(manifest["tables"]):
        raise ValueError(
            f"tables {sorted(tables)} do not match the manifest's {sorted(manifest['tables'])}"
        )
    _check_table_names(list(tables))
    for name, frame in tables.items():
        _check_frame(name, frame)

    final_manifest = copy.deepcopy(manifest)
    for name, frame in tables.items():
        final_manifest["tables"][name] = {
            "file": f"{name}.parquet",
            "rows": int(len(frame)),
            "columns": list(frame.columns),
        }
    assert_no_absolute_paths(final_manifest)
    manifest_bytes = (
        json.dumps(final_manifest, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
        + "\n"
    ).encode("utf-8")

    exists = out_dir.exists() or out_dir.is_symlink()
    if exists and not overwrite:
        raise RunExistsError(f"{out_dir} already exists; choose another --out or pass --overwrite")
    if exists:
        check_replaceable(out_dir)

    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        temp_dir = _make_temp_dir(out_dir)
    except OSError as error:
        if is_out_of_space(error):
            raise out_of_space(error, out_dir) from None
        raise
    try:
        for name, frame in tables.items():
            _write_parquet_synced(temp_dir / f"{name}.parquet", frame)
        _write_bytes_synced(temp_dir / MANIFEST_NAME, manifest_bytes)  # last: marks complete
        _fsync_dir(temp_dir)
        old_dir = _move_into_place(temp_dir, out_dir, overwrite)
    except BaseException as error:
        shutil.rmtree(temp_dir, ignore_errors=True)
        if is_out_of_space(error):
            raise out_of_space(error, out_dir) from None
        raise
    _fsync_dir(out_dir.parent)
    if old_dir is not None:
        shutil.rmtree(old_dir, ignore_errors=True)
        if old_dir.exists():
            warnings.warn(
                f"could not remove the replaced run {old_dir.name} in {out_dir.parent}; "
                "clean_stale_temp() removes it later",
                stacklevel=2,
            )
    return out_dir


def _move_into_place(temp_dir: Path, out_dir: Path, overwrite: bool) -> Path | None:
    """Rename ``temp_dir`` to ``out_dir``; the folder moved aside when overwriting, if any."""
    old_dir = None
    if overwrite and (out_dir.exists() or out_dir.is_symlink()):
        check_replaceable(out_dir)
        old_dir = _sibling(out_dir, "old")
        os.rename(out_dir, old_dir)
    try:
        os.rename(temp_dir, out_dir)
    except OSError as error:
        if old_dir is not None:
            os.rename(old_dir, out_dir)  # put the old run back
        elif out_dir.exists():  # another process created it since the check in write_run
            raise RunExistsError(
                f"{out_dir} already exists; choose another --out or pass --overwrite"
            ) from error
        raise
    except BaseException:
        if old_dir is not None:
            os.rename(old_dir, out_dir)
        raise
    return old_dir


def clean_stale_temp(parent: Path, min_age_s: float = 0.0) -> list[Path]:
    """Remove the hidden temp and moved-aside folders that interrupted writes left in ``parent``.

    Only folders named like ``write_run``'s (``.NAME.tmp-XXXXXXXX``, ``.NAME.old-XXXXXXXX``)
    are touched.

    Args:
        parent: The folder holding run folders, e.g. ``Path("runs")``. Missing is fine.
        min_age_s: Keep folders modified less than this many seconds ago (s). Pass e.g. 3600
            when other processes may be writing runs into ``parent`` right now; the default 0
            removes every such folder.

    Returns:
        The removed folders, sorted.
    """
    parent = Path(parent)
    if not parent.is_dir():
        return []
    now = time.time()
    removed = []
    for entry in sorted(parent.iterdir()):
        if not _TEMP_DIR_NAME.match(entry.name) or entry.is_symlink() or not entry.is_dir():
            continue
        try:
            age_s = now - entry.stat().st_mtime
        except OSError:
            continue  # removed meanwhile
        if age_s < min_age_s:
            continue
        shutil.rmtree(entry, ignore_errors=True)
        if not entry.exists():
            removed.append(entry)
    return removed


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """A saved run: its manifest, and its tables read on demand.

    Attributes:
        path: The run folder.
        manifest: The parsed ``manifest.json``.
    """

    path: Path
    manifest: dict[str, Any]

    @property
    def tables(self) -> tuple[str, ...]:
        """Names of the tables this run holds."""
        return tuple(self.manifest["tables"])

    def table(self, name: str) -> pd.DataFrame:
        """Read one table from its Parquet file (on every call; keep the result).

        Args:
            name: A name from :attr:`tables`, e.g. ``"kpis"``.

        Raises:
            DataError: The run has no such table, or its file is missing or unreadable.
        """
        if name not in self.manifest["tables"]:
            raise DataError(
                f"{self.path} has no table {name!r} (it has: {', '.join(self.tables) or 'none'}); "
                "rerun with a larger --tables choice"
            )
        entry = self.manifest["tables"][name]
        file = self.path / entry["file"]
        try:
            frame = pq.read_table(file).to_pandas()
        except FileNotFoundError:
            raise DataError(f"{self.path} is incomplete: {entry['file']} is missing") from None
        except (OSError, pa.ArrowException) as error:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise DataError(f"{file} is not a readable Parquet file: {message}") from None
        if "columns" in entry and list(frame.columns) != entry["columns"]:
            raise DataError(
                f"{file} has columns {list(frame.columns)}, the manifest lists {entry['columns']}"
            )
        return frame


def _manifest_problem(manifest: Any) -> str | None:
    """Why a parsed manifest cannot be read by this code, or None."""
    if not isinstance(manifest, dict) or manifest.get("model") != "foedsim":
        return "is not a foedsim manifest"
    version = manifest.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        return f"has an invalid schema_version {version!r}"
    if version > SCHEMA_VERSION:
        return (
            f"was written with schema version {version}, newer than this foedsim "
            f"(reads up to {SCHEMA_VERSION}); update foedsim to read it"
        )
    tables = manifest.get("tables")
    if not isinstance(tables, dict):
        return "has no 'tables' entry"
    for name, entry in tables.items():
        file = entry.get("file") if isinstance(entry, dict) else None
        # A file entry must be a plain name inside the run folder.
        if not isinstance(file, str) or Path(file).name != file or file in ("", ".", ".."):
            return f"lists table {name!r} without a valid file name"
    return None


def read_run(path: Path) -> Run:
    """Open a saved run folder (the manifest now, the tables when asked for).

    Args:
        path: The run folder, e.g. ``Path("runs/baseline")``.

    Returns:
        The run.

    Raises:
        DataError: With one line, if the folder does not exist, is a temp folder of an
            unfinished write, has no ``manifest.json``, has a manifest that is not valid or was
            written with a newer schema version, or lacks a table file the manifest lists.
    """
    path = Path(path)
    if not path.is_dir():
        raise DataError(f"{path} does not exist or is not a folder")
    if _TEMP_DIR_NAME.match(path.name):
        raise DataError(f"{path} is a temporary folder of an unfinished or replaced run")
    manifest_file = path / MANIFEST_NAME
    if not manifest_file.is_file():
        raise DataError(f"{path} is not a complete run (no {MANIFEST_NAME})")
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(f"{manifest_file} cannot be read: {message}") from None
    problem = _manifest_problem(manifest)
    if problem:
        raise DataError(f"{manifest_file} {problem}")
    missing = [
        entry["file"]
        for entry in manifest["tables"].values()
        if not (path / entry["file"]).is_file()
    ]
    if missing:
        raise DataError(f"{path} is incomplete: {', '.join(missing)} missing")
    return Run(path=path, manifest=manifest)


def list_runs(parent: Path) -> list[Path]:
    """The complete run folders directly inside ``parent`` (temp folders are skipped).

    Args:
        parent: E.g. ``Path("runs")``. Missing is fine.

    Returns:
        Sorted folders that hold a ``manifest.json``; :func:`read_run` still checks them.
    """
    parent = Path(parent)
    if not parent.is_dir():
        return []
    return sorted(
        entry
        for entry in parent.iterdir()
        if entry.is_dir() and not entry.name.startswith(".") and (entry / MANIFEST_NAME).is_file()
    )
