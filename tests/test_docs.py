"""Generated reference pages in docs/ are current (regenerate with `foedsim docs`)."""

from pathlib import Path

import pytest

from cli.docs import PAGES

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(PAGES))
def test_generated_page_is_current(name):
    committed = (ROOT / "docs" / name).read_text(encoding="utf-8")
    assert committed == PAGES[name](), f"docs/{name} is stale: run `foedsim docs`"
