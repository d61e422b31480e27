"""Validation against observed facts (model/validation.py, cli/validate.py, validation/).

Three layers: facts files are checked with one-line errors (no runs); metrics, ratios and
judgements on hand-made tables whose values are checked by hand; and the shipped facts run
through ``foedsim validate`` once (one full-Germany baseline run, a few seconds), plus a
deliberately wrong fact on a two-year run that must fail with a readable line.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from cli.main import main
from model.errors import ScenarioError
from model.validation import (
    RunCache,
    fmt_range,
    judge,
    load_facts,
    table_set,
    validate,
)

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
SHIPPED = ROOT / "validation" / "facts.toml"
DATA = ROOT / "model" / "data" / "germany"

HEAD = f"""
[[fact]]
id = "f"
description = "a fact"
source = "a source"
role = "held_out"
scenario = "{BASELINE.as_posix()}"
"""


def write(tmp_path: Path, text: str, name: str = "facts.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def one_fact(tmp_path: Path, body: str):
    (fact,) = load_facts(write(tmp_path, HEAD + body))
    return fact


# --- facts files: one-line errors naming file, fact and key --------------------------------------
GOOD_METRIC = 'observed = [1, 2]\n[fact.metric]\nkpi = "staff_persons"\nyear = 2024\n'


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('observed = [1, 2]\nobservd = 1\n[fact.metric]\nkpi = "staff_persons"\nyear = 2024\n',
         "fact 'f': key 'observd': unknown key (did you mean 'observed'?)"),
        ('observed = [2, 1]\n[fact.metric]\nkpi = "staff_persons"\nyear = 2024\n',
         "fact 'f': key 'observed': low must not exceed high"),
        ('observed = [1, 2]\n[fact.metric]\nkpi = "staff_person"\nyear = 2024\n',
         "fact 'f': key 'metric.kpi': unknown KPI (did you mean 'staff_persons'?)"),
        ('observed = [1, 2]\ntolerance = 0.1\n[fact.metric]\nkpi = "staff_persons"\n'
         "year = 2024\n", "fact 'f': key 'tolerance_reason': is required with a tolerance"),
        ('observed = [1, 2]\n[fact.metric]\nkpi = "staff_mean_age_years"\n'
         'level = ["gemeinde", "kreis"]\nyear = 2024\n',
         "key 'metric.weight': is required: KPI 'staff_mean_age_years' (unit years)"),
        ('observed = [1, 2]\n[fact.metric]\nkpi = "staff_persons"\nyears = [2024, 2030]\n',
         "key 'metric.aggregation': is required when the period covers several time points"),
        ('observed = [1, 2]\n[fact.metric]\nkpi = "staff_persons"\n'
         "weeks = [2024-01-01, 2024-02-01]\naggregation = 'sum'\n",
         "key 'metric.weeks': weeks are only in table = 'weekly'"),
        ('observed = [1, 2]\n[fact.metric]\nkpi = "staff_persons"\nyear = 2024\nland = "05"\n',
         "key 'metric.land': the kpis table has no Land breakdown"),
        ('observed = [1, 2]\n[fact.metric]\nkpi = "staff_persons"\nyear = 2024\n'
         'level = "gemeinden"\n', "key 'metric.level': unknown level (did you mean 'gemeinde'?)"),
        ('observed = [1, 2]\n[fact.metric]\nkpi = "arrivals_cases"\nyear = 2024\n'
         'service = "wohngld"\n', "key 'metric.service': unknown service (did you mean"),
        ('observed = [1, 2]\n[fact.metric]\ntable = "staff"\nyear = 2024\n',
         "key 'metric.column': is required with table"),
        ('observed = [1, 2]\n[fact.metric]\nkpi = "staff_persons"\n',
         "key 'metric': give exactly one period"),
        ("observed = [1, 2]\n", "key 'metric': is required (only a fact with a known_gap"),
        ('observed = [1, 2]\nrole = "calibrated"\n', "not valid TOML: Cannot overwrite"),
    ],
)
def test_bad_facts_give_one_line(tmp_path, body, expected):
    path = write(tmp_path, HEAD + body)
    with pytest.raises(ScenarioError) as info:
        load_facts(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path)), message
    assert expected in message, message


def test_role_rules(tmp_path):
    calibrated = HEAD.replace('"held_out"', '"calibrated"')
    with pytest.raises(ScenarioError, match="key 'fitted': is required for, and only for"):
        load_facts(write(tmp_path, calibrated + GOOD_METRIC))
    with pytest.raises(ScenarioError, match="key 'fitted'"):
        load_facts(write(tmp_path, HEAD + 'fitted = "x"\n' + GOOD_METRIC))
    fact = one_fact(tmp_path, 'known_gap = "not modelled"\nobserved = [1, 2]\n')
    assert fact.metric is None and fact.known_gap == "not modelled"


def test_duplicate_ids_and_bad_scenario(tmp_path):
    with pytest.raises(ScenarioError, match="fact 'f': key 'id': is used by an earlier fact"):
        load_facts(write(tmp_path, HEAD + GOOD_METRIC + HEAD + GOOD_METRIC))
    text = (HEAD + GOOD_METRIC).replace(BASELINE.as_posix(), "missing.toml")
    with pytest.raises(ScenarioError, match="fact 'f': key 'scenario': invalid scenario file"):
        load_facts(write(tmp_path, text))


# --- metrics on hand-made tables -----------------------------------------------------------------
def kpi_rows() -> pd.DataFrame:
    rows = []
    for year, persons, ages, retired in [
        (2023, (100, 300), (40, 44), (5, 15)),
        (2024, (110, 310), (41, 45), (6, 12)),
        (2025, (120, 320), (42, 46), (4, 13)),
    ]:
        for i, level in enumerate(("gemeinde", "kreis")):
            rows += [(year, "staff_persons", level, "all", persons[i]),
                     (year, "staff_mean_age_years", level, "all", ages[i]),
                     (year, "retirements_persons", level, "all", retired[i])]  # fmt: skip
    return pd.DataFrame(rows, columns=["year", "kpi", "level", "service_id", "value"])


def weekly_rows() -> pd.DataFrame:
    weeks = pd.date_range("2023-08-28", periods=6, freq="7D")  # Mondays 28.8. ... 2.10.
    return pd.DataFrame({"week": weeks, "year": weeks.year, "land": "05", "level": "kreis",
                         "service_id": "kfz_zulassung", "arrivals": [1, 2, 4, 8, 16, 32],
                         "lead_time_weeks": 1.5})  # fmt: skip


TABLES = {"kpis": kpi_rows(), "weekly": weekly_rows()}
BOTH = 'level = ["gemeinde", "kreis"]\n'


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # (110 + 310) / (100 + 300)
        (f'[fact.metric]\nkpi = "staff_persons"\n{BOTH}year = 2024\n'
         f'[fact.divide_by]\nkpi = "staff_persons"\n{BOTH}year = 2023\n', 420 / 400),
        # (100 x 40 + 300 x 44) / 400
        (f'[fact.metric]\nkpi = "staff_mean_age_years"\n{BOTH}year = 2023\n'
         'weight = "staff_persons"\n', 43.0),
        # (110 x 41 + 310 x 45) / 420 - 43
        (f'[fact.metric]\nkpi = "staff_mean_age_years"\n{BOTH}year = 2024\n'
         'weight = "staff_persons"\n[fact.subtract]\nkpi = "staff_mean_age_years"\n'
         f'{BOTH}year = 2023\nweight = "staff_persons"\n', 18460 / 420 - 43.0),
        # retirements per year: 20, 18, 17
        (f'[fact.metric]\nkpi = "retirements_persons"\n{BOTH}years = [2023, 2025]\n'
         'aggregation = "sum"\n', 55.0),
        (f'[fact.metric]\nkpi = "retirements_persons"\n{BOTH}years = [2023, 2025]\n'
         'aggregation = "mean"\n', 55 / 3),
        (f'[fact.metric]\nkpi = "retirements_persons"\n{BOTH}years = [2023, 2025]\n'
         'aggregation = "max"\n', 20.0),
        (f'[fact.metric]\nkpi = "retirements_persons"\n{BOTH}years = [2023, 2025]\n'
         'aggregation = "last"\n', 17.0),
        ('[fact.metric]\nkpi = "retirements_persons"\nlevel = "kreis"\nyear = 2024\n', 12.0),
        # Mondays 4.9., 11.9., 18.9., 25.9. lie in September: 2 + 4 + 8 + 16
        ('[fact.metric]\ntable = "weekly"\ncolumn = "arrivals"\nservice = "kfz_zulassung"\n'
         'land = "05"\nweeks = [2023-09-01, 2023-09-30]\naggregation = "sum"\n', 30.0),
        ('[fact.metric]\ntable = "weekly"\ncolumn = "arrivals"\n'
         'weeks = [2023-09-01, 2023-09-30]\naggregation = "max"\n', 16.0),
    ],
)
def test_metric_values_by_hand(tmp_path, body, expected):
    fact = one_fact(tmp_path, "observed = [0, 1000]\n" + body)
    result = judge(fact, TABLES)
    assert result.simulated == pytest.approx(expected, rel=1e-12)
    assert result.status == "pass"


def test_judgement(tmp_path):
    metric = f'[fact.metric]\nkpi = "staff_persons"\n{BOTH}year = 2024\n'  # 420
    tol = 'tolerance_reason = "seed noise"\n'

    def status(head: str) -> tuple[str, str]:
        r = judge(one_fact(tmp_path, head + metric), TABLES)
        return r.status, r.note

    assert status("observed = [420, 420]\n")[0] == "pass"
    assert status("observed = [421, 430]\n") == ("FAIL", "simulated 420 is outside 421–430")
    assert status(f"observed = [421, 430]\ntolerance = 1\n{tol}")[0] == "pass"
    assert status(f"observed = [421, 430]\ntolerance = 0.5\n{tol}")[0] == "FAIL"
    gap = 'known_gap = "why"\n'
    assert status(gap + "observed = [421, 430]\n")[0] == "known gap"
    assert status(gap + "observed = [400, 430]\n")[0] == "pass (known gap)"
    inputs = 'role = "input"\n'.join(HEAD.rsplit('role = "held_out"\n', 1))
    r = judge(load_facts(write(tmp_path, inputs + "observed = [1, 2]\n" + metric))[0], TABLES)
    assert (r.status, r.note) == ("input", "simulated 420 is outside 1–2")


def test_missing_output_fails_unless_known_gap(tmp_path):
    later = f'[fact.metric]\nkpi = "staff_persons"\n{BOTH}year = 2030\n'
    r = judge(one_fact(tmp_path, "observed = [1, 2]\n" + later), TABLES)
    assert r.status == "FAIL" and r.simulated is None
    assert r.note == "no output: years 2030 are not in the run (years 2023-2025)"
    efa = '[fact.metric]\nkpi = "efa_adoption_share"\nyear = 2024\n'
    r = judge(one_fact(tmp_path, 'known_gap = "later"\nobserved = [1, 2]\n' + efa), TABLES)
    assert r.status == "known gap"
    assert r.note == "no output: KPI 'efa_adoption_share' has no rows in the run"
    land = '[fact.metric]\nkpi = "staff_persons"\nlevel = "land"\nyear = 2024\n'
    r = judge(one_fact(tmp_path, "observed = [1, 2]\n" + land), TABLES)
    assert r.note == "no output: kpis has no rows with level land for KPI 'staff_persons'"


def test_summing_a_mean_column_is_an_error(tmp_path):
    body = ('observed = [1, 2]\n[fact.metric]\ntable = "weekly"\ncolumn = "lead_time_weeks"\n'
            "weeks = [2023-09-01, 2023-09-30]\naggregation = 'mean'\n")  # fmt: skip
    tables = {"weekly": pd.concat([weekly_rows(), weekly_rows().assign(land="06")])}
    with pytest.raises(ScenarioError, match="key 'metric.weight': is required: "
                       "'lead_time_weeks' is a mean and 2 rows match"):  # fmt: skip
        judge(one_fact(tmp_path, body), tables)
    assert judge(one_fact(tmp_path, body), {"weekly": weekly_rows()}).simulated == 1.5
    bad = body.replace("lead_time_weeks", "arrivalz")
    with pytest.raises(ScenarioError, match="key 'metric.column': table 'weekly' has no column "
                       "'arrivalz'; allowed: land, level"):  # fmt: skip
        judge(one_fact(tmp_path, bad), {"weekly": weekly_rows()})


def test_each_scenario_and_seed_runs_once(tmp_path):
    kpi = f'observed = [0, 1e9]\n[fact.metric]\nkpi = "staff_persons"\n{BOTH}year = 2024\n'
    weekly = ('observed = [0, 1e9]\n[fact.metric]\ntable = "weekly"\ncolumn = "arrivals"\n'
              "weeks = [2023-09-01, 2023-09-30]\naggregation = 'sum'\n")  # fmt: skip
    text = HEAD + kpi + HEAD.replace('"f"', '"g"') + weekly + HEAD.replace('"f"', '"h"') + kpi
    facts = load_facts(write(tmp_path, text))
    assert table_set(facts[:1]) == "kpis" and table_set(facts) == "aggregates"
    calls = []

    def runner(scenario, seed, tables):
        calls.append((scenario.name, seed, tables))
        return TABLES

    cache = RunCache(runner=runner)
    results = validate(facts, cache=cache)
    assert [r.status for r in results] == ["pass", "pass", "pass"]
    assert calls == [("baseline", 0, "aggregates")]
    validate(facts[:1], cache=cache)  # a smaller table set: reused
    assert len(calls) == 1
    validate(facts, seed=3, cache=cache)
    assert calls[-1] == ("baseline", 3, "aggregates")
    twice = validate(facts + facts, cache=cache)  # two files may reuse an id: kept apart
    assert [r.fact.id for r in twice] == ["f", "g", "h"] * 2 and len(calls) == 2


def test_ranges_print_so_that_bounds_differ():
    assert fmt_range(1.03491, 1.03503)[0] == "1.0349–1.0350"
    assert fmt_range(0.015, 0.025)[0] == "0.015–0.025"
    assert fmt_range(23_745_000, 23_755_000)[0] == "23,745,000–23,755,000"
    assert fmt_range(693_019, 693_019)[0] == "693,019"


# --- the shipped facts ------------------------------------------------------------------------
def shipped() -> dict[str, dict]:
    with SHIPPED.open("rb") as f:
        return {e["id"]: e for e in tomllib.load(f)["fact"]}


def test_shipped_facts_are_complete():
    facts = load_facts(SHIPPED)
    roles = [f.role for f in facts]
    assert roles.count("held_out") >= 5 and "calibrated" in roles and "input" in roles
    for f in facts:
        modelled = not (f.known_gap or "").startswith("not modelled")
        if f.known_gap and modelled:  # the reason quotes the measured value
            assert re.search(r"simulated \d", f.known_gap), f.id
        if f.metric is not None and modelled and f.role != "input":  # inputs: not judged
            assert f.tolerance > 0 and "seed" in f.tolerance_reason, f.id
    calibration = (ROOT / "docs" / "CALIBRATION.md").read_text(encoding="utf-8")
    missing = [f.id for f in facts if f"`{f.id}`" not in calibration]
    assert not missing, f"docs/CALIBRATION.md does not mention {missing}"


def _interval_ratio(num: float, num_step: float, den: float, den_step: float):
    """The ratio of two rounded figures: (num - step/2) / (den + step/2) ... (num + ...)."""
    return ((num - num_step / 2) / (den + den_step / 2),
            (num + num_step / 2) / (den - den_step / 2))  # fmt: skip


def test_shipped_destatis_ranges_match_the_packaged_tables():
    """Observed ranges are the rounding intervals of the packaged Destatis figures: not
    narrower (they would exclude the truth) and not wider than the printed digits allow."""
    facts = shipped()
    head = pd.read_csv(DATA / "staff_headcount_74111-0001.csv").set_index(["year", "level"])
    age = pd.read_csv(DATA / "staff_mean_age_74111-0003.csv")
    age = age[(age["status"] == "total") & (age["sex"] == "total")]
    age = age.set_index(["year", "level"])["mean_age_years"]
    retired = pd.read_csv(DATA / "staff_retirements_beamte_74211-0003.csv")
    retired = retired.set_index(["year", "level"])["retired_beamte"]
    expected = {}
    for fid, lv in [("kommunen", "kommunen"), ("land", "land"), ("bund", "bund"),
                    ("sozialversicherung", "sozialversicherung")]:  # fmt: skip
        h = head["headcount"]
        expected[f"headcount_change_{fid}_2024"] = _interval_ratio(h[2024, lv], 100,
                                                                   h[2023, lv], 100)
        for year in (2023, 2024):
            a = age[year, lv]
            key = f"input_mean_age_{fid}_2023" if year == 2023 else f"mean_age_{fid}_2024"
            expected[key] = (a - 0.05, a + 0.05)
    expected["retirements_beamte_kommunen_2024"] = _interval_ratio(
        retired[2024, "kommunen"], 5, head["headcount"][2024, "kommunen"], 100)
    assert retired[2024, "kommunen"] == 6435
    for fid, (lo, hi) in expected.items():
        got_lo, got_hi = facts[fid]["observed"]
        assert got_lo <= lo + 1e-12 and got_hi >= hi - 1e-12, (fid, lo, hi)
        # rounded outwards at the file's last digit, no further
        step = 10.0 ** -max(len(repr(got_lo).split(".")[1]), len(repr(got_hi).split(".")[1]))
        assert lo - got_lo < step and got_hi - hi < step, (fid, got_lo, got_hi, lo, hi)


def test_shipped_facts_pass(capsys):
    """The acceptance run: every shipped fact, one baseline run; exit code 0."""
    rc = main(["validate", "--facts", str(SHIPPED)])
    out = capsys.readouterr().out
    assert rc == 0, out
    for fid in shipped():
        assert re.search(rf"^{fid}\s", out, re.M), fid
    summary = out.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ facts: \d+ pass, 0 FAIL, \d+ known gaps, \d+ inputs \(not judged\)",
                        summary), summary  # fmt: skip


def test_wrong_fact_fails_with_a_readable_line(tmp_path, capsys):
    """A deliberately wrong fact on a two-year run: exit code 1 and one FAIL line."""
    write(tmp_path, f'[scenario]\nextends = "{BASELINE.as_posix()}"\nname = "short"\n'
          "end = 2024-12-31\n", "short.toml")  # fmt: skip
    facts = write(tmp_path, """
