"""Helpers shared by the batch tests (no tests here): tiny scenarios and batch files.

The tiny scenario is the real model for all of Germany with only two services switched on
(Wohngeld and Bauantrag) over one quarter: about 0.1 s a run, so a batch of a dozen runs takes
a second or two. Everything else (agencies, routing, seeds, named streams) is the real thing.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEEP_SERVICES = ("wohngeld", "bauantrag")


def write_tiny_scenario(folder: Path, name: str = "tiny", end: str = "2023-03-31",
                        parameters: dict[str, object] | None = None) -> Path:  # fmt: skip
    """Write a scenario file with two services over a short horizon; return its path."""
    from model.catalogue import load_catalogue

    lines = ["[scenario]", f'name = "{name}"', "start = 2023-01-02", f"end = {end}",
             "[parameters]"]  # fmt: skip
    for key, value in {"granularity": "verwaltung", **(parameters or {})}.items():
        lines.append(f"{key} = {value!r}" if not isinstance(value, str) else f'{key} = "{value}"')
    for sid in load_catalogue().services["service_id"]:
        if sid not in KEEP_SERVICES:
            lines += [f"[services.{sid}]", "enabled = false"]
    path = folder / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_batch(folder: Path, text: str, name: str = "batch.toml") -> Path:
    """Write a batch file (dedented) into ``folder``; return its path."""
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def die_on_three(x: int) -> int:
    """A task for executor tests: kills its worker process on 3, squares anything else."""
    if x == 3:
        os._exit(1)
    return x * x


def thread_settings(_: object) -> tuple[str | None, int]:
    """A task for executor tests: the worker's OMP_NUM_THREADS and Arrow CPU pool size."""
    import pyarrow as pa

    return os.environ.get("OMP_NUM_THREADS"), pa.cpu_count()
