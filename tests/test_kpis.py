"""The KPI dictionary is complete and unambiguous."""

from model.kpis import AGGREGATIONS, KPI_BY_NAME, KPIS, kpi_markdown


def test_names_unique_and_snake_case():
    names = [k.name for k in KPIS]
    assert len(names) == len(set(names)) == len(KPI_BY_NAME)
    assert all(n == n.lower() and " " not in n for n in names)


def test_fields_valid():
    for k in KPIS:
        assert k.aggregation in AGGREGATIONS, k.name
        assert k.better in ("lower", "higher", "neutral"), k.name
        assert k.services in ("application", "running_case", "all"), k.name
        assert k.unit and k.meaning.endswith("."), k.name


def test_issue_kpis_present():
    # The KPIs issue 2 names explicitly.
    for name in (
        "backlog_cases",
        "lead_time_weeks",
        "share_cases_lead_over_4w",
        "share_cases_lead_over_8w",
        "share_cases_lead_over_12w",
        "staff_fte",
        "staff_gap_fte",
        "cost_total_eur",
    ):
        assert name in KPI_BY_NAME
    assert KPI_BY_NAME["backlog_cases"].aggregation == "year_end"
    assert KPI_BY_NAME["arrivals_cases"].aggregation == "year_sum"


def test_markdown_lists_all():
    md = kpi_markdown()
    assert all(f"| {k.name} |" in md for k in KPIS)
