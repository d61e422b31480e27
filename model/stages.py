"""The path of an application outside the office's queue: requests to the applicant and
consultations of other agencies.

An application's lead time, as the citizen sees it, is the office's queue and processing (the
weekly engine's FIFO rule, :mod:`model.processing`) plus the time it waits *outside* the
office: for the applicant to send missing documents and for other agencies to answer. Those
waits use no staff of the executing agency (the minutes of checking the answers are in the
catalogue's minutes per case), so they are delays, not queues: many applications can wait at
once. Per service, ``model/data/case_stages.csv`` gives

- ``incomplete_share``: the share of applications the office must ask for documents,
- ``request_rounds``: the mean number of requests for such an application, each answered after
  ``applicant_response_weeks`` (a scenario parameter, the same for every service),
- ``consult_share`` and ``consult_weeks``: the share that needs another agency's statement and
  its mean duration,
- ``file_based``: 1 if the office decides on a file after intake (it then holds a standing
  stock of open cases, ``initial_office_stock_weeks`` of intake on 1.1.2023), 0 if the case
  is decided while the citizen is at the counter, by a register extract or automatically,

each with a source or the reason of the assumption, and a range.

The weekly engine uses two numbers per service (:func:`outside_waits`): the share ``s`` of
applications that wait outside at all, ``1 - (1 - incomplete_share)(1 - consult_share)``, and
the mean outside wait ``m`` of those that do, so that ``s * m`` is the mean over all
applications (``incomplete_share x request_rounds x applicant_response_weeks + consult_share x
consult_weeks``). Named approximations (docs/ENGINE.md): the outside wait of an application
that waits is exponential with mean ``m`` (for the shares over 4/8/12 weeks); the office's
queue sees the application when it arrives (its first look is what finds the gap), and the
cases waiting outside are counted by Little's law (this week's applications x ``s * m``), not
followed one by one. The case-level model (:mod:`model.des`) does not walk these stages yet.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.catalogue import CatalogueError, load_catalogue, read_text_table

STAGES_FILE = "case_stages.csv"
COLUMNS: tuple[str, ...] = (
    "service_id", "incomplete_share", "incomplete_low", "incomplete_high", "request_rounds",
    "rounds_low", "rounds_high", "consult_share", "consult_weeks", "consult_weeks_low",
    "consult_weeks_high", "file_based", "source",
)  # fmt: skip
SHARES = ("incomplete_share", "incomplete_low", "incomplete_high", "consult_share")
FLAGS = ("file_based",)
RANGES = (
    ("incomplete_share", "incomplete_low", "incomplete_high"),
    ("request_rounds", "rounds_low", "rounds_high"),
    ("consult_weeks", "consult_weeks_low", "consult_weeks_high"),
)


@dataclass(frozen=True)
class CaseStages:
    """The stage table, one row per service (index ``service_id``; numeric columns float)."""

    table: pd.DataFrame

    def outside_waits(
        self, service_ids: list[str] | tuple[str, ...], response_weeks: float,
        rounds_factor: np.ndarray | float = 1.0,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per service: the share ``s`` of applications that wait outside the office, the
        mean outside wait ``m`` (weeks) of those that do, and the mean number ``r`` of times
        an application's file comes back to the office (each answered request, each
        statement: ``incomplete_share x request_rounds + consult_share``); services not in the
        table (running cases, services a test makes up) wait nowhere (``s = m = r = 0``).
        ``rounds_factor`` (per service or one number) multiplies the request rounds (a remote
        office asks more often, ``remote_request_extra``)."""
        factors = np.broadcast_to(np.asarray(rounds_factor, dtype=np.float64),
                                  (len(service_ids),))  # fmt: skip
        share = np.zeros(len(service_ids))
        mean = np.zeros(len(service_ids))
        returns = np.zeros(len(service_ids))
        t = self.table
        for i, sid in enumerate(service_ids):
            if sid not in t.index:
                continue
            inc, rounds = t.at[sid, "incomplete_share"], t.at[sid, "request_rounds"] * factors[i]
            con, weeks = t.at[sid, "consult_share"], t.at[sid, "consult_weeks"]
            s = 1.0 - (1.0 - inc) * (1.0 - con)
            total = inc * rounds * response_weeks + con * weeks
            if s > 0.0 and total > 0.0:
                share[i], mean[i] = s, total / s
                returns[i] = inc * rounds + con
        return share, mean, returns

    def office_stock_weeks(
        self, service_ids: list[str] | tuple[str, ...], weeks: float
    ) -> np.ndarray:
        """Per service: the open cases at an office on 1.1.2023 in weeks of its expected
        intake (``initial_office_stock_weeks``) for services decided on a file after intake
        (``file_based = 1``); 0 for the others (decided while the citizen is at the counter,
        register extracts, automated decisions) and for services not in the table."""
        t = self.table
        return np.array([weeks * float(t.at[sid, "file_based"]) if sid in t.index else 0.0
                         for sid in service_ids])  # fmt: skip


def build_stages(raw: pd.DataFrame, services: pd.DataFrame) -> CaseStages:
    """Check the stage table against the catalogue's services; one-line errors name the file,
    the row and the column."""
    name = f"model/data/{STAGES_FILE}"
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise CatalogueError(f"{name}: missing column(s) {', '.join(missing)}")
    kinds = dict(zip(services["service_id"], services["kind"], strict=True))
    t = raw.copy()
    for row, sid in enumerate(t["service_id"], start=2):
        if sid not in kinds:
            raise CatalogueError(f"{name} row {row}: unknown service_id {sid!r}; allowed: the "
                                 "service_id values of services.csv")  # fmt: skip
        if kinds[sid] != "application":
            raise CatalogueError(f"{name} row {row}: {sid!r} is a {kinds[sid]}; only "
                                 "applications have a case path")  # fmt: skip
        if not str(t.at[row - 2, "source"]).strip():
            raise CatalogueError(f"{name} row {row}: column 'source' is empty")
    if t["service_id"].duplicated().any():
        sid = t.loc[t["service_id"].duplicated(), "service_id"].iloc[0]
        raise CatalogueError(f"{name}: service_id {sid!r} appears twice")
    for col in COLUMNS[1:-1]:
        values = pd.to_numeric(t[col], errors="coerce")
        bad = values.isna() | (values < 0) | (values > 1 if col in SHARES else False)
        if col in FLAGS:
            bad = ~values.isin([0, 1])
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            allowed = ("a share in [0, 1]" if col in SHARES else "0 or 1" if col in FLAGS
                       else "a number >= 0")  # fmt: skip
            raise CatalogueError(f"{name} row {row}: column {col!r} is "
                                 f"'{t[col].iloc[row - 2]}'; allowed: {allowed}")  # fmt: skip
        t[col] = values.astype(np.float64)
    for value, low, high in RANGES:
        bad = (t[low] > t[value]) | (t[value] > t[high])
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise CatalogueError(f"{name} row {row}: {value!r} must lie in [{low}, {high}]")
    return CaseStages(t.set_index("service_id"))


@functools.lru_cache(maxsize=1)
def load_stages() -> CaseStages:
    """The packaged stage table, checked against the packaged catalogue (cached)."""
    return build_stages(read_text_table(STAGES_FILE), load_catalogue().services)
