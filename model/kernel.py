"""The compiled weekly kernel: staffing, FIFO processing and recording for a block of pairs.

The same rules as the array reference in :mod:`model.processing` (``step_queues``) and
``FederalModel._advance_numpy``, written as one loop over weeks and pairs and compiled with
numba, so that no temporaries are made and each pair's state stays in registers. A test runs
both on the same inputs and requires equal results; ``FederalModel(kernel="numpy")`` runs the
reference for debugging.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from model.processing import TINY, WHOLE_CASE_TOLERANCE

N_THRESHOLDS = 3


@njit(cache=True, nogil=True)
def advance_block(
    t0: int,
    arrivals: np.ndarray,
    backlog: np.ndarray,
    oldest: np.ndarray,
    credit: np.ndarray,
    minutes: np.ndarray,
    processing_weeks: np.ndarray,
    capacity_per_fte: np.ndarray,
    keep_fte: np.ndarray,
    pool_fte: np.ndarray,
    expected_work: np.ndarray,
    agency_work: np.ndarray,
    own_share: np.ndarray,
    own_fte: np.ndarray,
    agency: np.ndarray,
    n_agencies: int,
    fungible_share: float,
    group: np.ndarray,
    thresholds: np.ndarray,
    weekly: np.ndarray,
    cum_arrivals: np.ndarray,
    cum_completions: np.ndarray,
    cum_lead: np.ndarray,
    record: bool,
    trace: np.ndarray,
) -> None:  # pragma: no cover - compiled; checked against the numpy reference in tests
    """Advance one block of pairs through ``arrivals.shape[0]`` weeks (mutates the state).

    Args:
        t0: Index (and start time, weeks) of the first week.
        arrivals: Shape (n_weeks, n_pairs) arrivals of the block's pairs.
        backlog, oldest, credit: Queue state (see :class:`model.processing.QueueState`).
        minutes, processing_weeks, capacity_per_fte: Per pair, per case.
        keep_fte, pool_fte, expected_work, agency_work, own_share, own_fte: Staffing
            quantities per pair (see ``FederalModel._staffing_changed``).
        agency: Block-local agency index of each pair (0 .. n_agencies-1).
        n_agencies: Agencies in the block.
        fungible_share: Share of FTE pooled within an agency.
        group: (Land, level, service) group of each pair.
        thresholds: Lead-time thresholds (weeks) for the ``over_*w`` aggregates.
        weekly: Shape (n_weeks, n_fields, n_groups): aggregates to add to (fields as in
            ``model.engine.AGG_FIELDS``).
        cum_arrivals, cum_completions, cum_lead: Cumulative counters per pair.
        record: Add to ``weekly`` and the counters (False during the warm-up).
        trace: Shape (4, n_weeks, n_pairs) per-pair arrivals, completions, backlog and lead
            sums, or shape (0, 0, 0) for none.
    """
    n_weeks, n_pairs = arrivals.shape
    waiting_agency = np.zeros(n_agencies)
    do_trace = trace.shape[0] > 0
    for i in range(n_weeks):
        t = float(t0 + i)
        if fungible_share > 0.0:
            waiting_agency[:] = 0.0
            for p in range(n_pairs):
                waiting_agency[agency[p]] += backlog[p] * minutes[p]
        for p in range(n_pairs):
            a = float(arrivals[i, p])
            b0 = backlog[p]
            if fungible_share > 0.0:
                waiting = b0 * minutes[p]
                denom = agency_work[p] + waiting_agency[agency[p]]
                share = (expected_work[p] + waiting) / denom if denom > 0.0 else own_share[p]
                fte = keep_fte[p] + pool_fte[p] * share
            else:
                fte = own_fte[p]
            capacity = fte * capacity_per_fte[p]
            # --- the FIFO rule of model.processing.step_queues, per pair ---
            c0 = credit[p]
            avail = c0 + capacity
            if b0 == 0.0 and a == 0.0:  # nothing to do: only idle capacity is banked
                credit[p] = min(avail, 1.0)
                lead = 0.0
                done = 0.0
                left = 0.0
            else:
                inv_rate = 1.0 / max(capacity, TINY)
                cap_whole = np.floor(avail + WHOLE_CASE_TOLERANCE)
                total = b0 + a
                done = min(total, cap_whole)
                left = total - done
                credit[p] = min(avail - done, 1.0)
                head = c0 * inv_rate
                k1 = min(done, b0)
                k2 = done - k1
                span = t - oldest[p]
                frac = k1 / b0 if b0 > 0.0 else 0.0
                lead = k1 * (span - head - 0.5 * span * frac + 0.5 * k1 * inv_rate)
                f0 = k1 * inv_rate - head
                if k2 > 0.0:
                    # positive part of the wait a0 + slope j over the new arrivals [0, k2)
                    inv_a = 1.0 / a
                    slope = inv_rate - inv_a
                    f1 = f0 + slope * k2
                    if f0 >= 0.0 and f1 >= 0.0:
                        wait_new = 0.5 * k2 * (f0 + f1)
                    elif f0 <= 0.0 and f1 <= 0.0:
                        wait_new = 0.0
                    else:
                        p0 = max(f0, 0.0)
                        p1 = max(f1, 0.0)
                        wait_new = k2 * (p0 * p0 - p1 * p1) / (2.0 * (f0 - f1))
                else:
                    inv_a = 1.0 / a if a > 0.0 else 0.0
                    wait_new = 0.0
                lead += wait_new + done * processing_weeks[p]
                if b0 > k1:
                    oldest[p] = oldest[p] + frac * span
                else:
                    oldest[p] = t + k2 * inv_a
            backlog[p] = left
            if record:
                g = group[p]
                weekly[i, 0, g] += a
                weekly[i, 1, g] += done
                weekly[i, 2, g] += left
                weekly[i, 3, g] += lead
                for k in range(thresholds.shape[0]):
                    if lead > thresholds[k] * done:
                        weekly[i, 6 + k, g] += done
                cum_arrivals[p] += a
                cum_completions[p] += done
                cum_lead[p] += lead
            if do_trace:
                trace[0, i, p] = a
                trace[1, i, p] = done
                trace[2, i, p] = left
                trace[3, i, p] = lead
