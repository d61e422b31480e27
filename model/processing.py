"""Processing: weekly capacity, fungible staff, FIFO queues and lead times, as arrays.

Every (agency, service) work pair is one FIFO queue. A week ``t`` spans model time
``[t, t+1)`` (in weeks). The weekly rule, for all pairs at once:

1. **Capacity** (cases/week) = FTE x ``fte_hours_per_year`` x 60 / ``weeks_per_year`` x
   ``productivity_factor`` / minutes per case. Leave is not deducted again: the catalogue's
   minutes were derived on 1,600 productive hours per FTE-year.
2. **Whole cases.** Completions are whole cases: ``C = min(backlog + arrivals, floor(credit +
   capacity))``. When capacity binds, its fractional rest carries to next week (``credit``);
   when the queue empties, idle capacity is lost. So an office with 0.3 cases/week of capacity
   completes three cases every ten weeks.
3. **FIFO lead time (fluid within the week).** Waiting cases are taken to have arrived
   uniformly over ``[oldest, t)``, this week's arrivals uniformly over ``[t, t+1)``, and the
   clerks to work at a constant rate through the week, oldest case first. The lead time of a
   completed case is completion minus arrival time plus its processing time (minutes per case
   over one FTE's working minutes per week). Sums over the completed cases follow in closed
   form (see :func:`step_queues`). The rule is exact FIFO whenever arrivals and capacity are
   constant (the hand-checked fixture in the tests); otherwise its error comes only from the
   "uniformly spread backlog" assumption and is measured against the case-level simpy model.

Fungible staff: a share ``fungible_share`` of each agency's FTE is pooled and shared among its
services in proportion to their work (expected weekly work plus backlog work, staff-minutes),
so the pool follows backlog pressure; with no backlog it stays where the demand is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TINY = 1e-12


@dataclass
class QueueState:
    """State of all work pairs.

    Attributes:
        backlog: Waiting cases (int64).
        oldest: Arrival time (weeks) of the oldest waiting case; meaningless when empty.
        credit: Fractional capacity carried from last week (cases, in [0, 1)).
    """

    backlog: np.ndarray
    oldest: np.ndarray
    credit: np.ndarray

    @classmethod
    def empty(cls, n: int, t0: float = 0.0) -> QueueState:
        """All queues empty at time ``t0``."""
        return cls(np.zeros(n, np.int64), np.full(n, t0), np.zeros(n))


@dataclass
class WeekFlows:
    """What happened in one week, per pair.

    Attributes:
        completions: Cases completed (int64).
        lead_sum: Sum of the completed cases' lead times (weeks).
    """

    completions: np.ndarray
    lead_sum: np.ndarray


def step_queues(
    state: QueueState,
    t: float,
    arrivals: np.ndarray,
    capacity: np.ndarray,
    processing_weeks: np.ndarray,
) -> WeekFlows:
    """Advance every FIFO queue by one week (mutates ``state``).

    Args:
        state: The queues at the start of week ``t``.
        t: The week's start time (weeks).
        arrivals: Cases arriving in the week (int64).
        capacity: Cases the staff can complete in the week (float, >= 0).
        processing_weeks: Processing time of one case (weeks), added to each lead time.

    Returns:
        Completions and the sum of their lead times.
    """
    b0 = state.backlog
    # Work already done on the next case (last week's fractional credit) moves this week's
    # completion times earlier by credit/rate.
    head_start = state.credit / np.maximum(capacity, TINY)
    avail = state.credit + capacity
    cap_whole = np.floor(avail).astype(np.int64)
    done = np.minimum(b0 + arrivals, cap_whole)
    state.credit = np.where(done == cap_whole, avail - cap_whole, 0.0)

    b0f = b0.astype(np.float64)
    k1 = np.minimum(done, b0).astype(np.float64)  # from the waiting backlog
    k2 = done - k1  # from this week's arrivals
    rate = np.maximum(capacity, TINY)
    a = np.maximum(arrivals, TINY)
    span = t - state.oldest
    frac = k1 / np.maximum(b0f, TINY)
    # Backlog part: completion times t + [0, k1)/rate; arrival times spread on [oldest, t).
    lead_old = k1 * (span - head_start) - 0.5 * k1 * span * frac + k1 * k1 / (2.0 * rate)
    # New part: case j (0 <= j < k2) arrives at t + j/a and completes at
    # max(t + j/a, t - head_start + (k1 + j)/rate): its wait is max(0, a0 + j (1/rate - 1/a)).
    a0 = k1 / rate - head_start
    slope = 1.0 / rate - 1.0 / a
    # Integral of max(0, a0 + slope j) over [0, k2]: the wait is positive from j_lo on.
    j_lo = np.where((a0 < 0) & (slope > 0), np.minimum(k2, -a0 / np.maximum(slope, TINY)), 0.0)
    j_lo = np.where((a0 < 0) & (slope <= 0), k2, j_lo)
    j_hi = np.where((a0 >= 0) & (slope < 0), np.minimum(k2, a0 / np.maximum(-slope, TINY)), k2)
    j_hi = np.maximum(j_hi, j_lo)
    lead_new = a0 * (j_hi - j_lo) + 0.5 * slope * (j_hi * j_hi - j_lo * j_lo)
    lead_sum = lead_old + lead_new + done * processing_weeks

    remaining_old = b0 - k1
    state.oldest = np.where(remaining_old > 0, state.oldest + frac * span, t + k2 / a)
    state.backlog = b0 + arrivals - done
    return WeekFlows(done, lead_sum)


def fungible_fte(
    own_fte: np.ndarray,
    pair_agency: np.ndarray,
    n_agencies: int,
    work: np.ndarray,
    share: float,
) -> np.ndarray:
    """Effective FTE per pair after pooling the fungible share within each agency.

    Args:
        own_fte: FTE assigned to each pair's service.
        pair_agency: Agency row of each pair.
        n_agencies: Number of agencies.
        work: Each pair's claim on the pool (staff-minutes of expected and waiting work).
        share: ``fungible_share`` (0-1).

    Returns:
        FTE per pair; the sum per agency equals the agency's own total.
    """
    if share <= 0.0:
        return own_fte
    pool = np.bincount(pair_agency, own_fte, minlength=n_agencies) * share
    work_total = np.bincount(pair_agency, work, minlength=n_agencies)
    fte_total = np.bincount(pair_agency, own_fte, minlength=n_agencies)
    # Without any work in the agency, the pool stays with each service's own staff.
    weight = np.where(
        work_total[pair_agency] > 0,
        work / np.maximum(work_total[pair_agency], TINY),
        own_fte / np.maximum(fte_total[pair_agency], TINY),
    )
    return own_fte * (1.0 - share) + pool[pair_agency] * weight
