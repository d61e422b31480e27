"""Scenario files: every shipped file validates; every kind of bad input gives one line."""

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from model.errors import ScenarioError
from model.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ["wohngeld", "kfz_zulassung", "elterngeld"]
SHOCKS = ["ueberbrueckungshilfe"]
LANDS = ["SH", "HH", "NW", "BY", "BE"]


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def load(path: Path):
    return load_scenario(path, service_ids=SERVICES, shock_ids=SHOCKS, land_codes=LANDS)


BASE = """
[scenario]
name = "base"
description = "the base"
start = 2023-01-02
end = 2035-12-31
[parameters]
utilisation_2023 = 0.9
[services.wohngeld]
volume_factor = 1.5
"""


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").rglob("*.toml")), ids=str)
def test_every_shipped_scenario_validates(path):
    if "batches" in path.parts:
        pytest.skip("batch files are validated by the batch loader")
    if path.is_relative_to(ROOT / "scenarios" / "offices"):
        pytest.skip("office descriptions are validated by tests/test_des.py")
    sc = load_scenario(path)
    assert sc.start < sc.end
    assert sc.name


def test_extends_overrides_only_what_differs(tmp_path):
    write(tmp_path, "base.toml", BASE)
    child = write(
        tmp_path,
        "child.toml",
        """
[scenario]
extends = "base.toml"
name = "child"
[parameters]
fungible_share = 0.2
[services.kfz_zulassung]
enabled = false
""",
    )
    sc = load(child)
    assert sc.name == "child"
    assert sc.description == ""  # descriptions are not inherited
    assert sc.parameters["utilisation_2023"] == 0.9  # inherited
    assert sc.parameters["fungible_share"] == 0.2  # overridden
    assert sc.services == {"wohngeld": {"volume_factor": 1.5}, "kfz_zulassung": {"enabled": False}}
    assert sc.start == dt.date(2023, 1, 2)
    assert sc.files == (str(tmp_path / "base.toml"), str(child))
    assert sc.overrides() == {"utilisation_2023": 0.9, "fungible_share": 0.2}


def test_name_defaults_to_file_stem(tmp_path):
    sc = load(write(tmp_path, "my_case.toml", "[parameters]\nfungible_share = 0.0\n"))
    assert sc.name == "my_case"
    assert sc.start == dt.date(2023, 1, 2) and sc.end == dt.date(2035, 12, 31)


BAD_CASES = {
    "unknown_table": (
        "[paramters]\nx = 1\n",
        "key 'paramters': unknown table (did you mean 'parameters'?)",
    ),
    "unknown_scenario_key": (
        "[scenario]\nstrat = 2023-01-02\n",
        "key 'scenario.strat': unknown key (did you mean 'start'?)",
    ),
    "unknown_parameter": (
        "[parameters]\nutilisation = 0.9\n",
        "key 'parameters.utilisation': unknown parameter (did you mean 'utilisation_2023'?)",
    ),
    "wrong_type": (
        '[parameters]\nutilisation_2023 = "high"\n',
        "key 'parameters.utilisation_2023': must be a number",
    ),
    "out_of_range": (
        "[parameters]\nutilisation_2023 = 1.6\n",
        "key 'parameters.utilisation_2023': must lie between 0.5 and 1.5",
    ),
    "bad_choice": (
        '[parameters]\ngranularity = "kreis"\n',
        "key 'parameters.granularity': must be one of 'verwaltung', 'gemeinde'",
    ),
    "constant": (
        "[parameters]\nfte_hours_per_year = 1700\n",
        "key 'parameters.fte_hours_per_year': is a sourced constant",
    ),
    "unknown_service": (
        "[services.wohngld]\nenabled = true\n",
        "key 'services.wohngld': unknown service (did you mean 'wohngeld'?)",
    ),
    "unknown_service_key": (
        "[services.wohngeld]\nvolume = 2\n",
        "key 'services.wohngeld.volume': unknown key",
    ),
    "service_bad_type": (
        "[services.wohngeld]\nenabled = 1\n",
        "key 'services.wohngeld.enabled': must be true or false",
    ),
    "unknown_shock": (
        "[shocks.soforthilfe]\nstart = 2027-01-04\n",
        "key 'shocks.soforthilfe': unknown one-off programme",
    ),
    "shock_without_start": (
        "[shocks.ueberbrueckungshilfe]\nscale = 1.0\n",
        "key 'shocks.ueberbrueckungshilfe.start': is required",
    ),
    "shock_outside": (
        "[shocks.ueberbrueckungshilfe]\nstart = 2040-01-02\n",
        "key 'shocks.ueberbrueckungshilfe.start': must lie within the scenario",
    ),
    "unknown_land": (
        '[shocks.ueberbrueckungshilfe]\nstart = 2027-01-04\nlands = ["NRW"]\n',
        "key 'shocks.ueberbrueckungshilfe.lands': unknown Land 'NRW' (did you mean 'NW'?)",
    ),
    "date_as_string": (
        '[scenario]\nstart = "2023-01-02"\n',
        "key 'scenario.start': must be a TOML date",
    ),
    "date_out_of_frame": (
        "[scenario]\nstart = 2019-01-07\n",
        "key 'scenario.start': must lie between 2023-01-01 and 2045-12-31",
    ),
    "end_before_start": (
        "[scenario]\nstart = 2030-01-07\nend = 2029-12-31\n",
        "key 'scenario.end': must be after scenario.start",
    ),
    "not_a_table": ("parameters = 3\n", "key 'parameters': must be a table"),
    "bad_toml": ("[parameters\nx = 1\n", "not valid TOML"),
    "missing_parent": (
        '[scenario]\nextends = "nowhere.toml"\n',
        "key 'scenario.extends': file 'nowhere.toml' not found",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_CASES))
