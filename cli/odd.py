"""docs/ODD.md: the model description in the ODD protocol, generated so that it cannot drift.

The ODD protocol (Overview, Design concepts, Details; Grimm et al. 2006, updated 2010 and 2020)
describes an agent-based model in fixed sections. The prose is written here; the parts that
the code defines are generated from it: the step order (``model.engine.STEP_PLAN``), the levels
and their Destatis mapping, the catalogue's services, the KPI dictionary, the parameter
registry and the validation facts (``validation/facts.toml``). ``foedsim docs`` writes the
page; ``tests/test_docs.py`` fails when the committed page differs.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FACTS = ROOT / "validation" / "facts.toml"

INTRO = """\
# Model description (ODD protocol)

This page describes foedsim in the sections of the ODD protocol (Grimm et al. 2006, *Ecological
Modelling* 198: 115–126; updated 2010, *Ecological Modelling* 221: 2760–2768, and 2020,
*JASSS* 23(2): 7). It says *what* the model is and links to the pages that say how each part
works in detail; it does not repeat their numbers. The parts the code defines (step order,
levels, services, KPIs, parameters, validation facts) are generated from the code by
`foedsim docs`. German administrative terms are explained in the [glossary](#glossary).
"""

PURPOSE = """\
## 1. Purpose and patterns

**Purpose.** Germany's federal and Land laws are mostly executed (*Vollzug*) case by case by
about 10,750 Gemeinden (run by about 4,400 administrations), 400 Kreise and kreisfreie Städte,
about 400 Jobcenter, Land offices and a few federal agencies. Their staff are ageing and the
working-age population shrinks. foedsim asks how backlogs, lead times, staff, cost, citizens'
time and CO2 develop from 2023 to 2035 if execution stays as it is, and how they change if
services are executed differently — on EfA ("Einer für Alle") platforms, by central Land or
federal agencies, or placed by the seed paper's 12 criteria (docs/CRITERIA.md). It is meant
for comparing scenarios under uncertainty (docs/BATCHES.md), not for forecasting one office.

**Patterns** the model must reproduce, with the role of each (input: the model reads it;
calibrated: fitted to it; held out: not used in fitting). `foedsim validate` checks them; the
observed ranges, sources and the reasons for known gaps are in `validation/facts.toml`, the
calibration in [docs/CALIBRATION.md](CALIBRATION.md). Queueing behaviour (lead times near
capacity) is checked against a case-level model and queueing theory instead, for want of
observed national lead times ([docs/DES.md](DES.md), [docs/WEEKLY_VS_DES.md](WEEKLY_VS_DES.md)).
"""

ENTITIES = """\
## 2. Entities, state variables and scales

**Agents: executing agencies** (`model/agents.py`, Mesa agents; their state lives in the
model's arrays, one row per agency). Which level executes which service in which Land comes
from the catalogue (`model/data/execution_by_land.csv`, docs/CATALOGUE.md):
"""

ENTITIES_2 = """\
A kreisfreie Stadt's municipal administration is also its Kreis; in Berlin and Hamburg the
city's administration also acts as Land office (docs/ENGINE.md, *Agencies*). The scenario's
`granularity` chooses the municipal units: about 4,400 administrations that run offices
(`verwaltung`, default: Ämter, Verbandsgemeinden, Verwaltungsgemeinschaften and verbandsfreie
Gemeinden) or every inhabited Gemeinde (`gemeinde`, about 10,750).

{state_variables}

**Services** (`model/data/services.csv`): {n_baseline} recurring services (applications with a
decision and a lead time, and running cases counted in case-years) and {n_programmes}
one-off programmes ({programmes}) that scenarios can switch on as demand shocks.

**Scales.** One time step is one week (ISO weeks from Monday; a model year has 52 or 53);
staffing acts quarterly; results are weekly and yearly. The default horizon is 2 January 2023
to 31 December 2035 (scenarios may run to 2045, the end of the projections). Space is
administrative, not geometric: Germany, 16 Länder, 400 Kreise, the municipal units; maps use
the Kreis boundaries (docs/PRESENTING.md). Staff and population numbers are persons; work is in
staff minutes on the Leitfaden convention of 1,600 productive hours per FTE-year.
"""

STATE_VARIABLES: tuple[tuple[str, ...], ...] = (
    ('entity', 'state variables'),
    (
        'agency',
        'level, Land, Kreis, key (AGS / Verwaltung / Kreis key), population served; staff as '
        'persons (below); budgeted posts; staff factor (effective FTE over initial FTE)',
    ),
    (
        'work pair (agency × service)',
        'FIFO backlog (cases, time of the oldest waiting case), capacity credit carried to the '
        "next week, FTE (initial FTE × the agency's staff factor + temporary programme staff), "
        'minutes per case, expected weekly work',
    ),
    (
        'person (staff of an agency)',
        'age (completed years on 1 January), status (Beamte or employee), hire week (for the '
        'learning curve)',
    ),
    (
        'demand cell (service × draw unit)',
        'population, weekly base rate, demography index by year, seasonal profile (draw units: '
        'municipal units, Kreise or Länder — the finest level at which execution varies)',
    ),
    (
        'Land',
        'working-age population by year (the hiring pool), applicants',
    ),
    (
        'model',
        'calendar, scenario parameters, dated events, named random streams',
    ),
)

PROCESS = """\
## 3. Process overview and scheduling

Every week the model runs these steps in this order (`model.engine.STEP_PLAN`, printed by
`foedsim plan`; docs/ENGINE.md):

```
{plan}
```

Within a step all work pairs are updated at once on arrays (the compiled kernel runs blocks of
whole agencies through the weeks of a segment; results equal those of stepping week by week and
do not depend on blocks or threads). Dated events run at the start of their week: one-off
programmes open and close (their temporary staff arrive and leave), and in the first week of
each quarter (weeks 0, 13, 26, 39 of the model year) the quarterly step runs. First the
execution modes of `model/migration.py` (docs/EXECUTION.md): agencies join a central platform
wave by wave (their new cases are redirected), migrations that end hand their open cases over
and free the municipal staff for local tasks, agencies join EfA services, and automation moves
toward each service's potential, which sets the staff minutes per case. Then the staffing step
of `model/staffing.py`: in the first quarter everyone ages by a year and budgeted posts are
updated; then exits (retirement, other leaving), hiring (matching per Land, shared by
attractiveness), the learning curve of new hires, and the new staff factor of every agency
(docs/STAFFING.md).
Before the first week a warm-up of `warmup_weeks` runs at the first weeks' demand and its flows
are discarded, so that queues start near their steady state.
"""

DESIGN = """\
## 4. Design concepts

- **Basic principles.** Administrative work as queueing: cases arrive as a Poisson process,
  clerks work them first in, first out; a week's lead time follows a fluid FIFO rule plus the
  stationary M/M/c wait of the office's clerks at the expected load (Erlang C with the
  Allen–Cunneen correction; docs/ENGINE.md, docs/WEEKLY_VS_DES.md). Staff are a demographic
  stock: persons age, retire and leave, and are replaced through a matching function between
  applicants and vacancies (Petrongolo and Pissarides 2001). Demand follows the population
  group a service serves along the official projections.
- **Emergence.** Backlogs and lead times per office and nationwide; the local shortfall of
  offices that lose their only clerk; the national staff gap and unfilled posts; the national
  age structure of staff. None is imposed; each arises from offices' demand, staff and flows.
- **Adaptation.** Agencies do not choose strategies. Two fixed rules respond to pressure: a
  share `fungible_share` of each agency's staff moves each week to the services with the most
  waiting work, and a team (an agency's staff for one service) whose waiting work exceeds
  `backlog_response_weeks` of its expected work gets `backlog_extra_share` more staff time
  (overtime, shifted tasks).
- **Objectives, learning, prediction.** Agents have no objectives, do not learn in the ODD
  sense and make no predictions. (The *learning curve* is the rising productivity of new hires,
  a fixed submodel.) `staff_needed_fte` — the staff that would hold the 2023 utilisation — is an
  output, not something agents act on.
- **Sensing.** An agency knows its own backlog and expected work, its vacancies and its
  staff; it knows nothing of other agencies.
- **Interaction.** Indirect, through the labour market: the agencies of a Land compete for its
  applicants (hires shared by vacancies × attractiveness of the level × size of the office);
  federal agencies recruit in every Land. Cases do not move between agencies in the baseline;
  in scenarios with central platforms they move when an agency joins the platform, and the
  agencies of an EfA service follow their peers in the Land.
- **Stochasticity.** Weekly arrivals (Poisson per demand cell), initial ages and status, exits
  (a Bernoulli draw per person and quarter), hires (randomised rounding, status, age) and the
  capacity of a fully busy office at high load. Every decision draws from its own named
  stream derived from (seed, name) (`model/streams.py`), so two scenarios with the same seed
  differ only where their levers differ (common random numbers). Replications vary the seed;
  batches sample the uncertainties of the parameter table within their ranges
  (docs/BATCHES.md).
- **Collectives.** Levels (Gemeinde, Kreis, Jobcenter, Land, Bund), Länder as labour markets,
  and the administrative unions of small Gemeinden (Ämter and similar) when `granularity` is
  `verwaltung`. They are fixed by the data, not formed by the agents.
- **Observation.** Result tables (docs/ENGINE.md, *Outputs*; docs/STAFFING.md, *Outputs*):
  `kpis` (year × KPI × level × service), `weekly` (week × Land × level × service), `staff`
  (year × Land × level), and per agency `agencies` and `staff_agencies`; each run folder has a
  `manifest.json` with model version, git commit, resolved scenario and seed. The KPIs
  (docs/KPIS.md; a KPI is defined in the dictionary before the issue that computes it lands,
  so a run's `kpis` table holds only those computed so far):
"""

INITIALISATION = """\
## 5. Initialisation

All initial values come from the packaged data and the scenario; a run is fully determined by
the scenario and the seed.

1. Agencies and demand cells are built from the municipal register, the catalogue's execution
   table and the scenario's granularity and service settings (`model/build.py`).
2. Each work pair's initial FTE is its expected weekly work in 2023 (volume × population share
   × minutes per case) divided by one FTE's weekly minutes × `productivity_factor` ×
   `utilisation_2023` (docs/ENGINE.md, *Processing*).
3. Each agency's FTE becomes whole persons (`staff_fte_per_person`); their status and ages are
   drawn around the 2023 Destatis mean age of their level and status, with one spread fitted to
   the share aged 55+ (docs/STAFFING.md, *Persons*). Budgeted posts = persons × (1 +
   `vacancy_rate_2023`).
4. The recruitment share and the level attractiveness are fitted so that expected headcounts
   change from mid-2023 to mid-2024 as observed (docs/CALIBRATION.md).
5. Queues are warmed up for `warmup_weeks` (section 3).
"""

INPUT = """\
## 6. Input data

Packaged in `model/data/` with origins, licences and changes in `model/data/SOURCES.md`:

{input_data}

Driving variables over time: the yearly demography index of each service and Land, the weekly
seasonal factors, the working-age population by Land and year, and the dates of switched-on
programmes. Every other number is a parameter (section 8).
"""

INPUT_DATA: tuple[tuple[str, ...], ...] = (
    ('data', 'used for'),
    (
        'Gemeindeverzeichnis GV100AD (Destatis; population 31.12.2024, Zensus-2022 basis)',
        'Gemeinden, administrations, Kreise, Länder and their populations',
    ),
    (
        '15th koordinierte Bevölkerungsvorausberechnung by Land (12421-0003) and 16th by age '
        '(12421-0002)',
        'demand by year (docs/ENGINE.md, *Demography*); the working-age pool for hiring',
    ),
    (
        'Personalstandstatistik 74111-0001 (headcount) and -0003 (mean age); '
        'Versorgungsempfängerstatistik 74211-0003 (Beamte retirements) and -0008 (retirement '
        'age)',
        'staff ages, retirement hazards, the headcount calibration; validation',
    ),
    (
        'service catalogue: `services.csv`, `execution_by_land.csv`, `seasonality.csv`, '
        '`demand_shocks.csv`',
        'volumes, minutes, who executes what, monthly profiles, one-off programmes '
        '(docs/CATALOGUE.md)',
    ),
    (
        'criteria: `criteria/criteria.csv`, `criteria/scores.csv`',
        "the seed paper's placement rule (docs/CRITERIA.md)",
    ),
    (
        'BKG VG5000 boundaries',
        'maps (docs/PRESENTING.md)',
    ),
)

SUBMODELS = """\
## 7. Submodels

{submodel_rows}

Companion models, not part of the weekly loop: the case-level discrete-event model of one office
(`model/des.py`, docs/DES.md), used to check the weekly engine and to study an office in
detail; the replay of the Corona bridging aid, central network against 400 Kreise
(docs/REPLAY.md); and the criteria rule that recommends where a service belongs
(docs/CRITERIA.md).
"""

SUBMODEL_ROWS: tuple[tuple[str, ...], ...] = (
    ('submodel', 'what it does', 'detail'),
    (
        'intake',
        "weekly Poisson arrivals per demand cell, routed to the executing agency's work pair; "
        'exact in distribution, with common random numbers per (service, year)',
        'docs/ENGINE.md *Demand*, `model/demand.py`',
    ),
    (
        'demography',
        "a service's volume follows its population group per Land along the projections",
        'docs/ENGINE.md *Demography*, `model/demography.py`',
    ),
    (
        'fungible staff',
        "a share of each agency's FTE pooled and shared by waiting work",
        'docs/ENGINE.md *Processing*, `model/processing.py`',
    ),
    (
        'processing',
        'capacity from FTE; whole cases completed FIFO; backlog carried over; lead times by the '
        'fluid FIFO rule with the within-week M/M/c wait and random capacity near full load',
        'docs/ENGINE.md, docs/WEEKLY_VS_DES.md, `model/processing.py`, `model/kernel.py`',
    ),
    (
        'staffing',
        'persons by age and status; retirement and other exits; posts; hiring by matching per '
        'Land; learning curve; backlog response',
        'docs/STAFFING.md, `model/staffing.py`',
    ),
    (
        'execution modes',
        'decentral, EfA, central Land and Bund platforms per service from a date; migration '
        'waves gated by the platform\'s staff, backlog handover, freed municipal staff, front '
        'offices, local-knowledge penalty; EfA adoption; automation toward each potential',
        'docs/EXECUTION.md, `model/execution.py`, `model/migration.py`',
    ),
    (
        'one-off programmes',
        'extra demand with a flat or front-loaded profile and temporary staff from opening to '
        'wind-down',
        'docs/CATALOGUE.md, docs/SCENARIOS.md',
    ),
    (
        'recording',
        'weekly aggregates per (Land, level, service), conservation counters, yearly KPIs',
        '`model/results.py`, docs/KPIS.md',
    ),
)

GLOSSARY = """\
## Glossary

German terms are kept where they are the precise term (house style); here is what they mean.

{glossary_rows}
"""

GLOSSARY_ROWS: tuple[tuple[str, ...], ...] = (
    ('German', 'English', 'note'),
    (
        'Vollzug',
        'execution (of a law)',
        'deciding the individual cases a law creates',
    ),
    (
        'Bund',
        'the federal level',
        'federal agencies, e.g. Familienkasse, Bundesamt für Justiz',
    ),
    (
        'Land, Länder',
        'federal state(s)',
        '16; Berlin, Hamburg and Bremen are city-states (Stadtstaaten)',
    ),
    (
        'Kommune, Kommunen; kommunaler Bereich',
        'local government',
        'Gemeinden and Kreise together (Destatis: Kommunaler Bereich)',
    ),
    (
        'Gemeinde',
        'municipality',
        'about 10,750',
    ),
    (
        'Amt, Verbandsgemeinde, Samtgemeinde, Verwaltungsgemeinschaft',
        'joint administration of small municipalities',
        'the `verwaltung` units of the model',
    ),
    (
        'Kreis, Landkreis',
        'county (rural district)',
        '294',
    ),
    (
        'kreisfreie Stadt',
        'county-free city',
        'a city that is also its own Kreis (106)',
    ),
    (
        'Große Kreisstadt, große kreisangehörige Stadt',
        'large town within a Kreis',
        'executes some Kreis tasks itself (`large_town_threshold`)',
    ),
    (
        'Bezirksamt',
        'borough office',
        'Berlin, Hamburg',
    ),
    (
        'Landesamt, Regierungspräsidium',
        'Land office, regional government office',
        "the model's `land` level",
    ),
    (
        'Jobcenter',
        'job centre',
        'SGB II; a gemeinsame Einrichtung (Bundesagentur für Arbeit + Kommune) or a zugelassener '
        'kommunaler Träger (Kommune only)',
    ),
    (
        'Bundesagentur für Arbeit (BA)',
        'Federal Employment Agency',
        '',
    ),
    (
        'Sozialversicherung',
        'social insurance',
        "Destatis level; the model's Jobcenter are counted there",
    ),
    (
        'Beamte (Beamter, Beamtin)',
        'civil servants',
        'tenured public-law status; retire with a pension (Ruhegehalt)',
    ),
    (
        'Arbeitnehmer, Tarifbeschäftigte',
        'public employees',
        'under a collective agreement (TVöD, TV-L)',
    ),
    (
        'Versorgungszugang',
        'new pension recipient',
        'a Beamter who retired in the year (74211-0003)',
    ),
    (
        'Regelaltersgrenze',
        'statutory retirement age',
        '67 for people born from 1964',
    ),
    (
        'Stelle, unbesetzte Stelle',
        'post, unfilled post',
        'budgeted position; vacancy',
    ),
    (
        'Antrag, Bescheid',
        'application, decision notice',
        '',
    ),
    (
        'laufender Fall',
        'running case',
        'a standing case reviewed over the year (Bürgergeld, Sozialhilfe)',
    ),
    (
        'Bedarfsgemeinschaft',
        'benefit household',
        'the unit of SGB II (Bürgergeld)',
    ),
    (
        'Dunkelverarbeitung',
        'fully automated processing',
        '"dark processing": decided without staff',
    ),
    (
        'EfA ("Einer für Alle")',
        '"one for all"',
        'an online service one Land builds and the others reuse',
    ),
    (
        'OZG (Onlinezugangsgesetz)',
        'Online Access Act',
        'the law requiring online access to services',
    ),
    (
        'Fachverfahren',
        'specialist IT procedure',
        'the case-handling software of an office',
    ),
    (
        'Erfüllungsaufwand, Leitfaden',
        'compliance cost, the official guide to estimating it',
        'source of the 1,600 h FTE-year and wage rates',
    ),
    (
        'Personenjahr',
        'person-year',
        '200 days × 8 h = 1,600 h',
    ),
    (
        'Wohngeld, Elterngeld, BAföG, Bürgergeld, Unterhaltsvorschuss, Kindergeld',
        "housing benefit, parental allowance, student finance, citizen's income, child "
        'maintenance advance, child benefit',
        "services; every service's English name is in docs/CATALOGUE.md",
    ),
    (
        'Einbürgerung, Aufenthaltstitel',
        'naturalisation, residence permit',
        '',
    ),
    (
        'Kfz-Zulassung, i-Kfz',
        'vehicle registration, its online service',
        '',
    ),
    (
        'Überbrückungshilfe, Bewilligungsstelle',
        'Covid bridging aid, approving office',
        'docs/REPLAY.md',
    ),
    (
        'koordinierte Bevölkerungsvorausberechnung (kBV)',
        'coordinated population projection',
        'Destatis, 15th (2022) and 16th (2025)',
    ),
    (
        'Destatis, GENESIS',
        'Federal Statistical Office, its database',
        'table numbers such as 74111-0001',
    ),
    (
        'AGS (Amtlicher Gemeindeschlüssel)',
        'official municipality key',
        '',
    ),
)


def _md(rows: tuple[tuple[str, ...], ...]) -> str:
    """A Markdown table from a header row and data rows (no trailing newline)."""
    from model.parameters import markdown_table

    return markdown_table([dict(zip(rows[0], r, strict=True)) for r in rows[1:]]).rstrip("\n")


def _facts_table() -> str:
    from model.parameters import markdown_table
    from model.validation import fmt_range

    if not FACTS.is_file():
        return "(validation/facts.toml is not in this installation.)\n"
    with FACTS.open("rb") as f:
        facts = tomllib.load(f).get("fact", [])
    rows = [{
        "fact": f"`{f['id']}`", "role": f["role"].replace("_", " "),
        "what": f["description"], "observed": fmt_range(*map(float, f["observed"]))[0],
        "status": "known gap" if "known_gap" in f else "must pass" if f["role"] != "input"
        else "reported",
    } for f in facts]  # fmt: skip
    return markdown_table(rows)


def odd_page() -> str:
    """docs/ODD.md, for ``cli.docs.PAGES``."""
    from cli.docs import HEADER
    from model.agencies import LEVELS
    from model.catalogue import load_catalogue
    from model.engine import step_plan_text
    from model.kpis import KPIS
    from model.parameters import REGISTRY, markdown_table
    from model.staffing import LEVEL_TO_DESTATIS

    agent_class = {"gemeinde": "MunicipalAdministration", "kreis": "KreisAdministration",
                   "jobcenter": "Jobcenter", "land": "LandOffice", "bund": "FederalAgency"}
    what = {"gemeinde": "one per municipal unit of the scenario's granularity",
            "kreis": "the 294 Landkreise (kreisfreie Städte are municipal units)",
            "jobcenter": "one per Kreis area (about 400)",
            "land": "one per (Land, service) it executes",
            "bund": "one per service executed federally"}  # fmt: skip
    levels = markdown_table([{"level": f"`{lv}`", "agent class": agent_class.get(lv, ""),
                              "agents": what.get(lv, ""),
                              "Destatis level (staff data)": LEVEL_TO_DESTATIS[lv]}
                             for lv in LEVELS])  # fmt: skip
    cat = load_catalogue()
    programmes = cat.programme_service_ids
    kpis = markdown_table([{"KPI": f"`{k.name}`", "unit": k.unit, "per year": k.aggregation}
                           for k in KPIS])  # fmt: skip
    src = "cli/odd.py, model/engine.py, model/parameters.py, model/kpis.py, validation/facts.toml"
    return "\n".join([
        HEADER.format(src=src) + INTRO,
        PURPOSE,
        _facts_table(),
        ENTITIES,
        levels,
        ENTITIES_2.format(state_variables=_md(STATE_VARIABLES),
                          n_baseline=len(cat.baseline_service_ids),
                          n_programmes=len(programmes),
                          programmes=", ".join(f"`{p}`" for p in programmes)),
        PROCESS.format(plan=step_plan_text()),
        DESIGN,
        kpis,
        INITIALISATION,
        INPUT.format(input_data=_md(INPUT_DATA)),
        SUBMODELS.format(submodel_rows=_md(SUBMODEL_ROWS)),
        "## 8. Parameters\n\n"
        "Every parameter with its default, unit, role and source or assumption with range "
        "(`model/parameters.py`; also docs/PARAMETERS.md and `foedsim params`). Roles: "
        "`constant` (sourced or a definition), `uncertainty` (sampled by batches within its "
        "range), `lever` (set by scenarios).\n",
        REGISTRY.to_markdown(),
        GLOSSARY.format(glossary_rows=_md(GLOSSARY_ROWS)),
    ])  # fmt: skip