[[fact]]
id = "wrong_headcount_change"
description = "Municipal staff 2024 over 2023 (deliberately wrong: doubled)"
source = "test fixture"
role = "held_out"
scenario = "short.toml"
observed = [2.0, 2.1]
[fact.metric]
kpi = "staff_persons"
level = ["gemeinde", "kreis"]
year = 2024
[fact.divide_by]
kpi = "staff_persons"
level = ["gemeinde", "kreis"]
year = 2023
""")
    rc = main(["validate", "--facts", str(facts)])
    out = capsys.readouterr().out
    assert rc == 1
    (line,) = [x for x in out.splitlines() if x.startswith("FAIL")]
    m = re.fullmatch(r"FAIL wrong_headcount_change \(held_out\): simulated (\d\.\d+) is outside "
                     r"2\.0–2\.1\. Municipal staff .* \[.*facts\.toml; source: test fixture\]",
                     line)  # fmt: skip
    assert m, line
    assert 0.9 < float(m.group(1)) < 1.1
    assert out.strip().splitlines()[-1] == "1 facts: 0 pass, 1 FAIL, 0 known gaps, 0 inputs " \
        "(not judged)"


def test_cli_bad_file_is_one_line(tmp_path, capsys):
    path = write(tmp_path, HEAD + "observed = [1]\n")
    assert main(["validate", "--facts", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"foedsim: error: {path}: fact 'f': key 'observed': must be a list of two "
                   "numbers [low, high], copied from the source")  # fmt: skip
    assert main(["validate", "--facts", str(tmp_path / "none.toml")]) == 2
    assert capsys.readouterr().err.strip().endswith("none.toml: file not found")


def test_tolerances_cover_measured_spread():
    """Tolerances are 3 x the recorded sd (the reasons quote it), rounded to two digits."""
    for f in load_facts(SHIPPED):
        if f.tolerance_reason:
            sd = float(re.search(r"sd ([\d,.]+)", f.tolerance_reason).group(1).replace(",", ""))
            assert math.isclose(f.tolerance, 3 * sd, rel_tol=0.1), f.id


def test_week_periods_use_dates():
    fact = load_facts(SHIPPED)
    kfz = next(f for f in fact if f.id == "input_kfz_transactions_2023_24")
    assert kfz.metric.period == ("week", dt.date(2023, 9, 1), dt.date(2024, 8, 31))
