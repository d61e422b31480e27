"""Words of the comparison report in English and German, and number formats for sentences.

Labels of KPIs, levels and axes are in :data:`analysis.style.LABELS`; this module holds the
report's own sentences and headings (:func:`T`), the phrases a sentence uses for a KPI
(:func:`kpi_phrase`), short service names (:func:`service_name`) and :func:`fmt_number`.
"""

from __future__ import annotations

import functools
import math

from analysis import style

TEXTS: dict[str, dict[str, str]] = {
    "title": {"en": "Scenario comparison: {name}", "de": "Szenarienvergleich: {name}"},
    "subtitle": {"en": "foedsim {version} · {k} scenario(s) · {n} runs",
                 "de": "foedsim {version} · {k} Szenario(s) · {n} Läufe"},
    "intro": {
        "en": "This report compares the scenarios of one foedsim batch with the baseline "
              "'{baseline}'. Every number is computed from the saved runs: medians over the "
              "runs of a scenario, their bands, and differences to the baseline paired run by "
              "run (same seed, same random streams).",
        "de": "Dieser Bericht vergleicht die Szenarien eines foedsim-Batches mit der Basis "
              "'{baseline}'. Jede Zahl ist aus den gespeicherten Läufen berechnet: Mediane über "
              "die Läufe eines Szenarios, ihre Bänder und Differenzen zur Basis, paarweise Lauf "
              "für Lauf (gleicher Seed, gleiche Zufallsströme)."},
    "h_run": {"en": "What was run", "de": "Was gerechnet wurde"},
    "scenarios_intro": {"en": "Scenarios:", "de": "Szenarien:"},
    "is_baseline": {"en": " (baseline)", "de": " (Basis)"},
    "no_description": {"en": "no description", "de": "keine Beschreibung"},
    "runs_n": {"en": "{n} runs", "de": "{n} Läufe"},
    "replications": {
        "en": "Replications: {n} seed(s) ({seeds}), the same in every scenario, so scenario "
              "differences are paired.",
        "de": "Replikationen: {n} Seed(s) ({seeds}), in jedem Szenario dieselben, daher sind "
              "Szenariodifferenzen gepaart."},
    "horizon": {"en": "Horizon: {start} to {end}, weekly.", "de": "Zeitraum: {start} bis {end}, "
                "wöchentlich."},
    "design": {"en": "Design: {method}, {n} point(s) over {names}.",
               "de": "Versuchsplan: {method}, {n} Punkt(e) über {names}."},
    "tables": {"en": "Tables kept per run: {tables}.", "de": "Je Lauf gespeicherte Tabellen: "
               "{tables}."},
    "versions": {"en": "Model foedsim {version}, git commit {commit}, Python {python}; "
                       "{packages}.",
                 "de": "Modell foedsim {version}, Git-Commit {commit}, Python {python}; "
                       "{packages}."},
    "h_results": {"en": "Key results", "de": "Zentrale Ergebnisse"},
    "band_q": {"en": "5–95 %", "de": "5–95 %"},
    "band_mm": {"en": "min–max", "de": "Minimum–Maximum"},
    "baseline_sentence": {
        "en": "By {year} the median {what} is {value} in the baseline ({band} over {n} runs: "
              "{low} to {high})",
        "de": "Bis {year} beträgt der Median {what} in der Basis {value} ({band} über {n} "
              "Läufe: {low} bis {high})"},
    "trend": {"en": ", compared with {value} in {first}", "de": ", gegenüber {value} in {first}"},
    "scenario_sentence": {
        "en": "By {year} the median {what} is {value} in scenario '{scenario}' vs {base_value} "
              "in the baseline: a paired difference of {diff} ({band} over {n} pairs: {low} to "
              "{high}); {verdict}",
        "de": "Bis {year} beträgt der Median {what} im Szenario '{scenario}' {value}, in der "
              "Basis {base_value}: gepaarte Differenz {diff} ({band} über {n} Paare: {low} bis "
              "{high}); {verdict}"},
    "identical": {"en": "the same in every pair", "de": "in jedem Paar gleich"},
    "straddles": {"en": "the runs disagree on the sign, so no clear difference",
                  "de": "die Läufe sind uneins über das Vorzeichen, also kein klarer Unterschied"},
    "lower": {"en": "lower {where}", "de": "{where} niedriger"},
    "higher": {"en": "higher {where}", "de": "{where} höher"},
    "lower_better": {"en": "lower {where}, which is better",
                     "de": "{where} niedriger, also besser"},
    "lower_worse": {"en": "lower {where}, which is worse",
                    "de": "{where} niedriger, also schlechter"},
    "higher_better": {"en": "higher {where}, which is better",
                      "de": "{where} höher, also besser"},
    "higher_worse": {"en": "higher {where}, which is worse",
                     "de": "{where} höher, also schlechter"},
    "every_pair": {"en": "in every pair", "de": "in jedem Paar"},
    "most_pairs": {"en": "in at least 95 % of the pairs", "de": "in mindestens 95 % der Paare"},
    "h_tables": {"en": "KPI tables", "de": "Kennzahlentabellen"},
    "tables_text": {
        "en": "Cells: median (band). The band is the 5–95 % range over the runs with at least "
              "{n} runs, else the min–max, with the number of runs n. Differences are scenario "
              "minus baseline '{baseline}', paired run by run.",
        "de": "Zellen: Median (Band). Das Band ist der 5–95-%-Bereich über die Läufe ab {n} "
              "Läufen, sonst Minimum–Maximum, mit der Zahl der Läufe n. Differenzen: Szenario "
              "minus Basis '{baseline}', paarweise Lauf für Lauf."},
    "cap_values": {"en": "KPIs, Germany: median (band)", "de": "Kennzahlen, Deutschland: Median "
                   "(Band)"},
    "cap_diffs": {"en": "Paired difference to the baseline '{baseline}': median (band)",
                  "de": "Gepaarte Differenz zur Basis '{baseline}': Median (Band)"},
    "col_kpi": {"en": "KPI", "de": "Kennzahl"},
    "col_scenario": {"en": "Scenario", "de": "Szenario"},
    "col_kpis": {"en": "KPIs", "de": "Kennzahlen"},
    "col_param": {"en": "Parameter", "de": "Parameter"},
    "col_value": {"en": "Value", "de": "Wert"},
    "col_base_value": {"en": "Baseline value", "de": "Wert in der Basis"},
    "col_range": {"en": "Range", "de": "Spanne"},
    "col_provenance": {"en": "Source or assumption", "de": "Quelle oder Annahme"},
    "h_figures": {"en": "Figures", "de": "Abbildungen"},
    "h_lead_service": {"en": "Lead time per service, {year}",
                       "de": "Bearbeitungsdauer je Leistung, {year}"},
    "h_cost": {"en": "Cost by kind", "de": "Kosten nach Art"},
    "h_criteria": {"en": "The 12 criteria", "de": "Die 12 Kriterien"},
    "criteria_text": {
        "en": "Where a service belongs by the 12 criteria of 'Neuverortung von Leistungen' "
              "(○ today, ● in future; 0 local … 4 central), for the services the criteria rule "
              "recommends to execute centrally. From the packaged scores, not from the runs.",
        "de": "Wohin eine Leistung nach den 12 Kriterien der 'Neuverortung von Leistungen' "
              "gehört (○ heute, ● zukünftig; 0 lokal … 4 zentral), für die Leistungen, die die "
              "Kriterienregel zentral zu vollziehen empfiehlt. Aus den hinterlegten Bewertungen, "
              "nicht aus den Läufen."},
    "missing_kpis": {"en": "Not in these runs: {kpis} (figure skipped).",
                     "de": "Nicht in diesen Läufen: {kpis} (Abbildung entfällt)."},
    "missing_table": {
        "en": "Not in these runs: the table '{table}' (run the batch with a larger tables "
              "setting, e.g. tables = \"full\").",
        "de": "Nicht in diesen Läufen: die Tabelle '{table}' (Batch mit größerer "
              "Tabellenauswahl rechnen, z. B. tables = \"full\")."},
    "alt_timeseries": {"en": "{what} per year, median line and band per scenario",
                       "de": "{what} je Jahr, Medianlinie und Band je Szenario"},
    "alt_lead": {"en": "Lead time per service in {year}, one bar per scenario",
                 "de": "Bearbeitungsdauer je Leistung {year}, ein Balken je Szenario"},
    "alt_staff": {"en": "Staff available and needed per year, per scenario",
                  "de": "Verfügbares und benötigtes Personal je Jahr und Szenario"},
    "alt_cost": {"en": "Cost by kind per scenario, stacked bars",
                 "de": "Kosten nach Art je Szenario, gestapelte Balken"},
    "alt_citizen": {"en": "Citizens' hours and CO2 of trips per year",
                    "de": "Zeitaufwand und CO2 der Wege je Jahr"},
    "alt_criteria": {"en": "The 12 criteria, today and in future, per service",
                     "de": "Die 12 Kriterien, heute und zukünftig, je Leistung"},
    "alt_map": {"en": "Map of Germany per {level}: {what}, {year}, one panel per scenario",
                "de": "Deutschlandkarte je {level}: {what}, {year}, ein Feld je Szenario"},
    "h_maps": {"en": "Maps, {year}", "de": "Karten, {year}"},
    "maps_text": {
        "en": "Medians over runs per Land and per Kreis; scenarios side by side on one colour "
              "scale. Kreis values cover the agencies located in the Kreis (Gemeinden/"
              "Verwaltungen, Kreisverwaltung, Jobcenter), not Land or federal offices. A Land's "
              "lead time is that of the cases its own agencies process: where a scenario moves "
              "services to federal platforms, their cases leave every Land's average, so a "
              "Land can look slower although none of its offices got slower (the services that "
              "stay are the slower ones).",
        "de": "Mediane über die Läufe je Land und je Kreis; Szenarien nebeneinander auf einer "
              "Farbskala. Kreiswerte umfassen die Behörden im Kreis (Gemeinden/Verwaltungen, "
              "Kreisverwaltung, Jobcenter), nicht Landes- oder Bundesbehörden. Die Laufzeit "
              "eines Landes ist die der Fälle, die seine eigenen Behörden bearbeiten: Verlagert "
              "ein Szenario Leistungen auf Bundesplattformen, fallen deren Fälle aus jedem "
              "Landesdurchschnitt heraus, und ein Land kann langsamer erscheinen, obwohl keine "
              "seiner Behörden langsamer wurde (es bleiben die langsameren Leistungen)."},
    "h_map_land": {"en": "{what} per Land", "de": "{what} je Land"},
    "h_map_kreis": {"en": "{what} per Kreis", "de": "{what} je Kreis"},
    "gap_share": {"en": "Staff gap (% of staff needed)", "de": "Personallücke (% des Bedarfs)"},
    "map_note": {"en": "foedsim, median over runs", "de": "foedsim, Median über die Läufe"},
    "h_assumptions": {"en": "Assumptions and uncertainties", "de": "Annahmen und Unsicherheiten"},
    "bands_chance": {
        "en": "The bands show chance only (different seeds with the same inputs): they do not "
              "include the uncertainty of assumed inputs. How much an assumption moves a KPI is "
              "measured with a sensitivity batch (docs/BATCHES.md).",
        "de": "Die Bänder zeigen nur den Zufall (verschiedene Seeds bei gleichen Eingaben), "
              "nicht die Unsicherheit angenommener Eingaben. Wie stark eine Annahme eine "
              "Kennzahl bewegt, misst ein Sensitivitäts-Batch (docs/BATCHES.md)."},
    "bands_design": {
        "en": "The bands cover chance and the batch's design over uncertain inputs; inputs "
              "outside the design stay at their values.",
        "de": "Die Bänder umfassen den Zufall und den Versuchsplan über unsichere Eingaben; "
              "Eingaben außerhalb des Plans bleiben fest."},
    "cap_levers": {"en": "Scenario settings that differ from the baseline",
                   "de": "Szenario-Einstellungen, die von der Basis abweichen"},
    "drivers_text": {
        "en": "These results are assumption-driven where the parameters that enter them are "
              "assumptions (ranges in the registry, foedsim params):",
        "de": "Diese Ergebnisse hängen an Annahmen, soweit die Parameter, die in sie eingehen, "
              "Annahmen sind (Spannen im Register, foedsim params):"},
    "cap_drivers": {"en": "Parameters behind the headline KPIs",
                    "de": "Parameter hinter den zentralen Kennzahlen"},
    "catalogue_text": {
        "en": "Service catalogue: {n_vol} of {n} yearly volumes and {n_min} of {n} minutes per "
              "case are assumptions with a range (model/data/services.csv); assumed volumes: "
              "{vol}. Backlogs and lead times of these services rest on them.",
        "de": "Leistungskatalog: {n_vol} von {n} Jahresfallzahlen und {n_min} von {n} "
              "Bearbeitungszeiten sind Annahmen mit Spanne (model/data/services.csv); "
              "angenommene Fallzahlen: {vol}. Rückstände und Bearbeitungsdauern dieser "
              "Leistungen beruhen darauf."},
    "uncertain_text": {
        "en": "{n} registry uncertainties are assumptions with a range: {names}.",
        "de": "{n} unsichere Parameter des Registers sind Annahmen mit Spanne: {names}."},
    "source_runs": {"en": "foedsim runs: {path} (manifest.json: scenarios, seeds, versions)",
                    "de": "foedsim-Läufe: {path} (manifest.json: Szenarien, Seeds, Versionen)"},
    "source_catalogue": {
        "en": "Service catalogue (volumes, minutes per case, executing levels): "
              "model/data/services.csv and execution_by_land.csv, each number with its source "
              "or assumption; docs/CATALOGUE.md",
        "de": "Leistungskatalog (Fallzahlen, Bearbeitungszeiten, Vollzugsebenen): "
              "model/data/services.csv und execution_by_land.csv, jede Zahl mit Quelle oder "
              "Annahme; docs/CATALOGUE.md"},
    "h_profile": {"en": "Kommune {year}: {name} ({ags})", "de": "Kommune {year}: {name} ({ags})"},
    "profile_facts": {
        "en": "{typ} in {land}: {population} inhabitants (31.12.2024), {n_gemeinden} "
              "Gemeinden. The numbers cover the agencies located here: the Gemeinden or "
              "Verwaltungen, the Kreisverwaltung and the Jobcenter.",
        "de": "{typ} in {land}: {population} Einwohner (31.12.2024), {n_gemeinden} Gemeinden. "
              "Die Zahlen umfassen die Behörden vor Ort: Gemeinden bzw. Verwaltungen, "
              "Kreisverwaltung und Jobcenter."},
    "profile_missing": {
        "en": "The profile's numbers need the tables {tables}, which these runs do not have "
              "(run the batch with tables = \"full\").",
        "de": "Die Zahlen des Profils brauchen die Tabellen {tables}, die diese Läufe nicht "
              "haben (Batch mit tables = \"full\" rechnen)."},
    "profile_sentence": {
        "en": "By {year} the agencies here have {available} available and need {needed} in "
              "scenario '{scenario}' (median over runs; gap {gap}).",
        "de": "Bis {year} haben die Behörden hier im Szenario '{scenario}' {available} "
              "verfügbar und brauchen {needed} (Median über die Läufe; Lücke {gap})."},
    "profile_staff_title": {"en": "Staff of the agencies in {name}",
                            "de": "Personal der Behörden in {name}"},
    "cap_levels": {"en": "Staff by level, {year} (FTE, median over runs)",
                   "de": "Personal nach Ebene, {year} (VZÄ, Median über die Läufe)"},
    "cap_units": {"en": "Gemeinden and Verwaltungen, {year} (medians over runs)",
                  "de": "Gemeinden und Verwaltungen, {year} (Mediane über die Läufe)"},
    "col_name": {"en": "Name", "de": "Name"},
    "col_type": {"en": "Type", "de": "Art"},
    "col_members": {"en": "Gemeinden", "de": "Gemeinden"},
    "col_population": {"en": "Population", "de": "Einwohner"},
    "col_level": {"en": "Level", "de": "Ebene"},
    "col_available": {"en": "Available {year} ({scenario}), FTE",
                      "de": "Verfügbar {year} ({scenario}), VZÄ"},
    "col_gap": {"en": "Gap {year} ({scenario}), FTE", "de": "Lücke {year} ({scenario}), VZÄ"},
    "col_lead": {"en": "Lead time {year}, {scenario} (weeks)",
                 "de": "Bearbeitungsdauer {year}, {scenario} (Wochen)"},
}  # fmt: skip
"""Report words per key and language."""

