"""The KPI dictionary: name, unit, aggregation and meaning of every reported KPI.

One place for every KPI the project reports. The run tables (``kpis`` table: one row per
year x KPI x breakdown) use these names; the comparison, figures and report read them from
here. Later issues add KPIs; none is ever redefined (a test checks names are unique and that
every KPI a run writes is defined here).

Aggregations over a model year (weeks of that year):

- ``year_end``: the value in the last week of the year (stocks such as backlog).
- ``year_mean``: the mean over the weeks of the year (levels such as staff FTE).
- ``year_sum``: the sum over the weeks of the year (flows such as arrivals or cost).
- ``year_case_weighted_mean``: the mean over the cases completed in the year (lead time).
- ``mid_year``: the value on 30 June (the reference date of the Destatis staff statistics).
- ``year_case_quantile``: a quantile over the cases completed in the year (lead time median,
  90th percentile).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from model.parameters import markdown_table

Aggregation = Literal["year_end", "year_mean", "year_sum", "year_case_weighted_mean", "mid_year",
                      "year_case_quantile"]
AGGREGATIONS: tuple[str, ...] = ("year_end", "year_mean", "year_sum", "year_case_weighted_mean",
                                 "mid_year", "year_case_quantile")  # fmt: skip


@dataclass(frozen=True)
class KPI:
    """One key performance indicator.

    Attributes:
        name: Column / KPI name (snake_case, unit suffix where it helps).
        unit: Unit of the value.
        aggregation: How weekly values become a yearly value (see module docstring).
        meaning: What it measures, in one or two plain sentences.
        better: ``lower``, ``higher`` or ``neutral`` (for sentences and colour scales).
        services: Which services it covers: ``application``, ``running_case`` or ``all``.
        issue: The issue that introduced it (for the changelog of the dictionary).
    """

    name: str
    unit: str
    aggregation: Aggregation
    meaning: str
    better: Literal["lower", "higher", "neutral"]
    services: Literal["application", "running_case", "all"]
    issue: int


# fmt: off
KPIS: tuple[KPI, ...] = (
    # --- workload and service (weekly engine, issue 3) -------------------------------------
    KPI("arrivals_cases", "cases", "year_sum", "New cases arriving (applications, or case-years of running cases due for work).", "neutral", "all", 3),  # noqa: E501
    KPI("completions_cases", "cases", "year_sum", "Cases decided (applications) or case-years worked (running cases).", "higher", "all", 3),  # noqa: E501
    KPI("backlog_cases", "cases", "year_end", "Open applications waiting for a decision at the end of the year.", "lower", "application", 3),  # noqa: E501
    KPI("overdue_reviews_cases", "case-years", "year_end", "Running cases whose due review or recalculation has not been done (the backlog of running-case services; they have no application lead time).", "lower", "running_case", 3),  # noqa: E501
    KPI("lead_time_weeks", "weeks", "year_case_weighted_mean", "Mean time from arrival to decision over the applications decided in the year.", "lower", "application", 3),  # noqa: E501
    KPI("share_cases_lead_over_4w", "1", "year_case_weighted_mean", "Share of decided applications whose lead time exceeded 4 weeks: all of an agency's week if its office time (queue and processing, the week's mean) did, else those whose wait outside the office (exponential, model/stages.py) makes up the rest.", "lower", "application", 3),  # noqa: E501
    KPI("share_cases_lead_over_8w", "1", "year_case_weighted_mean", "As above, over 8 weeks.", "lower", "application", 3),  # noqa: E501
    KPI("share_cases_lead_over_12w", "1", "year_case_weighted_mean", "As above, over 12 weeks.", "lower", "application", 3),  # noqa: E501
    KPI("staff_fte", "FTE", "year_mean", "Full-time equivalents working on the modelled services.", "neutral", "all", 3),  # noqa: E501
    KPI("utilisation", "1", "year_mean", "Staff minutes used over staff minutes available.", "neutral", "all", 3),  # noqa: E501
    # --- staff decline (issue 5) -----------------------------------------------------------
    KPI("staff_persons", "persons", "mid_year", "Staff (heads) working on the modelled services on 30 June (whole persons; their agencies' other work is not modelled).", "neutral", "all", 5),  # noqa: E501
    KPI("staff_mean_age_years", "years", "mid_year", "Mean exact age of that staff on 30 June (comparable with Destatis 74111-0003).", "neutral", "all", 5),  # noqa: E501
    KPI("retirements_persons", "persons", "year_sum", "Staff who retired in the year.", "neutral", "all", 5),  # noqa: E501
    KPI("retirements_beamte_persons", "persons", "year_sum", "Beamte who retired in the year (comparable with Destatis 74211-0003).", "neutral", "all", 5),  # noqa: E501
    KPI("other_leavers_persons", "persons", "year_sum", "Staff who left for other reasons (quits, moves, death, disability).", "neutral", "all", 5),  # noqa: E501
    KPI("hires_persons", "persons", "year_sum", "Staff hired.", "neutral", "all", 5),  # noqa: E501
    KPI("unfilled_posts_fte", "FTE", "year_end", "Budgeted positions without a person, in FTE.", "lower", "all", 5),  # noqa: E501
    KPI("staff_available_fte", "FTE", "year_mean", "FTE of the staff persons on the modelled services after the learning curve of new hires (without one-off programme staff).", "higher", "all", 5),  # noqa: E501
    KPI("staff_needed_fte", "FTE", "year_mean", "FTE needed to hold the 2023 utilisation (hence lead times) at this year's demand and productivity.", "neutral", "all", 5),  # noqa: E501
    KPI("staff_gap_fte", "FTE", "year_mean", "Staff needed minus staff available (positive: too few).", "lower", "all", 5),  # noqa: E501
    KPI("staff_shortfall_fte", "FTE", "year_mean", "Sum over agencies of staff needed minus available where it is positive: the gap that surplus staff in other agencies cannot fill.", "lower", "all", 5),  # noqa: E501
    KPI("applicants_persons", "persons", "year_sum", "Applicants to the modelled public posts: recruitment share x attractiveness x working-age population (nationwide only).", "neutral", "all", 5),  # noqa: E501
    # --- execution modes (issue 6) ---------------------------------------------------------
    KPI("fte_freed_local_tasks", "FTE", "year_end", "Municipal FTE freed by centralisation and moved to local tasks.", "higher", "all", 6),  # noqa: E501
    KPI("automated_share", "1", "year_case_weighted_mean", "Share of cases decided without staff time (Dunkelverarbeitung).", "higher", "all", 6),  # noqa: E501
    KPI("efa_adoption_share", "1", "year_end", "Share of responsible agencies using the EfA online service, nationwide.", "higher", "all", 6),  # noqa: E501
    # --- cost, citizen time, CO2 (issue 7) -------------------------------------------------
    KPI("cost_total_eur", "EUR (2025 prices)", "year_sum", "Erfüllungsaufwand of the administration for the modelled services: personnel (with overhead and workplace), IT and migration costs (docs/COSTS.md; the IT part rests on ranged assumptions only).", "lower", "all", 7),  # noqa: E501
    KPI("cost_personnel_eur", "EUR (2025 prices)", "year_sum", "Staff hours x Leitfaden wage rate of the executing level (Stand 2025), plus overhead (KGSt, AGebV) and workplace costs.", "lower", "all", 7),  # noqa: E501
    KPI("cost_it_eur", "EUR (2025 prices)", "year_sum", "IT costs: decentral procedures per agency and service, platform and EfA build, run and per-case costs with economies of scale (every parameter a ranged assumption: assumption-driven).", "lower", "all", 7),  # noqa: E501
    KPI("cost_migration_eur", "EUR (2025 prices)", "year_sum", "One-off costs of agencies handing a service to a central platform or joining an EfA service.", "lower", "all", 7),  # noqa: E501
    KPI("cost_discounted_eur", "EUR (2025 present value)", "year_sum", "Total cost discounted to 2025 at the registry's discount rate (years before 2025 compound up).", "lower", "all", 7),  # noqa: E501
    KPI("cost_per_case_eur", "EUR/case", "year_case_weighted_mean", "Total cost over completed cases (applications and case-years of running cases).", "lower", "all", 7),  # noqa: E501
    KPI("citizen_hours", "h", "year_sum", "Citizens' time for visits to offices (Leitfaden Wegezeiten by the level of the office visited).", "lower", "application", 7),  # noqa: E501
    KPI("co2_tonnes", "t CO2", "year_sum", "CO2 of citizens' visits to offices (distance per visit x CO2 per person-km, both ranged).", "lower", "application", 7),  # noqa: E501
    KPI("citizen_trips", "visits", "year_sum", "Citizens' visits to offices for applications: offline applications at the local office, a share of them at central offices, at least one for in-person services.", "lower", "application", 7),  # noqa: E501
    KPI("online_share", "1", "year_case_weighted_mean", "Share of applications made online (decentral share of the service's group, raised by EfA services and central platforms).", "higher", "application", 7),  # noqa: E501
    # --- the path of a case (issue 16) -----------------------------------------------------
    KPI("office_lead_time_weeks", "weeks", "year_case_weighted_mean", "Mean time the applications decided in the year spent at the office: queue and processing, without the waits outside it for the applicant's documents or another agency's statement (lead_time_weeks minus those).", "lower", "application", 16),  # noqa: E501
    KPI("lead_time_median_weeks", "weeks", "year_case_quantile", "Median lead time of the applications decided in the year, per service (all levels): each group-week's decisions take its mean office time plus, for the share that waits outside the office, an exponential outside wait (model/stages.py).", "lower", "application", 16),  # noqa: E501
    KPI("lead_time_p90_weeks", "weeks", "year_case_quantile", "90th percentile of the lead time of the applications decided in the year, per service (all levels), as for the median.", "lower", "application", 16),  # noqa: E501
    KPI("waiting_outside_cases", "cases", "year_mean", "Applications open but waiting outside the office for the applicant's documents or another agency's statement, mean over the year (Little's law: weekly arrivals x mean outside wait; model/stages.py). Open applications = backlog_cases + these.", "neutral", "application", 16),  # noqa: E501
)
# fmt: on

KPI_BY_NAME: dict[str, KPI] = {k.name: k for k in KPIS}


def kpi_rows() -> list[dict[str, str]]:
    """Return the dictionary as rows of strings (for CSV, Markdown and the terminal)."""
    return [
        {
            "name": k.name,
            "unit": k.unit,
            "aggregation": k.aggregation,
            "better": k.better,
            "services": k.services,
            "issue": str(k.issue),
            "meaning": k.meaning,
        }
        for k in KPIS
    ]


def kpi_markdown() -> str:
    """Render the KPI dictionary as a Markdown table."""
    return markdown_table(kpi_rows())
