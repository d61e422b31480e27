"""The discrete-event model against queueing theory: M/M/c mean waits against Erlang C.

For c in {1, 5, 20} clerks at loads 0.5, 0.8 and 0.95, and three seeds, a one-step office with
Poisson arrivals and exponential service (working-time mode, FIFO) is simulated; after a
warm-up of WARMUP_CASES cases, the mean wait in queue of the next CASES cases must match the
Erlang C value within max(5 %, 3 batch-means standard errors). The theory value is computed
here from the textbook sum formula, independently of ``model.des.erlang_c_wait``, which is
itself checked against hand-computed values. Runtime: about 90 s for the whole grid (see
docs/DES.md).
"""

import math

import numpy as np
import pytest

from model.des import erlang_c_wait, office_from_dict, simulate_office
from model.des_spec import WORKING_MINUTES_PER_WEEK

CLERKS = (1, 5, 20)
LOADS = (0.5, 0.8, 0.95)
SEEDS = (1, 2, 3)
CASES = 300_000
WARMUP_CASES = 20_000  # > 10 relaxation times of the slowest queue (M/M/1 at 0.95: ~1,500 cases)
BATCHES = 30
MINUTES = 60.0  # mean service time (minutes); the theory is scale-free
RELATIVE_TOLERANCE = 0.05
STANDARD_ERRORS = 3.0


def textbook_wait(c: int, arrival_rate: float, service_rate: float) -> float:
    """Erlang C mean wait from the sum formula (fine for c <= 170 in floating point)."""
    a = arrival_rate / service_rate
    rho = a / c
    tail = a**c / math.factorial(c) / (1.0 - rho)
    p0 = 1.0 / (sum(a**k / math.factorial(k) for k in range(c)) + tail)
    return tail * p0 / (c * service_rate - arrival_rate)


def test_erlang_c_hand_values():
    # M/M/1: Wq = rho / (mu - lambda); lambda = 0.8, mu = 1 -> 0.8 / 0.2 = 4
    assert erlang_c_wait(1, 0.8, 1.0) == pytest.approx(4.0, rel=1e-12)
    # M/M/2: Wq = rho^2 / (mu (1 - rho^2)), rho = lambda / (2 mu); lambda = 1.5, mu = 1 -> 9/7
    assert erlang_c_wait(2, 1.5, 1.0) == pytest.approx(0.5625 / 0.4375, rel=1e-12)
    # M/M/3, a = 2: P0 = 1 / (1 + 2 + 2 + 4) = 1/9, C = 4/9, Wq = C / (3 - 2) = 4/9
    assert erlang_c_wait(3, 2.0, 1.0) == pytest.approx(4 / 9, rel=1e-12)
    # time unit: rates per hour instead of per minute give the wait in hours
    assert erlang_c_wait(5, 4.0, 1.0) == pytest.approx(erlang_c_wait(5, 4 / 60, 1 / 60) / 60)


@pytest.mark.parametrize("c", [1, 2, 5, 20, 50, 100])
@pytest.mark.parametrize("load", [0.1, 0.5, 0.8, 0.95, 0.999])
def test_erlang_c_matches_sum_formula(c, load):
    mu = 1 / MINUTES
    assert erlang_c_wait(c, load * c * mu, mu) == pytest.approx(
        textbook_wait(c, load * c * mu, mu), rel=1e-9
    )


def test_erlang_c_is_stable_for_many_servers():
    # the sum formula overflows here; the recursion does not
    wait = erlang_c_wait(1000, 990.0, 1.0)
    assert math.isfinite(wait) and 0 < wait < 1


@pytest.mark.parametrize("args", [(0, 1.0, 1.0), (2, 2.0, 1.0), (1, 0.0, 1.0), (1.5, 1.0, 2.0)])
def test_erlang_c_rejects_bad_input(args):
    with pytest.raises(ValueError):
        erlang_c_wait(*args)


def mmc_office(c: int, load: float, service: str = "exponential", cases: int = CASES) -> dict:
    """A one-step M/M/c office with enough weeks for warm-up + cases (+2 % and 2 weeks)."""
    per_week = load * c / MINUTES * WORKING_MINUTES_PER_WEEK
    warmup_weeks = math.ceil(WARMUP_CASES / per_week)
    weeks = warmup_weeks + math.ceil(cases * 1.02 / per_week) + 2
    return {
        "office": {"name": f"mm{c}", "weeks": weeks, "warmup_weeks": warmup_weeks},
        "arrivals": {"rate_per_week": per_week},
        "staff": {"clerks": c},
        "steps": [{"name": "serve", "minutes": MINUTES, "distribution": service}],
    }


def waits_after_warmup(data: dict, seed: int, cases: int = CASES) -> np.ndarray:
    spec = office_from_dict(data, "<test>")
    result = simulate_office(spec, seed)
    table = result.cases
    after = table[table["arrival"] >= spec.warmup_weeks * spec.minutes_per_week].iloc[:cases]
    assert len(after) == cases, "too few arrivals after the warm-up"
    waits = (after["start"] - after["arrival"]).to_numpy()
    assert not np.isnan(waits).any(), "a case of the sample never started"
    return waits


def matches(waits: np.ndarray, theory: float) -> tuple[bool, str]:
    batch_means = waits.reshape(BATCHES, -1).mean(axis=1)
    se = batch_means.std(ddof=1) / math.sqrt(BATCHES)
    tolerance = max(RELATIVE_TOLERANCE * theory, STANDARD_ERRORS * se)
    mean = waits.mean()
    text = f"simulated {mean:.4f} min, Erlang C {theory:.4f} min, se {se:.4f}, tol {tolerance:.4f}"
    return abs(mean - theory) <= tolerance, text


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("load", LOADS)
@pytest.mark.parametrize("c", CLERKS)
def test_mean_wait_matches_erlang_c(c, load, seed):
    waits = waits_after_warmup(mmc_office(c, load), seed)
    mu = 1 / MINUTES
    ok, text = matches(waits, textbook_wait(c, load * c * mu, mu))
    assert ok, text


def test_check_can_fail():
    # M/D/1 (fixed service) waits half as long as M/M/1 (Pollaczek-Khinchine); the check above
    # must reject it against Erlang C.
    cases = 60_000
    waits = waits_after_warmup(mmc_office(1, 0.8, "fixed", cases), seed=1, cases=cases)
    mu = 1 / MINUTES
    ok, text = matches(waits, textbook_wait(1, 0.8 * mu, mu))
    assert not ok, text
    ok, text = matches(waits, textbook_wait(1, 0.8 * mu, mu) / 2)
    assert ok, text