def test_bad_input_gives_one_line_naming_file_and_key(tmp_path, kind):
    text, expected = BAD_CASES[kind]
    path = write(tmp_path, f"{kind}.toml", text)
    with pytest.raises(ScenarioError) as info:
        load(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(str(path) + ": "), msg
    assert expected in msg, msg


def test_cycle_of_extends(tmp_path):
    write(tmp_path, "a.toml", '[scenario]\nextends = "b.toml"\n')
    write(tmp_path, "b.toml", '[scenario]\nextends = "a.toml"\n')
    with pytest.raises(
        ScenarioError, match=r"cycle of extends: .*a\.toml -> .*b\.toml -> .*a\.toml"
    ):
        load(tmp_path / "a.toml")


def test_error_in_parent_names_parent_file(tmp_path):
    write(tmp_path, "base.toml", "[parameters]\nfungible_share = 2.0\n")
    child = write(tmp_path, "child.toml", '[scenario]\nextends = "base.toml"\n')
    with pytest.raises(ScenarioError, match=r"base\.toml: key 'parameters\.fungible_share'"):
        load(child)


def test_missing_file():
    with pytest.raises(ScenarioError, match="no_such.toml: file not found"):
        load(Path("no_such.toml"))


def test_nothing_is_evaluated(tmp_path):
    # A string that would be code if evaluated stays an invalid value.
    path = write(tmp_path, "evil.toml", "[parameters]\nutilisation_2023 = \"__import__('os')\"\n")
    with pytest.raises(ScenarioError, match="must be a number"):
        load(path)


def test_cli_check_exit_code_2_and_one_line(tmp_path):
    path = write(tmp_path, "bad.toml", "[parameters]\nutilisation_2023 = 7\n")
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "check", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    first = proc.stderr.strip().splitlines()[0]
    assert first.startswith(f"FAIL {path}: key 'parameters.utilisation_2023': must lie between")


def test_with_parameters_validates():
    from model.scenario import Scenario

    sc = Scenario("s", "", (), dt.date(2023, 1, 2), dt.date(2024, 1, 1), {"utilisation_2023": 0.9})
    assert sc.with_parameters(utilisation_2023=0.95).parameters["utilisation_2023"] == 0.95
    with pytest.raises(ScenarioError, match="must lie between"):
        sc.with_parameters(utilisation_2023=2.0)


def test_a_byte_order_mark_is_accepted(tmp_path):
    """Some Windows editors start UTF-8 files with a byte-order mark (issue 19, item 5)."""
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode("utf-8"))
    assert load(path).parameters["utilisation_2023"] == 0.9


def test_deeply_nested_toml_is_one_line_not_a_recursion_error(tmp_path):
    path = write(tmp_path, "deep.toml", "a = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ScenarioError) as info:
        load(path)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(f"{path}: ") and "nested too deeply" in msg


def test_a_scenario_with_every_service_disabled_is_refused(tmp_path):
    """Valid but empty (issue 19, item 3): check refuses it with one line."""
    body = '[scenario]\nname = "empty"\n' + "".join(
        f"[services.{sid}]\nenabled = false\n" for sid in SERVICES)
    path = write(tmp_path, "empty.toml", body)
    with pytest.raises(ScenarioError) as info:
        load(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: key 'services': every service is disabled"), msg
    # one enabled service is enough
    write(tmp_path, "one.toml", body.replace("enabled = false", "enabled = true", 1))
    assert load(tmp_path / "one.toml").name == "empty"


def test_only_a_programme_without_its_shock_is_refused_before_any_work(tmp_path):
    """Enabled services exist but none has demand: the run stops before building anything."""
    import csv

    from model.engine import FederalModel

    root = Path(__file__).resolve().parents[1]
    with open(root / "model/data/services.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    body = ('[scenario]\nname = "nothing"\nend = 2023-12-31\n'
            + "".join(f"[services.{r['service_id']}]\nenabled = false\n" for r in rows
                      if r["service_id"] != "soforthilfe2020"))  # fmt: skip
    path = write(tmp_path, "nothing.toml", body)
    sc = load_scenario(path)
    with pytest.raises(ScenarioError, match="no enabled service has demand"):
        FederalModel(sc, seed=0)
