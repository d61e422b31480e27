"""The parameter registry: provenance of every parameter, value checks, rendering."""

import pytest

from model.parameters import REGISTRY, Parameter, Registry


def test_every_parameter_has_source_or_ranged_assumption():
    problems = REGISTRY.problems()
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    "bad, expected",
    [
        (Parameter("x", 1.0, "1", "d", "uncertainty", "m"), "neither a source nor an assumption"),
        (Parameter("x", 1.0, "1", "d", "lever", "m", assumption="why"), "without a low-high range"),
        (
            Parameter("x", 2.0, "1", "d", "uncertainty", "m", assumption="why", low=0, high=1),
            "outside its range",
        ),
        (
            Parameter("x", 1.0, "1", "d", "uncertainty", "m", source="Destatis"),
            "uncertainty without",
        ),
        (Parameter("x", "c", "-", "d", "lever", "m", source="s", choices=("a", "b")), "not among"),
        (Parameter("x", 1.0, "1", "d", "sometimes", "m", source="s"), "role 'sometimes'"),
        (
            Parameter("x", 0.5, "1", "d", "lever", "m", assumption="a\nb", low=0, high=1),
            "one line",
        ),
    ],
)
def test_provenance_check_catches_bad_definitions(bad, expected):
    problems = Registry((bad,)).problems()
    assert any(expected in p for p in problems), problems


def test_duplicate_names_rejected():
    p = Parameter("x", 1.0, "1", "d", "constant", "m", source="s")
    with pytest.raises(ValueError, match="defined twice"):
        Registry((p, p))


def test_check_value():
    util = REGISTRY["utilisation_2023"]
    assert util.check_value(0.9) is None
    assert "between" in util.check_value(1.6)
    assert "number" in util.check_value("high")
    assert "number" in util.check_value(True)
    assert "constant" in REGISTRY["fte_hours_per_year"].check_value(1700)
    assert "one of" in REGISTRY["granularity"].check_value("kreis")
    assert REGISTRY["granularity"].check_value("gemeinde") is None


def test_roles_and_ranges_for_uncertainties():
    for p in REGISTRY.by_role("uncertainty"):
        assert p.low is not None and p.high is not None and p.low < p.high, p.name
    assert {p.role for p in REGISTRY.values()} <= {"constant", "uncertainty", "lever"}


def test_renderings_contain_every_parameter():
    csv_text = REGISTRY.to_csv()
    md = REGISTRY.to_markdown()
    assert csv_text.count("\n") == len(REGISTRY) + 1
    for name in REGISTRY:
        assert name in csv_text and f"| {name} |" in md
