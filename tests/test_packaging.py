"""The built wheel works on its own: installed into a fresh venv, run from an empty folder.

This is the check that the package carries its data (no ``../shared`` at run time) and that
the command line is wired. It builds the wheel without build isolation (setuptools and wheel
come from the dev dependencies) and borrows the runtime dependencies from this environment.
"""

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    dist = tmp / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(dist), str(ROOT)],
        check=True, cwd=tmp,
    )  # fmt: skip
    wheels = list(dist.glob("foedsim-*.whl"))
    assert len(wheels) == 1, wheels
    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=False)
    py = env_dir / "bin" / "python"
    site = subprocess.run(
        [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # Runtime dependencies (numpy, pandas, mesa, ...) from this environment, not re-downloaded.
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "_foedsim_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q",
         str(wheels[0])],
        check=True,
    )  # fmt: skip
    workdir = tmp / "elsewhere"
    workdir.mkdir()
    return env_dir, workdir


def run(env_dir: Path, workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        list(args), cwd=workdir, env=env, capture_output=True, text=True, timeout=300
    )


def test_installed_package_loads_its_own_data(installed):
    env_dir, workdir = installed
    assert not (workdir.parent / "shared").exists()
    code = (
        "import model, model.geography as g, model.catalogue as c;"
        "print(model.__file__);"
        "print(g.load_germany().population_total);"
        "print(len(c.load_catalogue().services))"
    )
    proc = run(env_dir, workdir, str(env_dir / "bin" / "python"), "-c", code)
    assert proc.returncode == 0, proc.stderr
    where, pop, n_services = proc.stdout.split()
    assert where.startswith(str(env_dir)), f"imported model from {where}, not from the wheel"
    assert int(pop) == 83_577_140
    assert int(n_services) >= 25


def test_installed_command_validates_baseline(installed):
    env_dir, workdir = installed
    proc = run(env_dir, workdir, str(env_dir / "bin" / "foedsim"), "check",
               str(ROOT / "scenarios" / "baseline.toml"))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "ok" in proc.stdout and "baseline" in proc.stdout
