"""Processing: weekly capacity, fungible staff, FIFO queues and lead times, as arrays.

Every (agency, service) work pair is one FIFO queue. A week ``t`` spans model time
``[t, t+1)`` (in weeks). The weekly rule, for all pairs at once:

1. **Capacity** (cases/week) = FTE x ``fte_hours_per_year`` x 60 / ``weeks_per_year`` x
   ``productivity_factor`` / minutes per case. Leave is not deducted again: the catalogue's
   minutes were derived on 1,600 productive hours per FTE-year.
2. **Whole cases.** Completions are whole cases: ``C = min(backlog + arrivals, floor(credit +
   capacity))``. Capacity not used carries to next week up to one case (``credit``): with a
   queue that is the fractional rest (the next case is partly done), so an office with 0.3
   cases/week completes three cases every ten weeks; an idle office keeps at most one case's
   worth of time ready, so a rare case in a tiny office is done on arrival. An empty queue with
   a full credit and no arrivals does not change at all (the engine skips it).
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
WHOLE_CASE_TOLERANCE = 1e-9
"""Capacity within this many cases of a whole number counts as that whole number, so that
floating-point rounding (7.999999999 cases) does not lose a case (a numerical setting)."""


@dataclass
class QueueState:
    """State of all work pairs.

    Attributes:
        backlog: Waiting cases (float64 holding whole numbers).
        oldest: Arrival time (weeks) of the oldest waiting case; meaningless when empty.
        credit: Fractional capacity carried from last week (cases, in [0, 1)).
    """

    backlog: np.ndarray
    oldest: np.ndarray
    credit: np.ndarray

    @classmethod
    def empty(cls, n: int, t0: float = 0.0) -> QueueState:
        """All queues empty at time ``t0``."""
        return cls(np.zeros(n), np.full(n, t0), np.zeros(n))


@dataclass
class WeekFlows:
    """What happened in one week, per pair.

    Attributes:
        completions: Cases completed (float64 holding whole numbers).
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
    capacity_shift: np.ndarray | None = None,
    within_wait: np.ndarray | None = None,
) -> WeekFlows:
    """Advance FIFO queues by one week (mutates ``state``).

    Counts are float64 arrays holding whole numbers (exact up to 2**53).

    Args:
        state: The queues at the start of week ``t``.
        t: The week's start time (weeks).
        arrivals: Cases arriving in the week.
        capacity: Cases the staff can complete in the week (>= 0).
        processing_weeks: Processing time of one case (weeks), added to each lead time.
        capacity_shift: Random change of this week's capacity (cases) for offices at high
            load, applied only where the office is busy the whole week (service-time
            variability; see docs/ENGINE.md).
        within_wait: Within-week waiting time (weeks): a completed case waits at least this
            long (the queueing within the week that the fluid rule does not see).

    Returns:
        Completions and the sum of their lead times.
    """
    b0 = state.backlog
    credit = state.credit
    inv_rate = 1.0 / np.maximum(capacity, TINY)
    avail = credit + capacity
    total = b0 + arrivals
    whole = avail
    if capacity_shift is not None:
        busy = total > np.floor(avail + WHOLE_CASE_TOLERANCE)
        whole = np.where(busy, avail + capacity_shift, avail)
    cap_whole = np.floor(np.maximum(whole, 0.0) + WHOLE_CASE_TOLERANCE)
    done = np.minimum(total, cap_whole)
    backlog = total - done
    # Capacity not used this week carries over up to one case: while work remains that is the
    # fractional rest (the next case is partly done); an idle office can have the next case's
    # worth of time ready, so a rare case in a tiny office is done on arrival. Idle capacity
    # beyond one case is lost. An empty queue with a full credit and no arrivals is unchanged.
    state.credit = np.minimum(np.maximum(whole - done, 0.0), 1.0)
    # Last week's credit means this week's completions start credit/rate early.
    head = credit * inv_rate
    k1 = np.minimum(done, b0)  # completed from the waiting backlog
    k2 = done - k1  # completed from this week's arrivals
    span = t - state.oldest
    frac = k1 / np.maximum(b0, TINY)
    # Backlog part: completions at t - head + [0, k1)/rate; arrivals spread over [oldest, t),
    # the completed ones over [oldest, oldest + frac * span).
    lead = k1 * (span - head - 0.5 * span * frac + 0.5 * k1 * inv_rate)
    # New part: arrival j (0 <= j < k2) comes at t + j/a and is completed at
    # max(t + j/a, t - head + (k1 + j)/rate): it waits max(0, f(j)), f(j) = a0 + slope j,
    # integrated over [0, k2] as k2 (f0+^2 - f1+^2) / (2 (f0 - f1)) (f0 = f1: k2 f0+).
    inv_a = 1.0 / np.maximum(arrivals, TINY)
    f0 = k1 * inv_rate - head
    slope = inv_rate - inv_a
    f1 = f0 + slope * k2
    p0 = np.maximum(f0, 0.0)
    p1 = np.maximum(f1, 0.0)
    d = f0 - f1
    with np.errstate(invalid="ignore", divide="ignore"):
        wait_new = np.where(np.abs(d) > TINY, k2 * (p0 * p0 - p1 * p1) / (2.0 * d), k2 * p0)
    lead += wait_new
    if within_wait is not None:
        lead = np.maximum(lead, within_wait * done)
    lead += done * processing_weeks
    state.oldest = np.where(b0 > k1, state.oldest + frac * span, t + k2 * inv_a)
    state.backlog = backlog
    return WeekFlows(done, lead)
