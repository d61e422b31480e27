"""The batch folder: manifest, one run folder per run, a summary table, failure records.

Layout (see docs/BATCHES.md)::

    runs/NAME/
      manifest.json            batch definition, resolved scenarios, versions, git commit,
                               design table, seeds, one entry per session (start, resume)
      runs/RUN_ID/             one run folder per finished run (model.storage.write_run:
                               Parquet tables + manifest.json, written atomically)
      summary/part-*.parquet   the summary table, one row per finished run: inputs + nationwide
                               KPIs as KPI_YEAR columns; a Parquet dataset (read the folder)
      failures/RUN_ID.json     one record per failed run: inputs, error, traceback
      .lock                    while a batch process writes here

Writes are atomic (temporary name, fsync, rename), so an interrupted batch leaves complete
files only. What counts as finished is a complete run folder; summary parts are derived from
them and written in chunks as runs finish (memory stays bounded). On resume,
:meth:`BatchStore.recover` removes temporary leftovers and writes the summary rows of run
folders that finished after the last chunk was written, so no run is computed twice and no row
is written twice. At the end of a session the parts are merged into one; the merged part names
its sources in its metadata, so a crash between writing it and deleting them is undone on the
next open.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from model.errors import DataError, FoedsimError, is_out_of_space, out_of_space
from model.storage import (
    MANIFEST_NAME,
    assert_no_absolute_paths,
    atomic_path,
    atomic_write_bytes,
    clean_stale_temp,
)

BATCH_FORMAT = 1
BATCH_KIND = "foedsim-batch"
SUMMARY_DIR = "summary"
RUNS_DIR = "runs"
FAILURES_DIR = "failures"
LOCK_NAME = ".lock"
_MERGED_KEY = b"foedsim.merged_parts"
# Rows per record batch when merging summary parts: a few MB with a few hundred KPI columns.
MERGE_BATCH_ROWS = 4096
# Inputs first in every summary row; design parameters and KPI_YEAR columns follow.
INPUT_COLUMNS = ("run_index", "run_id", "scenario", "point", "replication", "seed")


class BatchExistsError(FoedsimError):
    """The batch folder exists (continue it with --resume) or belongs to another batch."""


class BatchLockedError(FoedsimError):
    """Another process is writing to the batch folder."""


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
            + "\n").encode("utf-8")  # fmt: skip


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class BatchStore:
    """A batch folder on disk.

    Args:
        root: The folder, e.g. ``Path("runs/sensitivity_baseline")``.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.runs_dir = self.root / RUNS_DIR
        self.summary_dir = self.root / SUMMARY_DIR
        self.failures_dir = self.root / FAILURES_DIR

    # --- creating and opening --------------------------------------------------------------

    @classmethod
    def create(cls, root: Path, manifest: dict[str, Any]) -> BatchStore:
        """Create a new batch folder with its manifest.

        If writing fails (the disk ran full, say), what this call created is removed again: a
        folder without a manifest could neither be resumed nor started afresh.

        Raises:
            BatchExistsError: ``root`` exists and is not empty.
            OutOfSpaceError: The disk or the quota ran full (nothing is left behind).
        """
        root = Path(root)
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise BatchExistsError(f"{root} already exists; continue that batch with --resume "
                                   "or choose another --out")  # fmt: skip
        assert_no_absolute_paths(manifest, "batch manifest")
        store = cls(root)
        created_root = not root.exists()
        folders = (store.runs_dir, store.summary_dir, store.failures_dir)
        try:
            for folder in folders:
                folder.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(store.root / MANIFEST_NAME, _json_bytes(manifest))
        except BaseException as error:
            if created_root:
                shutil.rmtree(root, ignore_errors=True)
            else:  # an empty folder the user made: leave it empty, as it was
                for folder in folders:
                    shutil.rmtree(folder, ignore_errors=True)
            if is_out_of_space(error):
                raise out_of_space(error, root / MANIFEST_NAME) from None
            raise
        return store

    @classmethod
    def open(cls, root: Path) -> BatchStore:
        """Open an existing batch folder.

        Raises:
            DataError: ``root`` is not a batch folder.
        """
        store = cls(Path(root))
        store.manifest()  # checks it is one
        return store

    def manifest(self) -> dict[str, Any]:
        """The batch manifest.

        Raises:
            DataError: Missing, unreadable or not a batch manifest.
        """
        file = self.root / MANIFEST_NAME
        if not file.is_file():
            raise DataError(f"{self.root} is not a batch folder (no {MANIFEST_NAME})")
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataError(f"{file} cannot be read: {exc}") from None
        if not isinstance(data, dict) or data.get("kind") != BATCH_KIND:
            raise DataError(f"{file} is not a foedsim batch manifest (a single run? "
                            "read it with model.storage.read_run)")  # fmt: skip
        if data.get("batch_format", 0) > BATCH_FORMAT:
            raise DataError(f"{file} was written by a newer foedsim (batch format "
                            f"{data['batch_format']}); update foedsim to read it")  # fmt: skip
        return data

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Replace the manifest atomically (sessions are appended on resume)."""
        assert_no_absolute_paths(manifest, "batch manifest")
        atomic_write_bytes(self.root / MANIFEST_NAME, _json_bytes(manifest))

    # --- lock ------------------------------------------------------------------------------

    def acquire_lock(self) -> None:
        """Mark the folder as being written by this process.

        A lock left by a process that no longer runs on this host is taken over.

        Raises:
            BatchLockedError: Another live process holds the lock.
        """
        lock = self.root / LOCK_NAME
        me = {"pid": os.getpid(), "host": socket.gethostname()}
        for _ in range(2):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                try:
                    other = json.loads(lock.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    other = {}
                same_host = other.get("host") == me["host"]
                if same_host and isinstance(other.get("pid"), int) and not _pid_alive(
                        other["pid"]):  # fmt: skip
                    lock.unlink(missing_ok=True)  # stale: its process is gone
                    continue
                raise BatchLockedError(
                    f"{self.root} is being written by process {other.get('pid')} on "
                    f"{other.get('host')}; if that process is gone, delete {lock}") from None
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(me, handle)
            return
        raise BatchLockedError(f"could not lock {self.root}")

    def release_lock(self) -> None:
        """Remove this process's lock."""
        (self.root / LOCK_NAME).unlink(missing_ok=True)

    # --- runs and failures -----------------------------------------------------------------

    def run_dir(self, run_id: str) -> Path:
        """The folder of one run."""
        return self.runs_dir / run_id

    def complete_run_ids(self) -> Iterator[str]:
        """Run ids whose folder is complete, in no particular order (temporary folders are
        not runs); read lazily, so a huge batch folder is not listed into memory at once."""
        if not self.runs_dir.is_dir():
            return
        with os.scandir(self.runs_dir) as entries:
            for e in entries:
                if not e.name.startswith(".") and (Path(e.path) / MANIFEST_NAME).is_file():
                    yield e.name

    def record_failure(self, record: dict[str, Any]) -> None:
        """Write one failed run's record (inputs, error, traceback)."""
        self.failures_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.failures_dir / f"{record['run_id']}.json", _json_bytes(record))

    def clear_failure(self, run_id: str) -> None:
        """Remove the failure record of a run that has now succeeded."""
        (self.failures_dir / f"{run_id}.json").unlink(missing_ok=True)

    def failures(self) -> pd.DataFrame:
        """The failed runs: inputs, error type and message, traceback (one row each)."""
        rows = []
        if self.failures_dir.is_dir():
            for file in sorted(self.failures_dir.glob("*.json")):
                rows.append(json.loads(file.read_text(encoding="utf-8")))
        frame = pd.DataFrame(rows)
        return frame.sort_values("run_index", ignore_index=True) if len(frame) else frame

    # --- summary ---------------------------------------------------------------------------

    def _parts(self) -> list[Path]:
        if not self.summary_dir.is_dir():
            return []
        return sorted(p for p in self.summary_dir.glob("part-*.parquet"))

    def write_summary_part(self, rows: list[dict[str, Any]]) -> Path | None:
        """Write rows as a new summary part, atomically; None if there are no rows."""
        if not rows:
            return None
        self.summary_dir.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(pd.DataFrame(rows), preserve_index=False)
        return self._write_part(table, merged=())

    def _write_part(self, table: pa.Table, merged: tuple[str, ...]) -> Path:
        name = f"part-{secrets.token_hex(6)}.parquet"
        if merged:
            meta = dict(table.schema.metadata or {})
            meta[_MERGED_KEY] = json.dumps(list(merged)).encode("utf-8")
            table = table.replace_schema_metadata(meta)
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="zstd")
        path = self.summary_dir / name
        atomic_write_bytes(path, sink.getvalue().to_pybytes())
        return path

    def _drop_merged_sources(self) -> None:
        """Delete parts that a merged part already contains (a crash after the merge)."""
        parts = self._parts()
        names = {p.name for p in parts}
        merged: set[str] = set()
        for part in parts:
            meta = pq.read_schema(part).metadata or {}
            merged.update(json.loads(meta.get(_MERGED_KEY, b"[]")))
        for source in sorted(merged & names):
            (self.summary_dir / source).unlink(missing_ok=True)

    def summarised_indices(self, n_runs: int) -> np.ndarray:
        """Boolean mask over run indices that have a summary row."""
        mask = np.zeros(n_runs, dtype=bool)
        for part in self._parts():
            idx = pq.read_table(part, columns=["run_index"]).column(0).to_numpy()
            mask[idx[idx < n_runs]] = True
        return mask

    def merge_summary(self) -> None:
        """Merge every summary part into one, streaming record batches (memory stays bounded
        however large the summary; no row is written twice)."""
        self._drop_merged_sources()
        parts = self._parts()
        if len(parts) <= 1:
            return
        schema = pa.unify_schemas([pq.read_schema(p).remove_metadata() for p in parts])
        meta = {_MERGED_KEY: json.dumps([p.name for p in parts]).encode("utf-8")}
        schema = schema.with_metadata(meta)
        name = f"part-{secrets.token_hex(6)}.parquet"
        # the writer closes before the file is synced and renamed (atomic_path)
        with (
            atomic_path(self.summary_dir / name) as tmp,
            pq.ParquetWriter(tmp, schema, compression="zstd") as writer,
        ):
            for part in parts:
                for batch in pq.ParquetFile(part).iter_batches(batch_size=MERGE_BATCH_ROWS):
                    table = pa.Table.from_batches([batch])
                    for field in schema:  # columns a part lacks (a KPI added meanwhile)
                        if field.name not in table.column_names:
                            nulls = pa.nulls(len(table), field.type)
                            table = table.append_column(field, nulls)
                    writer.write_table(table.select(schema.names).cast(schema))
        for part in parts:
            part.unlink(missing_ok=True)

    def summary(self) -> pd.DataFrame:
        """The summary table: one row per finished run, sorted by run index.

        Equivalent to ``pd.read_parquet("runs/NAME/summary")`` plus sorting (and undoing an
        interrupted merge first).
        """
        self._drop_merged_sources()
        parts = self._parts()
        if not parts:
            return pd.DataFrame(columns=list(INPUT_COLUMNS))
        tables = [pq.read_table(p) for p in parts]
        table = pa.concat_tables([t.replace_schema_metadata(None) for t in tables],
                                 promote_options="default")  # fmt: skip
        frame = table.to_pandas()
        return frame.sort_values("run_index", ignore_index=True)

    # --- recovery --------------------------------------------------------------------------

    def recover(self) -> None:
        """Remove what interrupted writes left (temporary run folders and files)."""
        clean_stale_temp(self.runs_dir)
        for folder in (self.summary_dir, self.failures_dir, self.root):
            if folder.is_dir():
                for entry in folder.iterdir():
                    if entry.name.startswith(".") and ".tmp" in entry.name and entry.is_file():
                        entry.unlink(missing_ok=True)
        self._drop_merged_sources()

    def run_kpi_files(self) -> list[Path]:
        """The ``kpis.parquet`` file of every finished run (for pyarrow or DuckDB queries)."""
        return [self.runs_dir / r / "kpis.parquet" for r in sorted(self.complete_run_ids())]

    def remove(self) -> None:
        """Delete the whole batch folder (tests and benchmarks)."""
        shutil.rmtree(self.root, ignore_errors=True)