PHRASES: dict[str, dict[str, str]] = {
    "backlog_cases": {"en": "backlog of open applications", "de": "des Rückstands offener "
                      "Anträge"},
    "lead_time_weeks": {"en": "lead time", "de": "der Bearbeitungsdauer"},
    "staff_gap_fte": {"en": "staff gap (needed minus available)",
                      "de": "der Personallücke (Bedarf minus verfügbar)"},
    "fte_freed_local_tasks": {"en": "municipal FTE freed for local tasks",
                              "de": "der für örtliche Aufgaben frei gewordenen VZÄ"},
    "cost_total_eur": {"en": "yearly total cost", "de": "der jährlichen Gesamtkosten"},
    "citizen_hours": {"en": "citizens' time for trips", "de": "des Zeitaufwands der Bürger"},
    "co2_tonnes": {"en": "CO₂ of citizens' trips", "de": "des CO₂ der Wege"},
}  # fmt: skip
"""How a sentence names a KPI (German in the genitive after 'der Median')."""

UNITS: dict[str, dict[str, str]] = {
    "cases": {"en": "cases", "de": "Fälle"}, "weeks": {"en": "weeks", "de": "Wochen"},
    "FTE": {"en": "FTE", "de": "VZÄ"}, "h": {"en": "hours", "de": "Stunden"},
    "persons": {"en": "persons", "de": "Personen"}, "years": {"en": "years", "de": "Jahre"},
    "EUR (2025 prices)": {"en": "EUR", "de": "EUR"}, "t CO2": {"en": "t CO₂", "de": "t CO₂"},
}  # fmt: skip
POINTS = {"en": "pp", "de": "Pp."}
"""Percentage points: differences of shares."""


