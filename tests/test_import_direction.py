"""``model`` never imports ``analysis`` or ``cli`` (the design card's import direction)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imported_top_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    mods: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            mods.add(node.module.split(".")[0])
    return mods


def test_model_does_not_import_analysis_or_cli():
    offenders = []
    files = sorted((ROOT / "model").rglob("*.py"))
    assert files, "no model sources found"
    for f in files:
        bad = _imported_top_modules(f) & {"analysis", "cli"}
        if bad:
            offenders.append(f"{f.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []


def test_analysis_does_not_import_cli():
    for f in sorted((ROOT / "analysis").rglob("*.py")):
        assert "cli" not in _imported_top_modules(f), f


def test_checker_sees_imports(tmp_path):
    # The checker itself must be able to fail.
    f = tmp_path / "x.py"
    f.write_text("import analysis.report\nfrom cli import main\n")
    assert {"analysis", "cli"} <= _imported_top_modules(f)
