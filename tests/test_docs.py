"""Generated reference pages in docs/ are current (regenerate with `foedsim docs`)."""

from pathlib import Path

import pytest

from cli.docs import PAGES

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(PAGES))
def test_generated_page_is_current(name):
    committed = (ROOT / "docs" / name).read_text(encoding="utf-8")
    assert committed == PAGES[name](), f"docs/{name} is stale: run `foedsim docs`"


def test_odd_process_section_is_the_code_step_plan():
    from model.engine import step_plan_text

    odd = (Path(__file__).resolve().parents[1] / "docs" / "ODD.md").read_text(encoding="utf-8")
    process = odd.split("## 3. Process overview and scheduling")[1].split("## 4.")[0]
    assert step_plan_text() in process