def T(key: str, lang: str) -> str:  # noqa: N802 - short name for many calls
    """The report's text ``key`` in ``lang``."""
    style.check_lang(lang)
    return TEXTS[key][lang]


def kpi_phrase(kpi: str, lang: str, service: str | None = None) -> str:
    """How a sentence names a KPI, optionally for one service (``lead time of Wohngeld``)."""
    base = PHRASES.get(kpi, {}).get(lang) or style.label(kpi, lang)
    if service:
        return f"{base} ({service})"
    return base


@functools.cache
def _service_names() -> dict[str, tuple[str, str]]:
    """service_id -> (English name, short German name); the German name is cut at its first
    bracket unless that would make two services' names equal (BAföG for students and pupils)."""
    from model.catalogue import load_catalogue

    s = load_catalogue().services
    short = s["name_de"].str.split(" (", regex=False).str[0]
    repeated = short.duplicated(keep=False)
    german = s["name_de"].where(repeated, short)
    return dict(zip(s["service_id"], zip(s["name_en"], german, strict=True), strict=True))


def service_name(service_id: str, lang: str, short: bool = False) -> str:
    """Name of a service: the German name up to its first bracket (``Wohngeld``); in English
    the English name with the German one added (``Housing benefit (Wohngeld)``), or alone
    with ``short`` (axis labels)."""
    names = _service_names()
    if service_id not in names:
        return service_id
    en, de = names[service_id]
    if lang == "de":
        return de
    if short:
        return en
    return en if de.lower() in en.lower() else f"{en} ({de})"


def fmt_number(value: float, lang: str, unit: str = "", *, signed: bool = False,
               show_unit: bool = True) -> str:  # fmt: skip
    """A number for a sentence: shares as percent, three significant digits below 1,000,
    thousands separators above; German separators for ``de``; the unit appended.

    Args:
        value: The number (NaN gives an en dash).
        lang: ``en`` or ``de``.
        unit: The KPI's unit (``"1"`` for shares: shown as %, differences as percentage
            points).
        signed: Always show the sign (differences).
        show_unit: Append the unit (shares always get % or points).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    v = float(value)
    if unit == "1":  # a share: shown in percent, a difference of shares in points
        v, unit_text = 100.0 * v, (POINTS[lang] if signed else "%")
    elif not show_unit:
        unit_text = ""
    else:
        unit_text = UNITS.get(unit, {}).get(lang, unit)
    if abs(v) >= 1000:
        text = f"{v:,.0f}"
    elif v == 0:
        text = "0"
    else:
        text = f"{v:.3g}"
        if "e" in text:
            text = f"{v:.2f}"
    if lang == "de":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    if signed and v > 0:
        text = "+" + text
    text = text.replace("-", "−", 1)
    return f"{text} {unit_text}".strip()
