"""Cover for municipal offices that lose their staff (issue 16, item 6).

A small Gemeinde office whose only clerk retires or leaves does not simply stop: the Amt or
Verwaltungsgemeinschaft it belongs to, a neighbouring Gemeinde or the Kreis sends someone
(administrative assistance, Amtshilfe, §§ 4-8 VwVfG; shared offices of Ämter and
Verwaltungsgemeinschaften under the Länder's municipal codes). The model's rule, applied at
every quarterly staff step after hiring and exits (:func:`office_cover`):

- an office is *short* when its staff are below ``office_cover_floor`` of its initial staff
  (staffing factor below the floor): it can no longer keep its opening hours and hands work
  to neighbours;
- the other municipal offices of its Kreis that are not short lend it FTE until it is back
  at its initial staff, in proportion to their spare staff: each lends at most
  ``office_cover_max_share`` of its own staff and never falls below the floor itself (when
  the Kreis's spare staff do not suffice, every short office gets the same share of its gap);
- lent staff work at ``office_cover_productivity`` (they do not know the office, and travel
  between town halls): the short office's factor rises by the lent FTE x that productivity,
  the lenders' falls by the full lent FTE.

So cover conserves staff (it is lent, not made) and costs lead time where it is used; a short
office is never raised above its initial staff. Only offices of level ``gemeinde`` lend and borrow,
within one Kreis (kreisfreie Städte are their own Kreis and have no neighbour to borrow
from).
"""

from __future__ import annotations

import numpy as np


def office_cover(
    is_municipal: np.ndarray,
    kreis: np.ndarray,
    fte0: np.ndarray,
    factor: np.ndarray,
    floor: float,
    productivity: float,
    max_share: float,
) -> np.ndarray:
    """The staffing factors after cover (a new array; ``factor`` is not changed).

    Args:
        is_municipal: Per agency, True for municipal offices (level ``gemeinde``).
        kreis: Per agency, an integer code of its Kreis.
        fte0: Per agency, initial FTE (the factor's reference).
        factor: Per agency, staff now over initial staff (after hiring, exits, overtime).
        floor: Factor below which an office is short (and that a lender keeps).
        productivity: Output of a lent FTE at the short office, relative to its own staff.
        max_share: Largest share of the lenders' FTE that a Kreis lends in total.
    """
    out = np.array(factor, dtype=np.float64, copy=True)
    staffed = is_municipal & (fte0 > 0)
    if floor <= 0 or not staffed.any():
        return out
    short = staffed & (out < floor)
    lender = staffed & (out > floor)
    if not short.any():
        return out
    codes, k = np.unique(kreis, return_inverse=True)
    n = len(codes)
    # FTE each short office needs to get back to its initial staff, in lent FTE
    gap = np.where(short, (1.0 - out) * fte0 / max(productivity, 1e-12), 0.0)
    spare = np.where(lender, np.minimum((out - floor) * fte0, max_share * out * fte0), 0.0)
    need_k = np.bincount(k, gap, minlength=n)
    spare_k = np.bincount(k, spare, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        filled = np.where(need_k > 0, np.minimum(1.0, spare_k / need_k), 0.0)  # share of gaps
        lent_k = need_k * filled
        lend_share = np.where(spare_k > 0, lent_k / spare_k, 0.0)  # share of each spare
    got = gap * filled[k]
    given = spare * lend_share[k]
    with np.errstate(invalid="ignore", divide="ignore"):
        out += np.where(fte0 > 0, (got * productivity - given) / np.where(fte0 > 0, fte0, 1.0),
                        0.0)  # fmt: skip
    return out
