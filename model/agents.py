"""The executing agencies as Mesa agents.

Each agent knows its row in the model's agency table; its state (staff, backlog per service)
lives in the model's arrays, so the weekly flows never loop over agents in Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from model.engine import FederalModel


class Agency(mesa.Agent):
    """An executing agency; its state lives in the model's arrays at ``row``.

    Args:
        model: The model.
        row: Row in ``model.routing.agencies``.
    """

    level = "agency"

    def __init__(self, model: FederalModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def _info(self) -> pd.Series:
        return self.model.routing.agencies.iloc[self.row]

    @property
    def name(self) -> str:
        """Official name."""
        return str(self._info["name"])

    @property
    def key(self) -> str:
        """AGS / Verwaltung / Kreis key, or a synthetic key for Land and federal offices."""
        return str(self._info["key"])

    @property
    def population(self) -> int:
        """Persons living in the agency's territory (31.12.2024)."""
        return int(self._info["population"])

    def _per_service(self, values: np.ndarray) -> dict[str, float]:
        m = self.model
        pairs = m.agency_pairs(self.row)
        return {m.routing.services[m.pair_service[p]]: float(values[p]) for p in pairs}

    @property
    def staff_fte(self) -> dict[str, float]:
        """FTE per service (own staff, before pooling)."""
        return self._per_service(self.model.own_fte)

    @property
    def staff_ages(self) -> np.ndarray:
        """Ages (completed years on 1 January) of the agency's staff persons; empty when
        staff are constant (``staff_model = "constant"``)."""
        w = self.model.workforce
        if w is None:
            return np.zeros(0, dtype=np.int64)
        return np.sort(w.p_age[w.p_agency == self.row])

    @property
    def persons(self) -> int:
        """Staff persons now (0 when staff are constant)."""
        return len(self.staff_ages)

    @property
    def backlog(self) -> dict[str, int]:
        """Waiting cases per service."""
        return {k: int(v) for k, v in self._per_service(self.model.queues.backlog).items()}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key} {self.name!r}>"


class MunicipalAdministration(Agency):
    """A Gemeinde, Amt, Verbandsgemeinde, ... office (a kreisfreie Stadt is also its Kreis)."""

    level = "gemeinde"


class KreisAdministration(Agency):
    """A Landkreis / Kreis administration."""

    level = "kreis"


class Jobcenter(Agency):
    """A Jobcenter (Bürgergeld; BA and Kommune)."""

    level = "jobcenter"


class LandOffice(Agency):
    """A Land office executing one service for its Land."""

    level = "land"


class FederalAgency(Agency):
    """A federal agency executing one service nationwide."""

    level = "bund"


AGENT_CLASS = {
    "gemeinde": MunicipalAdministration,
    "kreis": KreisAdministration,
    "jobcenter": Jobcenter,
    "land": LandOffice,
    "bund": FederalAgency,
}
