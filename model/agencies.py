"""Agencies and their (agency, service) work pairs, as columnar tables.

Who executes a service comes from ``model/data/execution_by_land.csv`` (service x Land ->
level). The agencies are:

- municipal administrations (``gemeinde`` level): one per unit of the scenario's granularity;
  a kreisfreie Stadt's unit is also its Kreis (a kreisfreie Stadt is city and Kreis at once);
- Kreise (``kreis`` level): the 294 Landkreise/Kreise/Regionalverband; kreisfreie Städte are
  their municipal unit (above);
- Jobcenter (``jobcenter`` level): one per Kreis area (the ~400 Jobcenter);
- Land offices (``land`` level): one per (Land, service) — the office that executes that
  service for the Land (L-Bank, Versorgungsamt, Studierendenwerke, ...). In Berlin and Hamburg
  the city's own administration acts as Land office (a city-state is one agency acting as
  Gemeinde, Kreis and Land); in Bremen the Stadt Bremen's administration does;
- federal agencies (``bund`` level): one per service (Familienkasse, Bundesamt für Justiz, ...).

Demand is drawn on *draw units* (municipal units, Kreise or Länder, see :mod:`model.demand`);
each (service, draw unit) cell is routed to its executing agency, giving the work pairs that the
weekly engine processes as arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.geography import Germany, MunicipalUnits

LEVELS: tuple[str, ...] = ("gemeinde", "kreis", "jobcenter", "land", "bund")
"""Executing levels, in the order used for level codes in the arrays."""

DRAW_LEVELS: tuple[str, ...] = ("unit", "kreis", "land")
"""Where a service's demand is drawn: municipal units, Kreise or Länder."""


@dataclass(frozen=True)
class Routing:
    """Agencies, draw cells and work pairs of one scenario.

    Attributes:
        agencies: one row per agency: ``key``, ``name``, ``level``, ``land`` (2 digits, "00"
            for the Bund), ``kreis`` (5 digits or ""), ``unit_row`` (row in the municipal
            unit table or -1), ``population`` (persons served, any service).
        services: the active service ids, in code order.
        cell_service: for each demand cell, its service code (index into ``services``).
        cell_unit: for each cell, its position among its service's cells (canonical order:
            Land, then Kreise or units, then large towns).
        cell_population: for each cell, the population of its territory (persons).
        cell_land: for each cell, the Land row (0-15) of its draw unit.
        cell_pair: for each cell, the work pair that executes it.
        pairs: one row per (agency, service) pair, sorted by (agency, service), so that an
            agency's pairs are contiguous (the engine processes blocks of whole agencies):
            ``agency``, ``service`` (code), ``land_row``, ``level`` (code into LEVELS),
            ``group`` (code of the (Land, level, service) group for weekly aggregates).
        groups: one row per group: ``land``, ``level``, ``service_id``.
        draw_level: for each service code, the finest draw level it uses in any Land (index
            into DRAW_LEVELS).
        target_pairs: for each central platform a scenario moves a service to, keyed
            ``(service_id, land_row, level)`` (``land_row`` -1 for the Bund), its work pair
            (which has no demand cells of its own until the migration redirects them).
    """

    agencies: pd.DataFrame
    services: tuple[str, ...]
    cell_service: np.ndarray
    cell_unit: np.ndarray
    cell_population: np.ndarray
    cell_land: np.ndarray
    cell_pair: np.ndarray
    pairs: pd.DataFrame
    groups: pd.DataFrame
    draw_level: np.ndarray
    target_pairs: dict[tuple[str, int, str], int] = field(default_factory=dict)


