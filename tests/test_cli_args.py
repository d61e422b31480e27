"""Bad command-line arguments: exit code 2 and one line naming the argument and what is
allowed, before any work starts (issue 19, item 6)."""

from __future__ import annotations

import pytest

from cli.args import SEED_LIMIT, dask_address, positive_int, seed
from cli.main import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "scenarios/baseline.toml", "--seed", "-1"], "argument --seed: -1 is out of range"),
        (["run", "scenarios/baseline.toml", "--seed", str(SEED_LIMIT)],
         f"argument --seed: {SEED_LIMIT} is out of range"),
        (["run", "scenarios/baseline.toml", "--seed", "1.5"], "'1.5' is not a whole number"),
        (["run", "scenarios/baseline.toml", "--threads", "0"], "argument --threads: 0; allowed: 1"),
        (["des", "scenarios/offices/mmc_example.toml", "--seed", "x"], "argument --seed: 'x'"),
        (["batch", "scenarios/batches/main_comparison.toml", "--workers", "-2"],
         "argument --workers: -2; allowed: 1 or more"),
        (["batch", "scenarios/batches/main_comparison.toml", "--dask", "notanaddress"],
         "argument --dask: 'notanaddress' is not a scheduler address"),
        (["validate", "--seeds", "0", "-3"], "argument --seeds: -3 is out of range"),
        (["run"], "the following arguments are required: scenario"),
    ],
)
def test_bad_argument_is_one_line_and_exit_2(argv, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        main(argv + (["--out", str(tmp_path / "out")] if argv[0] in ("run", "batch") else []))
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"foedsim {argv[0]}: error: ") and message in lines[0]
    assert "--help" in lines[0]
    assert not (tmp_path / "out").exists()  # nothing was started


def test_check_on_a_folder_without_scenarios(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("not a scenario\n")
    assert main(["check", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"no scenario files in {tmp_path}" in err[0]


def test_the_types_accept_what_they_should():
    assert seed("0") == 0 and seed(str(SEED_LIMIT - 1)) == SEED_LIMIT - 1
    assert positive_int("1") == 1
    for ok in ("tcp://scheduler:8786", "127.0.0.1:8786", "tls://host.example:443"):
        assert dask_address(ok) == ok
    for bad in ("tcp://host", "host:0", "host:70000", "tcp://host:87 86", ""):
        with pytest.raises(Exception, match="not a scheduler address"):
            dask_address(bad)
