"""The parameter registry: every model parameter in one place.

Each parameter has a default, a unit, and either a source or an assumption with a range
(``low <= default <= high``) and a one-line reason. Its *role* says how it is used:

- ``constant``: a sourced fact or a definition; scenarios may not change it.
- ``uncertainty``: something we do not know well; batches sample it between ``low`` and
  ``high`` (a batch may narrow, never widen, the range); scenarios may set it.
- ``lever``: a policy choice that scenarios set (a granularity, a reform date, a mode).

Ranges live only here. Batch files and scenarios refer to parameters by name. The registry is
printed by ``foedsim params`` and rendered into docs/PARAMETERS.md.

Later modules add their parameters to ``PARAMETERS`` below, one per line, grouped by the module
that reads them (in the style of Covasim's ``parameters.py``).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

Role = Literal["constant", "uncertainty", "lever"]
ROLES: tuple[Role, ...] = ("constant", "uncertainty", "lever")

Value = float | int | str | bool


@dataclass(frozen=True)
class Parameter:
    """One model parameter.

    Attributes:
        name: Identifier used in code, scenario files and batch designs (snake_case).
        default: Default value.
        unit: Unit of the value (``"1"`` for dimensionless shares).
        description: What the parameter means, in one sentence.
        role: ``constant``, ``uncertainty`` or ``lever``.
        module: The model module that reads it (intake, processing, staffing, ...).
        source: Citation when the value is sourced (outlet, table, year).
        assumption: One-line reason when the value is an assumption.
        low: Lower end of the plausible range (required for assumptions and uncertainties).
        high: Upper end of the plausible range.
        bounds: Hard validity limits ``(min, max)`` for any value a scenario may set; values
            outside are meaningless (a share above 1). Defaults to ``(low, high)``.
        choices: Allowed values of a categorical parameter.
    """

    name: str
    default: Value
    unit: str
    description: str
    role: Role
    module: str
    source: str | None = None
    assumption: str | None = None
    low: float | None = None
    high: float | None = None
    bounds: tuple[float, float] | None = None
    choices: tuple[str, ...] | None = None

    @property
    def is_categorical(self) -> bool:
        """True if the parameter takes one of a fixed set of values."""
        return self.choices is not None

    @property
    def valid_range(self) -> tuple[float, float] | None:
        """The range a scenario value must lie in (hard bounds, else the plausible range)."""
        if self.bounds is not None:
            return self.bounds
        if self.low is not None and self.high is not None:
            return (self.low, self.high)
        return None

    @property
    def provenance(self) -> str:
        """``source: ...`` or ``assumption: ... (range low-high)`` for tables."""
        if self.source:
            return f"source: {self.source}"
        return f"assumption: {self.assumption} (range {self.low}-{self.high})"

    def problems(self) -> list[str]:
        """Return what is wrong with this definition (empty when it is well formed)."""
        out: list[str] = []
        if self.role not in ROLES:
            out.append(f"role {self.role!r} is not one of {', '.join(ROLES)}")
        if not self.source and not self.assumption:
            out.append("has neither a source nor an assumption")
        ranged = self.low is not None and self.high is not None
        if self.assumption and not self.source and not self.is_categorical and not ranged:
            out.append("is an assumption without a low-high range")
        if self.is_categorical:
            if self.default not in (self.choices or ()):
                out.append(f"default {self.default!r} is not among its choices")
        elif isinstance(self.default, bool) or not isinstance(self.default, int | float):
            out.append("a non-categorical parameter must have a numeric default")
        else:
            if self.role == "uncertainty" and (self.low is None or self.high is None):
                out.append("is an uncertainty without a low-high range")
            if ranged and not self.low <= self.default <= self.high:
                out.append(f"default {self.default} is outside its range {self.low}-{self.high}")
            rng = self.valid_range
            if rng is not None and not rng[0] <= self.default <= rng[1]:
                out.append(f"default {self.default} is outside its bounds {rng}")
        if self.assumption and len(self.assumption.splitlines()) > 1:
            out.append("the assumption's reason must be one line")
        return out

    def check_value(self, value: object) -> str | None:
        """Return why ``value`` is not allowed for this parameter, or None if it is.

        Args:
            value: A value from a scenario file (already parsed from TOML).
        """
        if self.role == "constant":
            return f"is a sourced constant ({self.source}) and cannot be set by a scenario"
        if self.is_categorical:
            if value not in (self.choices or ()):
                return f"must be one of {', '.join(map(repr, self.choices or ()))}"
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"must be a number in {self.unit}"
        if isinstance(value, float) and not math.isfinite(value):
            return "must be a finite number"
        rng = self.valid_range
        if rng is not None and not rng[0] <= value <= rng[1]:
            return f"must lie between {rng[0]} and {rng[1]} ({self.unit})"
        return None


@dataclass(frozen=True)
class Registry(Mapping[str, Parameter]):
    """An ordered, read-only collection of parameters keyed by name."""

    parameters: tuple[Parameter, ...]
    _by_name: dict[str, Parameter] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name: dict[str, Parameter] = {}
        for p in self.parameters:
            if p.name in by_name:
                raise ValueError(f"parameter {p.name!r} is defined twice in the registry")
            by_name[p.name] = p
        object.__setattr__(self, "_by_name", by_name)

    def __getitem__(self, name: str) -> Parameter:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def defaults(self) -> dict[str, Value]:
        """Return ``{name: default}`` for every parameter."""
        return {p.name: p.default for p in self.parameters}

    def by_role(self, role: Role) -> list[Parameter]:
        """Return the parameters of one role, in registry order."""
        return [p for p in self.parameters if p.role == role]

    def problems(self) -> list[str]:
        """Return every definition problem as ``name: problem`` lines."""
        return [f"{p.name}: {msg}" for p in self.parameters for msg in p.problems()]

    def rows(self) -> list[dict[str, str]]:
        """Return the registry as table rows of strings (for CSV, Markdown and the terminal)."""
        rows = []
        for p in self.parameters:
            rows.append(
                {
                    "name": p.name,
                    "role": p.role,
                    "default": _fmt(p.default),
                    "unit": p.unit,
                    "range": (
                        " | ".join(p.choices)
                        if p.choices
                        else (f"{_fmt(p.low)}-{_fmt(p.high)}" if p.low is not None else "")
                    ),
                    "module": p.module,
                    "description": p.description,
                    "source or assumption": p.provenance,
                }
            )
        return rows

    def to_csv(self) -> str:
        """Render the registry as CSV text."""
        buf = io.StringIO()
        rows = self.rows()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buf.getvalue()

    def to_markdown(self) -> str:
        """Render the registry as a Markdown table."""
        return markdown_table(self.rows())


def markdown_table(rows: Iterable[Mapping[str, str]]) -> str:
    """Render rows of strings as a GitHub Markdown table (pipes in cells escaped)."""
    rows = list(rows)
    if not rows:
        return ""
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(str(r[c]).replace("|", "\\|") for c in cols) + " |")
    return "\n".join(lines) + "\n"


def _fmt(v: object) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v)) if abs(v) >= 1000 else f"{v:g}"
    return "" if v is None else str(v)


# Sources cited more than once.
_LEITFADEN = (
    "Destatis, Leitfaden Erfüllungsaufwand (Stand 2025): 1 Personenjahr = 200 days = 1,600 h "
    "(FACTS.md B.1)"
)

# fmt: off
PARAMETERS: tuple[Parameter, ...] = (
    # --- time ------------------------------------------------------------------------------
    Parameter("weeks_per_year", 52, "weeks/yr", "Weeks per model year in the weekly capacity formula.", "constant", "processing", source="definition: the weekly engine steps 52 weeks a year (ISO years with 53 weeks add one week at the same rates)"),  # noqa: E501
    Parameter("fte_hours_per_year", 1600, "h/FTE-yr", "Productive hours of one full-time equivalent in a year (leave and sickness already deducted).", "constant", "processing", source=_LEITFADEN),  # noqa: E501
    # --- scenario structure (levers) -------------------------------------------------------
    Parameter("granularity", "verwaltung", "-", "Which municipal units become agents: every inhabited Gemeinde, or the administrative units that run offices (Ämter, Verbandsgemeinden, Verwaltungsgemeinschaften, verbandsfreie Gemeinden).", "lever", "agencies", source="Destatis GV100AD 30.11.2025 (Gemeindeverbände); default 'verwaltung' because staff sit in those offices", choices=("verwaltung", "gemeinde")),  # noqa: E501
    Parameter("population_variant", "G2L2W2", "-", "Variant of the 15th koordinierte Bevölkerungsvorausberechnung used for Land population (G2L2W2 moderate).", "lever", "demography", source="Destatis GENESIS 12421-0003 (15th kBV), variants W1-W3 migration, G1L3W1 old, G3L1W3 young", choices=("G2L2W2", "G2L2W1", "G2L2W3", "G1L3W1", "G3L1W3")),  # noqa: E501
    Parameter("demand_follows_demography", "projection", "-", "Whether each service's demand follows its population group per Land along the projections ('projection') or stays at its 2023 level ('constant').", "lever", "demography", source="Destatis 15th kBV by Land (12421-0003) and 16th kBV by age (12421-0002); model/demography.py", choices=("projection", "constant")),  # noqa: E501
    # --- processing ------------------------------------------------------------------------
    Parameter("utilisation_2023", 1.0, "1", "Offered load of each office's filled staff at the start (1.1.2023): FTE = expected demand minutes / (capacity minutes x utilisation). 1 means the filled staff complete their intake and no more, so a backlog neither clears nor grows on average; above 1 it grows.", "uncertainty", "processing", source="the catalogue's minutes per case are derived from cases completed per filled FTE (FACTS C.2 anchors, docs/CATALOGUE.md): at those minutes the observed staff complete their observed intake, i.e. utilisation 1 by construction; range = the anchors' spread (e.g. Elterngeld 87-125 min per case)", low=0.95, high=1.05, bounds=(0.5, 1.5)),  # noqa: E501
    Parameter("initial_office_stock_weeks", 2.0, "weeks", "Open cases at each office on 1.1.2023 (work in progress of earlier years), in weeks of its expected intake, for services decided on a file after intake (model/data/case_stages.csv column file_based); by Little's law the office part of their lead time at the start.", "uncertainty", "processing", source="VdK Hamburg 2018 (docs/LEADTIMES.md): a complete disability-status application takes 14 days at the Versorgungsamt, i.e. 2 weeks of office time; Little's law: stock = intake x office time. Applied to every file-based service (a named generalisation); range 1-4 weeks", low=1.0, high=4.0, bounds=(0.0, 52.0)),  # noqa: E501
    Parameter("office_productivity_sd", 0.18, "1", "Spread of offices of one service in staff time per case: each (agency, service) pair works its cases at the catalogue's minutes x a lognormal factor of mean 1 and this log-sd, drawn from the agency's own counter-based stream offices/<level>/<key>/<service> (the same in every scenario for a given seed). Its staff are sized to the catalogue's minutes, as posts follow a norm, so a slow office runs above utilisation 1 and a fast one below.", "uncertainty", "processing", source="calibrated: lead_wohngeld_berlin_spread (validation/facts.toml; Berlin's 12 Bezirke, one law and one IT system, slowest over fastest Wohngeld office 3.97): 0.18 gives 4.1-4.2 (seeds 0-1), 0.11 gives 2.3-2.4, 0.25 gives 6.1 (docs/CALIBRATION.md). Low end derived independently: two Elterngeld offices of the productivity anchors (docs/CATALOGUE.md: Hannover ~98, Kreis Euskirchen ~87 minutes per case, case workers counted alike), |ln 98/87| = 0.12 = E|X1 - X2| = 2 sd / sqrt(pi), sd = 0.11", low=0.11, high=0.25, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("office_team_fte", 15.0, "FTE", "Size of the team whose pace office_productivity_sd describes: a pair with more initial FTE is that many teams, whose paces average out (its log-sd is office_productivity_sd / sqrt(FTE / team)).", "uncertainty", "processing", source="Berlin Senate, September 2022 (docs/LEADTIMES.md): the Bezirke's Wohngeld offices, which differ by a factor of four, have 7-25 case workers; 15 their middle, range 7-25", low=7.0, high=25.0, bounds=(1.0, 1000.0)),  # noqa: E501
    Parameter("fungible_share", 0.10, "1", "Share of an agency's service staff that may move each week to the service under most backlog pressure.", "uncertainty", "processing", assumption="generalist clerks cover several services in small offices; specialised teams in large ones", low=0.0, high=0.30, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("productivity_factor", 1.0, "1", "Multiplier on cases per staff minute beyond the catalogue's minutes per case.", "uncertainty", "processing", assumption="catalogue minutes are taken at face value; +-15 % for their measurement error", low=0.85, high=1.15, bounds=(0.1, 10.0)),  # noqa: E501
    Parameter("within_week_queueing", "erlang", "-", "Whether a completed case waits at least the within-week queueing time of its office (stationary M/M/c wait at the expected load) on top of the weekly fluid FIFO; 'none' gives the pure fluid rule.", "lever", "processing", source="model design: the weekly engine misses within-week queueing without it (docs/WEEKLY_VS_DES.md)", choices=("erlang", "none")),  # noqa: E501
    Parameter("stationary_load_limit", 0.95, "1", "Expected load up to which the stationary queueing formula gives the within-week wait; at or above it, busy weeks get a random capacity instead (the office is near or over capacity and stationary formulas fail).", "uncertainty", "processing", assumption="chosen against the case-level model (docs/WEEKLY_VS_DES.md): 0.9 to 0.98 bracket the loads where one-year transients dominate", low=0.90, high=0.98, bounds=(0.5, 0.999)),  # noqa: E501
    Parameter("demand_events", "history", "-", "Dated demand events: 'history' applies the reforms of 2023-25 that changed a service's demand (model/data/demand_events.csv: Wohngeld-Plus 1.1.2023, Staatsangehörigkeitsrecht 27.6.2024; a level change and a catch-up surge each); 'none' leaves demand at the catalogue's volume.", "lever", "intake", source="docs/LEADTIMES.md (BMWSB, Destatis, BGBl.) and model/data/demand_events.csv", choices=("history", "none")),  # noqa: E501
    Parameter("case_path", "stages", "-", "Lead time of an application: 'stages' adds the waits outside the office (requests to the applicant for missing documents, consultations of other agencies; model/data/case_stages.csv, model/stages.py) to the office's queue and processing; 'queue' is the office's queue and processing only.", "lever", "processing", source="VdK Hamburg 2018 (docs/LEADTIMES.md): 14 days for a complete, 129 days for the average disability application: applications wait for applicants and other agencies", choices=("stages", "queue")),  # noqa: E501
    Parameter("applicant_response_weeks", 3.0, "weeks", "Mean time from the office's request for missing documents to the applicant's answer (incl. post), per request round.", "uncertainty", "processing", assumption="requests usually set a deadline of two to four weeks (duty to cooperate, §§ 60, 66 SGB I), often extended; no measured German figure found", low=2.0, high=6.0, bounds=(0.0, 52.0)),  # noqa: E501
    Parameter("service_time_cv", 1.0, "1", "Coefficient of variation of the staff time per case (1 = exponential): scales the within-week wait (Allen-Cunneen) and the randomness of a busy week's capacity.", "uncertainty", "processing", assumption="no measured distribution of German case-processing times; exponential-like, 0.5-1.5 covers regular to very mixed caseloads", low=0.5, high=1.5, bounds=(0.0, 3.0)),  # noqa: E501
    Parameter("warmup_weeks", 26, "weeks", "Weeks simulated before the start at the first weeks' demand, then discarded, so that queues start near their steady state rather than empty.", "uncertainty", "processing", assumption="queues at utilisation <= 0.95 forget their start within a few months; 13-52 weeks bracket that", low=13, high=52, bounds=(0, 520)),  # noqa: E501
    Parameter("programme_wind_down_weeks", 26, "weeks", "Weeks after a one-off programme's last application week during which its temporary staff stay to clear the backlog.", "uncertainty", "staffing", assumption="bridging-aid offices kept processing final applications and appeals for months after the deadlines", low=8, high=52, bounds=(0, 520)),  # noqa: E501
    Parameter("volume_scale", 1.0, "1", "Multiplier on every service's baseline annual volume (demand level uncertainty).", "uncertainty", "intake", assumption="catalogue volumes are partly estimates (FACTS.md C.1); +-20 % covers most of their stated ranges", low=0.8, high=1.2, bounds=(0.0, 100.0)),  # noqa: E501
    # --- staffing (model/staffing.py, docs/STAFFING.md) -------------------------------------
    Parameter("staff_model", "dynamic", "-", "Whether staff are persons who age, retire, leave and are hired ('dynamic') or stay at their initial FTE ('constant', the issue-3 engine).", "lever", "staffing", source="model design (issue 5); 'constant' isolates the queueing engine", choices=("dynamic", "constant")),  # noqa: E501
    Parameter("staff_fte_per_person", 0.82, "FTE/person", "Average FTE of one person (part-time work): initial persons = FTE / this, at least one per staffed agency.", "uncertainty", "staffing", assumption="about a third of public staff work part-time (Destatis 74111 reports heads, not FTE); 0.75-0.90 FTE per head", low=0.75, high=0.90, bounds=(0.3, 1.0)),  # noqa: E501
    Parameter("beamte_share_kommunen", 0.13, "1", "Share of Beamte among municipal staff (initial staff and hires).", "uncertainty", "staffing", assumption="Destatis Personalstandstatistik: Kommunen employ mostly Tarifbeschäftigte; about one in eight is a Beamter", low=0.10, high=0.18, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("beamte_share_land", 0.45, "1", "Share of Beamte among the staff of Land offices (not schools or police).", "uncertainty", "staffing", assumption="Land administrations mix Beamte and employees; schools (mostly Beamte) are not modelled", low=0.30, high=0.60, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("beamte_share_bund", 0.53, "1", "Share of Beamte among the staff of federal agencies.", "uncertainty", "staffing", source="AGebV Anlage 1 (BGBl. I 2021 S. 204): 78,121 Beamte and 70,337 Arbeitnehmer in the federal administration's workplace base (FACTS.md A.1)", low=0.40, high=0.65, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("beamte_share_sozialversicherung", 0.10, "1", "Share of Beamte among Jobcenter staff (mapped to the Destatis level Sozialversicherung).", "uncertainty", "staffing", assumption="Bundesagentur für Arbeit staff are mostly employees; municipal Jobcenter staff add few Beamte", low=0.05, high=0.20, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("retirement_age_employees", 64.0, "years", "Mean (exact) retirement age of employees (Arbeitnehmer); Destatis 74211-0008 covers Beamte only.", "uncertainty", "staffing", assumption="employees retire between early pension at 63 and the legal age of 66-67 (issue 5)", low=63.0, high=66.5, bounds=(55.0, 67.0)),  # noqa: E501
    Parameter("retirement_age_sd", 2.0, "years", "Spread (standard deviation) of individual retirement ages around the mean.", "uncertainty", "staffing", assumption="retirements spread from disability and early pension to the legal age", low=1.0, high=3.5, bounds=(0.1, 10.0)),  # noqa: E501
    Parameter("office_cover", "kreis", "-", "Cover for municipal offices that lose their staff: 'kreis' lets the other municipal offices of the Kreis lend staff to an office below office_cover_floor of its initial staff at each quarterly step (model/cover.py); 'none' leaves it stranded until it hires.", "lever", "staffing", source="administrative assistance (Amtshilfe, §§ 4-8 VwVfG) and the shared offices of Ämter and Verwaltungsgemeinschaften (Länder municipal codes)", choices=("kreis", "none")),  # noqa: E501
    Parameter("office_cover_floor", 0.75, "1", "Staff over initial staff below which a municipal office is covered (back to its initial staff), and that a lending office keeps.", "uncertainty", "staffing", assumption="an office below three quarters of its staff can no longer keep its opening hours and hands work to neighbours or the Amt; 0.5-1.0", low=0.5, high=1.0, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("office_cover_productivity", 0.8, "1", "Output of a lent FTE at the covered office relative to the office's own staff (unknown office, travel between town halls).", "uncertainty", "staffing", assumption="no measured figure; 0.5-1.0", low=0.5, high=1.0, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("office_cover_max_share", 0.1, "1", "Largest share of their own staff that the lending offices of a Kreis lend in total.", "uncertainty", "staffing", assumption="offices lend a few hours a week of their clerks; 0.05-0.2", low=0.05, high=0.2, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("retirement_age_shift", 0.0, "years", "Shift of every mean retirement age (a policy that keeps people working longer, or earlier exits).", "lever", "staffing", assumption="policy lever; no shift in the status quo", low=-1.0, high=2.0, bounds=(-5.0, 5.0)),  # noqa: E501
    Parameter("leaver_rate_employees", 0.035, "1/yr", "Yearly probability that an employee leaves for other reasons than retirement (quits, moves, death, disability).", "uncertainty", "staffing", assumption="no sourced turnover of German public employees; 2-6 % a year", low=0.02, high=0.06, bounds=(0.0, 0.5)),  # noqa: E501
    Parameter("leaver_rate_beamte", 0.01, "1/yr", "Yearly probability that a Beamter leaves for other reasons than retirement.", "uncertainty", "staffing", assumption="Beamte are tenured; transfers and deaths only", low=0.005, high=0.02, bounds=(0.0, 0.5)),  # noqa: E501
    Parameter("vacancy_rate_2023", 0.105, "1", "Unfilled posts at the start of 2023 as a share of filled ones: budgeted posts = initial persons x (1 + this), rounded to whole posts.", "uncertainty", "staffing", source="dbb Monitor: 551,500 unfilled posts (November 2023) beside 5.27 million staff (FACTS.md A.3): 551,500 / 5,270,000 = 0.105; dbb's own estimate, so ranged", low=0.05, high=0.13, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("budget_growth", 0.0, "1/yr", "Yearly growth of budgeted posts beyond the agency's workload (posts follow each agency's expected work along the projections).", "lever", "staffing", assumption="status quo: posts follow workload only", low=-0.02, high=0.03, bounds=(-0.2, 0.2)),  # noqa: E501
    Parameter("public_employment_attractiveness", 1.0, "1", "Multiplier on applicants to public employers (pay, image, working conditions).", "lever", "staffing", assumption="status quo 1; campaigns, pay rises or their absence move it", low=0.8, high=1.2, bounds=(0.0, 10.0)),  # noqa: E501
    Parameter("matching_elasticity", 0.5, "1", "Elasticity of hires with respect to applicants in the matching function hires = applicants^e x vacancies^(1-e) (per Land and year).", "uncertainty", "staffing", source="Petrongolo and Pissarides (2001), Journal of Economic Literature 39(2): estimates 0.5-0.7 for the unemployment (job-seeker) elasticity", low=0.3, high=0.7, bounds=(0.05, 0.95)),  # noqa: E501
    Parameter("hiring_size_elasticity", 0.1, "1", "Elasticity of an agency's attractiveness with respect to the population it serves (larger, more urban offices attract more applicants per post).", "uncertainty", "staffing", assumption="cities recruit more easily than rural offices; no sourced elasticity", low=0.0, high=0.3, bounds=(-1.0, 1.0)),  # noqa: E501
    Parameter("hire_age_mean", 38.0, "years", "Mean exact age of new hires.", "uncertainty", "staffing", assumption="trainees (early 20s) and many lateral entrants (30s-50s); 38 keeps the mean staff age of 2023 to 2024 near 74111-0003 (Kommunen 45.0 -> 44.9), the calibration in docs/STAFFING.md", low=32.0, high=42.0, bounds=(18.0, 60.0)),  # noqa: E501
    Parameter("hire_age_sd", 8.0, "years", "Spread of the age of new hires (normal, cut to 18-60).", "uncertainty", "staffing", assumption="hires span trainees to experienced lateral entrants", low=5.0, high=11.0, bounds=(1.0, 20.0)),  # noqa: E501
    Parameter("learning_training_months", 6.0, "months", "Months of training after a hire, at the training productivity.", "uncertainty", "staffing", source="FACTS.md C.2: Düsseldorf Wohngeld office, 6 months' training for first applications (local press 2023)", low=3.0, high=9.0, bounds=(0.0, 36.0)),  # noqa: E501
    Parameter("learning_full_months", 18.0, "months", "Months after a hire at which a person reaches full productivity (linear from the end of training).", "uncertainty", "staffing", source="FACTS.md C.2: Düsseldorf Wohngeld office, independent work only after 18 months (local press 2023)", low=12.0, high=24.0, bounds=(0.0, 60.0)),  # noqa: E501
    Parameter("learning_training_productivity", 0.25, "1", "Productivity of a new hire during training (share of a full clerk).", "uncertainty", "staffing", assumption="trainees process simple cases under supervision", low=0.0, high=0.5, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("productivity_growth", 0.0, "1/yr", "Yearly growth of cases per staff minute (better tools, simpler rules) on top of the catalogue's minutes.", "lever", "staffing", assumption="status quo: no growth; digital tools and simpler law could add up to 2 % a year", low=0.0, high=0.02, bounds=(-0.05, 0.1)),  # noqa: E501
    Parameter("backlog_extra_share", 0.15, "1", "Extra working time of the present staff of an (agency, service) pair while its own backlog exceeds backlog_response_weeks of its expected work (overtime, time shifted from tasks the model does not cover); set at each quarterly staffing step.", "uncertainty", "staffing", assumption="offices under pressure work overtime and postpone other work; a lasting 30 % more is implausible", low=0.0, high=0.3, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("backlog_response_weeks", 2.0, "weeks", "Waiting work (in weeks of the agency's expected work) above which its staff respond with extra time.", "uncertainty", "staffing", assumption="an office notices a backlog of a few weeks; 1-6 weeks", low=1.0, high=6.0, bounds=(0.0, 52.0)),  # noqa: E501
    Parameter("staff_age_shift_east", 0.0, "years", "Shift of the initial mean staff age in the eastern Flächenländer (12-16) against the Destatis level means.", "uncertainty", "staffing", assumption="eastern administrations are often said to be older; no sourced regional figure in the data, so 0 with a range", low=0.0, high=2.0, bounds=(-5.0, 5.0)),  # noqa: E501
    # --- execution modes, migrations, automation (model/migration.py, docs/EXECUTION.md) ------
    Parameter("migration_weeks", 26, "weeks", "Default length of a migration to a central platform: the responsible agencies join wave by wave (their new cases go to the platform), then the remaining backlog is handed over.", "uncertainty", "execution", assumption="state migrations of a procedure take months (Berlin's naturalisation handover: announced 2023, in force 1.1.2024)", low=8, high=78, bounds=(0, 520)),  # noqa: E501
    Parameter("migration_gate", "capacity", "-", "How agencies join a new central platform during its migration: 'capacity' - wave by wave as the calendar allows, but only as far as the platform's staff (hired, after the learning curve) can take their work; 'calendar' - wave by wave whatever the platform's staff (with dynamic staff; constant staff are there at go-live).", "lever", "execution", source="model design: a planned migration waits for the receiving office (docs/EXECUTION.md)", choices=("capacity", "calendar")),  # noqa: E501
    Parameter("parallel_running_weeks", 13, "weeks", "Weeks an agency keeps working off its own open cases after it joined a central platform (its new cases already go there); then it hands the rest over and its staff for the service are freed.", "uncertainty", "execution", assumption="a quarter of parallel running is common; 0 = hand over at once (Berlin's naturalisation office, 1.1.2024)", low=0, high=26, bounds=(0, 260)),  # noqa: E501
    Parameter("platform_it_ready_weeks", 8, "weeks", "Weeks from a central platform's first wave of joining agencies until its IT procedure decides cases: until then it takes applications (and the handed-over open cases) but decides none.", "uncertainty", "execution", assumption="crisis platforms took applications weeks before they could decide them (press reports on the federal Novemberhilfe 2020: applications from late November, regular payments from mid-January, about 7 weeks; not in the project's stored sources, so an assumption); a platform ready on its first day is the range's low end", low=0, high=16, bounds=(0, 104)),  # noqa: E501
    Parameter("migration_productivity_dip", 0.15, "1", "Capacity lost by a central platform during its migration (parallel running, new procedures, set-up).", "uncertainty", "execution", assumption="IT migrations cost a visible share of capacity for months; 0-30 %", low=0.0, high=0.30, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("platform_recruit_lead_weeks", 26, "weeks", "Weeks before go-live at which a new central platform opens its posts and starts hiring.", "uncertainty", "execution", assumption="recruitment for a new office starts a few months before it opens", low=0, high=52, bounds=(0, 260)),  # noqa: E501
    Parameter("remote_request_extra", 1.0, "1", "Extra requests to the applicant at a central platform per unit of the service's local_knowledge score: its request rounds are x (1 + this x local_knowledge), each answered after applicant_response_weeks and waiting in the platform's queue again (model/stages.py).", "uncertainty", "execution", assumption="a remote office without local knowledge (the landlord, the local rent level, the building plot, the household) must ask for what a local office knows or checks at the counter; no measured figure found; 0 (no difference) to 2 (a local-knowledge service's rounds tripled)", low=0.0, high=2.0, bounds=(0.0, 10.0)),  # noqa: E501
    Parameter("local_knowledge_penalty", 0.5, "1", "Extra staff minutes per case at a central platform per unit of the service's local_knowledge score (queries back to the locality, rework).", "uncertainty", "execution", assumption="a service scored 0.2 on local knowledge needs 10 % more time centrally at the default; 0-100 %", low=0.0, high=1.0, bounds=(0.0, 10.0)),  # noqa: E501
    Parameter("front_office_share", 0.3, "1", "Share of the staff minutes of an in-person service (catalogue in_person) that stays in a local front office when its back office moves to a central platform.", "uncertainty", "execution", assumption="identification, biometrics and handing over stay at the counter (Städtetag 2021, FACTS.md E); 20-50 % of the time", low=0.2, high=0.5, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("efa_intake_saving", 0.10, "1", "Staff minutes per case saved by a shared EfA online service and procedure (structured applications, no re-keying).", "uncertainty", "execution", assumption="online applications save intake and data entry; 0-25 % of the case time", low=0.0, high=0.25, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("it_lifetime_years", 8.0, "years", "Lifetime of an agency's own IT procedure for a service; agencies consider joining an EfA service when theirs ends.", "uncertainty", "execution", assumption="specialised procedures are replaced every 5-12 years", low=5.0, high=12.0, bounds=(1.0, 40.0)),  # noqa: E501
    Parameter("efa_choice_at_renewal", 0.04, "1", "Probability that an agency whose IT procedure ends chooses the EfA service (before peer effects).", "uncertainty", "execution", assumption="calibrated: with the EfA services of scenarios/efa_platforms.toml from 2021 it gives nationwide use of 3.2 % in 2023 and 4.9 % in 2024 (seed 0), within the 3-5 % of the Bundesrechnungshof (FACTS.md D); refitted from 0.08 to 0.05 when offices started with their stock of open cases and to 0.04 when offices came to differ in pace (more agencies join under backlog pressure)", low=0.03, high=0.16, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("efa_peer_weight", 1.0, "1", "How much the share of agencies in the same Land already using the EfA service raises the choice at renewal (x (1 + weight x share)).", "uncertainty", "execution", assumption="agencies follow their neighbours; 0-3", low=0.0, high=3.0, bounds=(0.0, 100.0)),  # noqa: E501
    Parameter("efa_join_under_pressure", 0.005, "1/quarter", "Quarterly probability that an agency with a backlog above backlog_response_weeks joins the EfA service regardless of its IT's age.", "uncertainty", "execution", assumption="backlogs push offices to switch, but a switch takes preparation; 0-5 % a quarter", low=0.0, high=0.05, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("efa_onboarding_per_quarter", 100, "agencies/quarter", "Agencies an EfA service can onboard per quarter in one Land (the platform's onboarding capacity).", "uncertainty", "execution", assumption="onboarding takes set-up work by the providing Land; 20-400 offices a quarter", low=20, high=400, bounds=(1, 100000)),  # noqa: E501
    Parameter("automation_rate_decentral", 0.01, "1/yr", "Yearly share of the remaining automation potential realised with decentral tools (Dunkelverarbeitung).", "uncertainty", "execution", assumption="the seed's phase 'tool': decentral procedures automate slowly; 0-3 % of the gap a year", low=0.0, high=0.03, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("automation_rate_efa", 0.05, "1/yr", "As above, on a shared EfA procedure.", "uncertainty", "execution", assumption="the seed's phase 'process': a shared procedure automates faster; 2-10 % a year", low=0.02, high=0.10, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("automation_rate_central", 0.12, "1/yr", "As above, on a data-centred central platform.", "uncertainty", "execution", assumption="the seed's phase 'data': central platforms with register access automate fastest; 5-25 % a year", low=0.05, high=0.25, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("automated_decision_weeks", 0.2, "weeks", "Lead time of a case decided automatically without a clerk (Dunkelverarbeitung): it skips the office's queue, from application to decision.", "uncertainty", "execution", assumption="automated register procedures decide in minutes to days: certificates of good conduct are answered the same day ('tagfertig', BfJ), i-Kfz registrations and the Energiepreispauschale's payments within days; 0.2 weeks = one working day, range 0-1 week", low=0.0, high=1.0, bounds=(0.0, 52.0)),  # noqa: E501
    Parameter("automation_check_share", 0.2, "1", "Share of automated cases still checked by staff.", "uncertainty", "execution", assumption="random and rule-triggered checks of automated decisions; 5-40 %", low=0.05, high=0.4, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("automation_check_minutes_share", 0.25, "1", "Staff time of a check as a share of the service's minutes per case.", "uncertainty", "execution", assumption="a check looks at the result, not the whole case; 10-50 %", low=0.1, high=0.5, bounds=(0.0, 1.0)),  # noqa: E501
    # --- costs and the citizen side (model/costs.py, docs/COSTS.md; issue 7) ------------------
    Parameter("cost_price_year", 2025, "year", "Price year of every cost (constant prices) and the year costs are discounted to.", "constant", "costs", source="definition: the Leitfaden's wage table is Stand 2025 (FACTS.md B.1)"),  # noqa: E501
    Parameter("wage_rate_kommunen_eur_h", 40.70, "EUR/h", "Personnel cost per staff hour of the Kommunen (Gemeinden, Kreise), mean over career groups, without overhead.", "constant", "costs", source="Destatis, Leitfaden Erfüllungsaufwand, Anhang 8 Lohnkostentabelle Verwaltung (Stand 2025): Kommunen average 40.70 EUR/h (FACTS.md B.1; read from a transcription, medium confidence: check against the Leitfaden PDF)"),  # noqa: E501
    Parameter("wage_rate_laender_eur_h", 46.70, "EUR/h", "Personnel cost per staff hour of Land offices (model level land), mean over career groups, without overhead.", "constant", "costs", source="Destatis, Leitfaden Erfüllungsaufwand, Anhang 8 (Stand 2025): Länder average 46.70 EUR/h (FACTS.md B.1; medium confidence)"),  # noqa: E501
    Parameter("wage_rate_sozialversicherung_eur_h", 48.10, "EUR/h", "Personnel cost per staff hour of the Jobcenter (Leitfaden level Sozialversicherung), mean over career groups, without overhead.", "constant", "costs", source="Destatis, Leitfaden Erfüllungsaufwand, Anhang 8 (Stand 2025): Sozialversicherung average 48.10 EUR/h (FACTS.md B.1; medium confidence)"),  # noqa: E501
    Parameter("wage_rate_bund_eur_h", 44.40, "EUR/h", "Personnel cost per staff hour of federal agencies and federal platforms, mean over career groups, without overhead.", "constant", "costs", source="Destatis, Leitfaden Erfüllungsaufwand, Anhang 8 (Stand 2025): Bund average 44.40 EUR/h (FACTS.md B.1; medium confidence)"),  # noqa: E501
    Parameter("overhead_kommunen", 0.20, "1", "Overhead (Gemeinkosten) of Gemeinden and Kreise as a share of personnel costs.", "constant", "costs", source="KGSt Gemeinkostenpauschale: 20 % of gross personnel costs for office workplaces (FACTS.md B.3)"),  # noqa: E501
    Parameter("overhead_bund", 0.281, "1", "Overhead of federal agencies as a share of their direct costs (personnel plus workplace costs).", "constant", "costs", source="AGebV Anlage 1 (BGBl. I 2021 S. 204): Gemeinkostenzuschlag 28.1 % on direct costs (FACTS.md B.2)"),  # noqa: E501
    Parameter("overhead_laender", 0.25, "1", "Overhead of Land offices as a share of personnel costs.", "uncertainty", "costs", assumption="no sourced rate for Land offices; between KGSt's 20 % and AGebV's 28.1 %", low=0.20, high=0.30, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("overhead_sozialversicherung", 0.25, "1", "Overhead of the Jobcenter as a share of personnel costs.", "uncertainty", "costs", assumption="no sourced rate for the Jobcenter (BA and Kommunen); between KGSt's 20 % and AGebV's 28.1 %", low=0.20, high=0.30, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("workplace_cost_eur", 16560.0, "EUR/FTE-yr", "Direct material costs of a workplace a year (administrative expenses, investment, office space), charged per FTE-year.", "uncertainty", "costs", source="AGebV Anlage 1 (2021): Sacheinzelkosten ~16,560 EUR per workplace a year (FACTS.md B.2), at 2021 prices; range from the Hessian Kfz offices' 11,680 EUR (2005 data, FACTS.md B.3) to the 2021 value plus ~20 % price increase to 2025 (assumption)", low=11680.0, high=20000.0, bounds=(0.0, 1e6)),  # noqa: E501
    Parameter("discount_rate", 0.02, "1/yr", "Real discount rate for the present value of costs (discounted to cost_price_year; earlier years compound up).", "uncertainty", "costs", assumption="FACTS.md has no sourced rate; real rates used to appraise public investment lie around 0-4 %", low=0.0, high=0.04, bounds=(-0.05, 0.2)),  # noqa: E501
    Parameter("it_decentral_fixed_eur", 2500.0, "EUR/yr", "Yearly cost of one agency's own IT procedure (Fachverfahren) for one service: licence, operation, updates, interfaces.", "uncertainty", "costs", assumption="no sourced per-service figure (FACTS.md G.7); KGSt 2016: ~3,100 EUR IT cost per municipal IT workplace a year, over 40 % for applications (FACTS.md B.3); a small office's share of a procedure's licence and hosting", low=500.0, high=10000.0, bounds=(0.0, 1e8)),  # noqa: E501
    Parameter("it_decentral_per_case_eur", 0.5, "EUR/case", "IT cost per case of an agency's own procedure (transactions, printing and post, archiving).", "uncertainty", "costs", assumption="no sourced figure (FACTS.md G.7); a few cents to a few euros a case", low=0.1, high=2.0, bounds=(0.0, 1000.0)),  # noqa: E501
    Parameter("it_platform_build_eur", 10e6, "EUR", "One-off cost of building a central platform or an EfA service for one service (software, interfaces, migration tooling) of it_platform_reference_cases cases a year, charged in its go-live year when that lies in the simulated period; it scales with the platform's cases a year ^ it_platform_scale_exponent.", "uncertainty", "costs", assumption="order of magnitude of the EfA funding: ~1.4 billion EUR (BRH 12/2023) over some 100+ EfA services (EfA-Marktplatz; FACTS.md D); processing platforms are larger than online forms", low=3e6, high=40e6, bounds=(0.0, 1e11)),  # noqa: E501
    Parameter("it_platform_run_eur", 2e6, "EUR/yr", "Yearly cost of running a central platform or an EfA service of it_platform_reference_cases cases a year (operation, maintenance, support); it scales like the build cost.", "uncertainty", "costs", assumption="about 10-30 % of the build cost a year; no sourced per-service figure (FACTS.md G.7)", low=0.5e6, high=8e6, bounds=(0.0, 1e10)),  # noqa: E501
    Parameter("it_platform_per_case_eur", 0.3, "EUR/case", "Variable IT cost per case of a platform at the reference volume it_platform_reference_cases (hosting, transactions).", "uncertainty", "costs", assumption="below the decentral per-case cost (pooled hosting, no re-keying); no sourced figure", low=0.05, high=1.5, bounds=(0.0, 1000.0)),  # noqa: E501
    Parameter("it_platform_scale_exponent", 0.8, "1", "Economies of scale of platforms: build, run and variable IT costs grow with (cases / it_platform_reference_cases) ^ exponent; 1 = none.", "uncertainty", "costs", assumption="IT operations show economies of scale; exponents 0.6-1.0 span strong to none", low=0.6, high=1.0, bounds=(0.1, 1.5)),  # noqa: E501
    Parameter("it_platform_reference_cases", 1e6, "cases/yr", "Yearly cases of the reference platform whose build, run and per-case costs the it_platform_* parameters give.", "constant", "costs", source="definition: the reference point of the scale curve (1 million cases a year)"),  # noqa: E501
    Parameter("migration_cost_per_agency_eur", 20000.0, "EUR", "One-off cost for an agency that hands a service to a central platform or joins an EfA service (data migration, training, process change).", "uncertainty", "costs", assumption="a few person-months of staff and IT work per office; no sourced figure", low=5000.0, high=100000.0, bounds=(0.0, 1e9)),  # noqa: E501
    Parameter("online_share_register", 0.05, "1", "Share of applications made online, decentral, for registration, document, civil-status and permit services.", "uncertainty", "citizen", source="i-Kfz: ~1.1 million of 23.75 million vehicle registrations online (4.6 %), 9/2023-8/2024 (dpa, FACTS.md C.1); the range for the other services is an assumption", low=0.02, high=0.15, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("online_share_benefit", 0.2, "1", "Share of benefit applications (Wohngeld, Elterngeld, BAföG, Kindergeld, ...) made online, decentral.", "uncertainty", "citizen", assumption="online forms exist for most benefits but no usage share is sourced; BRH 2023/24: EfA online services 3-5 % used nationwide (FACTS.md D)", low=0.05, high=0.5, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("online_share_programme", 1.0, "1", "Share of applications made online for one-off programmes and the Grundsteuer declaration (portals by design).", "uncertainty", "citizen", assumption="the programmes were applied for through online portals (some via tax advisers); a residue on paper", low=0.8, high=1.0, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("online_share_efa", 0.4, "1", "Online share of applications at agencies that use the service's EfA online service (at least the decentral share).", "uncertainty", "citizen", assumption="a shared, known online service raises use; 20-70 %", low=0.2, high=0.7, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("online_share_central", 0.7, "1", "Online share of applications to a central platform (at least the decentral share).", "uncertainty", "citizen", assumption="one portal with register access (once-only) makes online the default channel; 40-90 %", low=0.4, high=0.9, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("trips_per_offline_application", 1.5, "visits", "Visits to a local office per application not made online (handing in, missing documents, collecting).", "uncertainty", "citizen", assumption="one visit, a second for some applications; 1-2.5", low=1.0, high=2.5, bounds=(0.0, 10.0)),  # noqa: E501
    Parameter("central_office_visit_share", 0.1, "1", "Share of those visits made when the office is a Land or federal office without a local counter (the rest by post or phone).", "uncertainty", "citizen", assumption="central offices are far away; few applicants travel there; 0-30 %", low=0.0, high=0.3, bounds=(0.0, 1.0)),  # noqa: E501
    Parameter("trip_minutes_gemeinde", 15.0, "min", "Citizen time per visit to a Gemeinde office.", "constant", "citizen", source="Leitfaden Erfüllungsaufwand, Anhang 5 Wegezeiten (Stand 2025): Gemeinde 15 min per visit (FACTS.md B.4; medium confidence)"),  # noqa: E501
    Parameter("trip_minutes_kreis", 22.0, "min", "Citizen time per visit to a Kreis office (also Jobcenter and city-states' offices).", "constant", "citizen", source="Leitfaden Erfüllungsaufwand, Anhang 5 Wegezeiten (Stand 2025): Kreis 22 min per visit (FACTS.md B.4; medium confidence)"),  # noqa: E501
    Parameter("trip_minutes_land", 59.0, "min", "Citizen time per visit to a Land office (also federal offices' branches).", "constant", "citizen", source="Leitfaden Erfüllungsaufwand, Anhang 5 Wegezeiten (Stand 2025): Regierungsbezirk/Land 59 min per visit (FACTS.md B.4; medium confidence)"),  # noqa: E501
    Parameter("trip_km_gemeinde", 4.0, "km", "Distance travelled per visit to a Gemeinde office, there and back.", "uncertainty", "citizen", assumption="the Leitfaden's travel cost of 1.10 EUR per Gemeinde visit (FACTS.md B.4) at an assumed 0.30 EUR/km; 2-10 km", low=2.0, high=10.0, bounds=(0.0, 500.0)),  # noqa: E501
    Parameter("trip_km_kreis", 10.0, "km", "Distance travelled per visit to a Kreis office (also Jobcenter, city-states' offices), there and back.", "uncertainty", "citizen", assumption="the Leitfaden's travel cost of 3.10 EUR per Kreis visit (FACTS.md B.4) at an assumed 0.30 EUR/km; 5-25 km", low=5.0, high=25.0, bounds=(0.0, 500.0)),  # noqa: E501
    Parameter("trip_km_land", 44.0, "km", "Distance travelled per visit to a Land or federal office, there and back.", "uncertainty", "citizen", assumption="the Leitfaden's travel cost of 13.20 EUR per Land visit (FACTS.md B.4) at an assumed 0.30 EUR/km; 20-80 km", low=20.0, high=80.0, bounds=(0.0, 1000.0)),  # noqa: E501
    Parameter("trip_co2_g_per_km", 105.0, "g CO2/km", "CO2 per person-km of a visit over the modes used (car, public transport, foot and bicycle).", "uncertainty", "citizen", source="range ends: car 147 g and bus/rail/tram 65 g CO2 per person-km (UBA TREMOD 6.02, cited on the Bundesregierung's Nachhaltigkeitsstrategie page 'Mit dem ÖPNV das Klima schützen'); default: assumed mix of 60 % car, 25 % public transport, 15 % on foot or by bicycle", low=65.0, high=147.0, bounds=(0.0, 1000.0)),  # noqa: E501
)
# fmt: on

REGISTRY = Registry(PARAMETERS)
