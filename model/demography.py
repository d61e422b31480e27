"""Demand that follows demography: each service's volume follows the population it scales with,
per Land, along the Destatis projections (issue 5, item 5).

The index of a service in Land ``l`` and year ``y`` is

    index(s, l, y) = [P_l(y) / P_l(ref)] x [share_g(y) / share_g(ref)]

where ``P_l`` is the Land's mid-year population in the 15th koordinierte
Bevölkerungsvorausberechnung (the scenario's ``population_variant``; mid-year = mean of the
31.12. values of the year before and the year) and ``share_g`` is the national share of the
service's population group ``g`` (``scales_with`` in the catalogue: all residents, births, ages
0-17, 18-29, 20-66, 67+, 80+) in the 16th kBV (variant G2L2W2, single years of age).

Named approximations (docs/ENGINE.md):
- the age structure is national: age by Land is not in the packaged data, so every Land gets
  the national change of a group's share;
- the 16th kBV starts at 31.12.2025, so group shares are held at their 2025 value before 2025;
- ``ref`` is 2023, the year most catalogue volumes describe; volumes of other years are taken
  as 2023 levels (an assumption recorded per service in the catalogue).
"""

from __future__ import annotations

import numpy as np

from model.geography import load_projections

REFERENCE_YEAR = 2023
"""The year the catalogue's volumes describe (18 of 32 services; the others are taken as 2023
levels)."""

AGE_GROUPS: dict[str, tuple[int, int]] = {
    "population": (0, 100),
    "age_0": (0, 0),
    "age_0_17": (0, 17),
    "age_18_29": (18, 29),
    "age_20_66": (20, 66),
    "age_67plus": (67, 100),
    "age_80plus": (80, 100),
}
"""Population groups a service's volume can follow (ages inclusive; 100 = 100 and older)."""


def land_index(variant: str, land_keys: list[str], years: list[int]) -> np.ndarray:
    """Mid-year Land population relative to the reference year, shape (16, n_years).

    Args:
        variant: A 15th-kBV variant (e.g. ``G2L2W2``).
        land_keys: Land keys ("01" ... "16") in row order.
        years: Model years.
    """
    t = load_projections().laender_15kbv
    t = t[t["variant"] == variant].pivot(index="land", columns="year", values="population")
    t = t.loc[land_keys].astype(np.float64)

    def mid(y: int) -> np.ndarray:
        return 0.5 * (t[y - 1].to_numpy() + t[y].to_numpy())

    ref = mid(REFERENCE_YEAR)
    return np.stack([mid(y) / ref for y in years], axis=1)


def group_share_index(groups: list[str], years: list[int]) -> np.ndarray:
    """National share of each population group relative to the reference year,
    shape (n_groups, n_years); held at the first projected year before it."""
    t = load_projections().germany_16kbv_age
    wide = t.pivot(index="year", columns="age", values="population").astype(np.float64)
    first = int(wide.index.min())
    total = wide.sum(axis=1).to_numpy()
    rows = np.ascontiguousarray(wide.to_numpy())  # year x age
    row_of = {int(y): i for i, y in enumerate(wide.index)}
    ages = wide.columns.to_numpy()

    def share(group: str, y: int) -> float:
        lo, hi = AGE_GROUPS[group]
        i = row_of[max(y, first)]
        return float(rows[i, (ages >= lo) & (ages <= hi)].sum() / total[i])

    return np.array([[share(g, y) / share(g, REFERENCE_YEAR) for y in years] for g in groups])


def demand_index(
    scales_with: list[str], land_keys: list[str], years: list[int], variant: str
) -> np.ndarray:
    """Demand index per service, Land and year, shape (n_services, 16, n_years).

    Args:
        scales_with: Each service's population group (catalogue ``scales_with``).
        land_keys: Land keys in row order.
        years: Model years.
        variant: The 15th-kBV variant for Land populations.
    """
    groups = sorted(set(scales_with))
    unknown = set(groups) - set(AGE_GROUPS)
    if unknown:
        raise ValueError(
            f"unknown population groups {sorted(unknown)}; allowed: {list(AGE_GROUPS)}"
        )
    lands = land_index(variant, land_keys, years)
    shares = group_share_index(groups, years)
    g_of = np.array([groups.index(g) for g in scales_with])
    return lands[None, :, :] * shares[g_of][:, None, :]