def _rank_within(codes: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each run of equal codes (codes sorted)."""
    starts = np.searchsorted(codes, codes)
    return np.arange(len(codes)) - starts


def _rows_of(keys: list[str], values: pd.Series, what: str) -> np.ndarray:
    """Position of each value in ``keys``; KeyError naming the first unknown value."""
    rows = pd.Index(keys).get_indexer(values)
    if (rows < 0).any():
        raise KeyError(f"unknown {what} {values.iloc[int(np.argmax(rows < 0))]!r}")
    return rows.astype(np.int64)


def build_routing(
    g: Germany,
    units: MunicipalUnits,
    execution: pd.DataFrame,
    services: list[str],
    service_names: dict[str, str],
    targets: Sequence[tuple[str, int, str]] = (),
) -> Routing:
    """Build agencies, demand cells and work pairs.

    Args:
        g: The geography.
        units: The municipal units of the scenario's granularity.
        execution: ``service_id, land, level, large_town_threshold`` (one row per service and
            Land; Land as 2-digit key).
        services: Active service ids, in code order.
        service_names: German name per service id (for Land and federal agency names).
        targets: Central platforms to create, ``(service_id, land_row, level)`` with level
            ``land`` (the Land office of that Land; a city-state's administration) or ``bund``
            (one federal office per service; land_row -1).

    Returns:
        The routing tables.
    """
    ut = units.table
    n_units = len(ut)
    land_keys = list(g.laender.index)
    kreis_keys = list(g.kreise.index)
    unit_kreis_row = _rows_of(kreis_keys, ut["kreis"], "Kreis")
    unit_land_row = _rows_of(land_keys, ut["land"], "Land")
    kreis_land_row = np.asarray(g.kreis_land_row, dtype=np.int64)
    kreisfrei = g.kreise["kreisfrei"].to_numpy()
    unit_pop = ut["population"].to_numpy(np.int64)
    kreis_pop = np.bincount(unit_kreis_row, unit_pop, minlength=len(kreis_keys)).astype(np.int64)
    land_pop = np.bincount(unit_land_row, unit_pop, minlength=len(land_keys)).astype(np.int64)

    # --- agencies --------------------------------------------------------------------------
    kreise = g.kreise
    parts = [pd.DataFrame({
        "key": ut["unit"].to_numpy(), "name": ut["name"].to_numpy(), "level": "gemeinde",
        "land": ut["land"].to_numpy(), "kreis": ut["kreis"].to_numpy(),
        "unit_row": np.arange(n_units), "population": unit_pop,
    })]  # fmt: skip
    # A kreisfreie Stadt is its own Kreis: its (single, largest) unit acts as Kreis agency.
    kreis_agency = np.full(len(kreis_keys), -1, dtype=np.int64)
    by_kreis_then_size = np.lexsort((-unit_pop, unit_kreis_row))
    kreis_of_sorted = unit_kreis_row[by_kreis_then_size]
    first = np.r_[True, np.diff(kreis_of_sorted) != 0]
    largest = by_kreis_then_size[first]
    largest_kreis = kreis_of_sorted[first]
    is_kf = kreisfrei[largest_kreis]
    kreis_agency[largest_kreis[is_kf]] = largest[is_kf]
    landkreise = np.flatnonzero(~kreisfrei)
    kreis_agency[landkreise] = n_units + np.arange(len(landkreise))
    parts.append(pd.DataFrame({
        "key": np.asarray(kreis_keys)[landkreise], "name": kreise["name"].to_numpy()[landkreise],
        "level": "kreis", "land": kreise["land"].to_numpy()[landkreise],
        "kreis": np.asarray(kreis_keys)[landkreise], "unit_row": -1,
        "population": kreis_pop[landkreise],
    }))  # fmt: skip
    n_base = n_units + len(landkreise)
    jobcenter_agency = n_base + np.arange(len(kreis_keys), dtype=np.int64)
    parts.append(pd.DataFrame({
        "key": ["JC-" + k for k in kreis_keys],
        "name": ["Jobcenter " + n for n in kreise["name"]],
        "level": "jobcenter", "land": kreise["land"].to_numpy(), "kreis": kreis_keys,
        "unit_row": -1, "population": kreis_pop,
    }))  # fmt: skip
    n_base += len(kreis_keys)
    rows: list[dict] = []  # Land and federal offices, created on first use

    # City-states: the city's administration acts as Land office (largest unit of the Land).
    city_agency = {}
    for lr in range(len(land_keys)):
        if bool(g.laender["stadtstaat"].iat[lr]):
            in_land = np.flatnonzero(unit_land_row == lr)
            city_agency[lr] = int(in_land[np.argmax(unit_pop[in_land])])
    land_agency: dict[tuple[int, str], int] = {}
    federal_agency: dict[str, int] = {}

    def land_office(lr: int, sid: str) -> int:
        if lr in city_agency:
            return city_agency[lr]
        if (lr, sid) not in land_agency:
            land_agency[(lr, sid)] = n_base + len(rows)
            rows.append(
                {"key": f"L{land_keys[lr]}-{sid}",
                 "name": f"{g.laender['name'].iat[lr]}: {service_names[sid]}",
                 "level": "land", "land": land_keys[lr], "kreis": "", "unit_row": -1,
                 "population": int(land_pop[lr])}
            )  # fmt: skip
        return land_agency[(lr, sid)]

    def federal_office(sid: str) -> int:
        if sid not in federal_agency:
            federal_agency[sid] = n_base + len(rows)
            rows.append(
                {"key": f"B-{sid}", "name": f"Bund: {service_names[sid]}", "level": "bund",
                 "land": "00", "kreis": "", "unit_row": -1, "population": int(land_pop.sum())}
            )  # fmt: skip
        return federal_agency[sid]

    # --- cells: (service, draw unit) -> executing agency -----------------------------------
    # A cell is the finest territory at which a service's executing agency can differ in
    # today's execution table, per (service, Land): every municipal unit for Gemeinde-level
    # services; for Kreis services with a large-town threshold each unit at or above it plus
    # the rest of its Kreis; Kreise for other Kreis and Jobcenter services; the Land for Land
    # and Bund services. Scenarios only coarsen execution, so agencies get whole cells.
    # (service, Land) -> (level, large-town threshold), as plain Python for the loop below
    exe = {(sid, land): (level, thr) for sid, land, level, thr in zip(
        execution["service_id"], execution["land"], execution["level"],
        execution["large_town_threshold"], strict=True)}  # fmt: skip
    unit_rows_of_land = [np.flatnonzero(unit_land_row == lr) for lr in range(len(land_keys))]
    kreis_rows_of_land = [np.flatnonzero(kreis_land_row == lr) for lr in range(len(land_keys))]
    cell_service, cell_pop, cell_land, cell_agency = [], [], [], []
    draw_level = np.full(len(services), len(DRAW_LEVELS) - 1, dtype=np.int64)
    for s, sid in enumerate(services):
        for lr, lkey in enumerate(land_keys):
            level, threshold = exe[(sid, lkey)]
            if level == "gemeinde":
                units_l = unit_rows_of_land[lr]
                pops, agency = unit_pop[units_l], units_l
                dl = "unit"
            elif level in ("kreis", "jobcenter"):
                kreise_l = kreis_rows_of_land[lr]
                base = kreis_agency if level == "kreis" else jobcenter_agency
                pops, agency = kreis_pop[kreise_l].copy(), base[kreise_l]
                dl = "kreis"
                if level == "kreis" and pd.notna(threshold):
                    units_l = unit_rows_of_land[lr]
                    big = units_l[(unit_pop[units_l] >= threshold)
                                  & ~kreisfrei[unit_kreis_row[units_l]]]  # fmt: skip
                    # the rest of each Kreis, without its large towns
                    pos = np.searchsorted(kreise_l, unit_kreis_row[big])
                    np.subtract.at(pops, pos, unit_pop[big])
                    pops = np.concatenate([pops, unit_pop[big]])
                    agency = np.concatenate([agency, big])
                    dl = "unit" if len(big) else "kreis"
            else:
                pops = land_pop[lr : lr + 1]
                agency = np.array([land_office(lr, sid) if level == "land"
                                   else federal_office(sid)])  # fmt: skip
                dl = "land"
            draw_level[s] = min(draw_level[s], DRAW_LEVELS.index(dl))
            keep = pops > 0
            cell_service.append(np.full(int(keep.sum()), s))
            cell_pop.append(pops[keep])
            cell_land.append(np.full(int(keep.sum()), lr))
            cell_agency.append(np.asarray(agency)[keep])

    target_agency = {}
    for sid, lr, level in targets:
        target_agency[(sid, lr, level)] = (land_office(lr, sid) if level == "land"
                                           else federal_office(sid))  # fmt: skip
    agencies = pd.concat([*parts, pd.DataFrame(rows)], ignore_index=True)
    c_service = np.concatenate(cell_service)
    c_agency = np.concatenate(cell_agency)
    c_land = np.concatenate(cell_land)
    t_keys = list(target_agency)
    t_pair_key = np.array([target_agency[k] * len(services) + services.index(k[0])
                           for k in t_keys], dtype=np.int64)  # fmt: skip

    # --- pairs: unique (agency, service), sorted by (agency, service) -----------------------
    ag_land = pd.Index(land_keys).get_indexer(agencies["land"])  # federal ("00"): -1 ...
    ag_land[ag_land < 0] = len(land_keys)  # ... the row after the Länder
    ag_level = _rows_of(list(LEVELS), agencies["level"], "level")
    pair_key = c_agency * len(services) + c_service
    uniq, inverse = np.unique(np.concatenate([pair_key, t_pair_key]), return_inverse=True)
    cell_pair_unsorted, target_pair_unsorted = inverse[: len(pair_key)], inverse[len(pair_key):]
    p_agency, p_service = uniq // len(services), uniq % len(services)
    p_land, p_level = ag_land[p_agency], ag_level[p_agency]
    order = np.lexsort((p_service, p_agency))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    pairs = pd.DataFrame(
        {"agency": p_agency[order], "service": p_service[order], "land_row": p_land[order],
         "level": p_level[order]}
    )  # fmt: skip
    gkey = (pairs["land_row"] * len(LEVELS) + pairs["level"]) * len(services) + pairs["service"]
    guniq, gcode = np.unique(gkey.to_numpy(), return_inverse=True)
    pairs["group"] = gcode
    land_names = [*land_keys, "00"]
    groups = pd.DataFrame(
        {
            "land": [land_names[v // (len(LEVELS) * len(services))] for v in guniq],
            "level": [LEVELS[(v // len(services)) % len(LEVELS)] for v in guniq],
            "service_id": [services[v % len(services)] for v in guniq],
        }
    )
    return Routing(
        agencies=agencies,
        services=tuple(services),
        cell_service=c_service,
        cell_unit=_rank_within(c_service),
        cell_population=np.concatenate(cell_pop).astype(np.float64),
        cell_land=c_land,
        cell_pair=rank[cell_pair_unsorted],
        pairs=pairs,
        groups=groups,
        draw_level=draw_level,
        target_pairs={k: int(rank[target_pair_unsorted[i]]) for i, k in enumerate(t_keys)},
    )
