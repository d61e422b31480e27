"""The installed package must run without the project's shared folder: nothing under model/
may point into it."""

from __future__ import annotations

from pathlib import Path

import pytest

MODEL_DIR = Path(__file__).resolve().parent.parent / "model"

# Path fragments that would only appear in a reference to the shared folder (not in prose).
FORBIDDEN = ("../shared", "/shared/", "shared/data", "shared/calibration")


def text_files() -> list[Path]:
    files = []
    for path in sorted(MODEL_DIR.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        try:
            path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary
        files.append(path)
    return files


def test_model_has_text_files():
    names = {path.name for path in text_files()}
    assert {"geography.py", "datafiles.py", "SOURCES.md", "gemeinden.csv"} <= names


@pytest.mark.parametrize("path", text_files(), ids=lambda p: str(p.relative_to(MODEL_DIR)))
def test_no_reference_to_shared_folder(path):
    text = path.read_text(encoding="utf-8")
    found = [fragment for fragment in FORBIDDEN if fragment in text]
    assert not found, f"model/{path.relative_to(MODEL_DIR)} mentions {found}"


def test_checker_flags_paths_not_prose():
    def flagged(text: str) -> bool:
        return any(fragment in text for fragment in FORBIDDEN)

    assert flagged('open("../shared/data/x.csv")')
    assert flagged("/srv/project/shared/calibration/targets.toml")
    assert not flagged("the object is shared through a cache; shared offices of an Amt")
