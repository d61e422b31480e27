"""The arrival sampler is exact: weekly counts are independent Poisson with the weekly rate,
for both samplers (yearly count scattered over weeks, and weekly draws)."""

import numpy as np
import pytest

from model.demand import SCATTER_BELOW, ArrivalSampler


def _poisson_chi2(x: np.ndarray, lam: float) -> tuple[float, int]:
    from math import lgamma, log

    k = np.arange(0, int(lam + 8 * lam**0.5) + 10)
    pmf = np.exp([-lam + kk * log(lam) - lgamma(kk + 1) for kk in k])
    obs = np.bincount(x, minlength=len(k))[: len(k)]
    exp_ = pmf * len(x)
    keep = exp_ > 5
    return float(((obs[keep] - exp_[keep]) ** 2 / exp_[keep]).sum()), int(keep.sum() - 1)


@pytest.mark.parametrize("rate", [0.3, 5.0, SCATTER_BELOW * 2])
def test_weekly_counts_are_poisson_with_the_weekly_rate(rate):
    n_cells = 20_000
    season = np.r_[np.full(26, 0.5), np.full(26, 1.5)][None, :]
    sampler = ArrivalSampler(7, ("svc",), np.zeros(n_cells, dtype=np.int64))
    out = sampler.draw(2030, np.full(n_cells, rate), season, np.zeros_like(season),
                       np.zeros(n_cells))  # fmt: skip
    for week, factor in ((3, 0.5), (40, 1.5)):
        lam = rate * factor
        x = out[week]
        assert x.mean() == pytest.approx(lam, rel=0.05)
        assert x.var() == pytest.approx(lam, rel=0.08)
        chi2, df = _poisson_chi2(x, lam)
        assert chi2 < df + 4 * (2 * df) ** 0.5, (chi2, df)  # far beyond the 99.9 % quantile
    # weeks are independent
    assert abs(np.corrcoef(out[3], out[4])[0, 1]) < 0.03
    # the year's total is Poisson with the year's rate
    assert out.sum(axis=0).mean() == pytest.approx(rate * 52, rel=0.01)


def test_same_stream_same_draws_and_years_independent():
    cells = np.zeros(500, dtype=np.int64)
    season = np.ones((1, 52))
    a = ArrivalSampler(3, ("svc",), cells).draw(2030, np.full(500, 4.0), season, 0 * season,
                                                np.zeros(500))  # fmt: skip
    b = ArrivalSampler(3, ("svc",), cells, threads=2).draw(2030, np.full(500, 4.0), season,
                                                           0 * season, np.zeros(500))  # fmt: skip
    c = ArrivalSampler(3, ("svc",), cells).draw(2031, np.full(500, 4.0), season, 0 * season,
                                                np.zeros(500))  # fmt: skip
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_shared_draw_into_pairs_equals_plain_draw():
    """A year drawn service by service by two threads (a gated helper and the caller) and
    added straight into pair rows equals the plain per-cell draw summed per pair: the same
    streams give the same cases whoever draws a service (common random numbers)."""
    import threading

    cell_service = np.repeat([0, 1, 2], [300, 200, 100])
    services = ("a", "b", "c")
    rng = np.random.default_rng(0)
    base = np.r_[rng.uniform(0.01, 30.0, 300), rng.uniform(0.01, 5.0, 200),
                 rng.uniform(10.0, 50.0, 100)]  # fmt: skip
    season = np.vstack([np.r_[np.full(26, 0.5), np.full(26, 1.5)], np.ones(52),
                        np.linspace(0.5, 1.5, 52)])  # fmt: skip
    shock = np.zeros_like(season)
    shock[2, 10:20] = 100.0  # a programme of service c
    shock_share = np.where(cell_service == 2, 1 / 100, 0.0)
    cells = ArrivalSampler(5, services, cell_service).draw(2031, base, season, shock,
                                                           shock_share)  # fmt: skip
    assert cells[:, :300].sum() > 0 and cells[10:20, 500:].sum() > 0
    # two cells per pair, pairs of different services apart
    rows = cell_service * 1000 + np.arange(600) // 2
    out = np.zeros((3000, 52), dtype=np.int32)
    job = ArrivalSampler(5, services, cell_service).job(2031, base, season, shock,
                                                        shock_share, rows, out)  # fmt: skip
    gate = threading.Event()
    helper = threading.Thread(target=job.work, args=(gate.wait,))
    helper.start()
    gate.set()
    got = job.result()
    helper.join()
    want = np.zeros((3000, 52), dtype=np.int64)
    np.add.at(want, rows, cells.T)
    np.testing.assert_array_equal(got, want)


def test_draws_in_pieces_are_the_same_draws(monkeypatch):
    """A service's draws made in small pieces (so a background thread can pause between
    them) take the stream's numbers in the same order: the same arrivals as in one piece."""
    import model.demand as demand

    cell_service = np.zeros(400, dtype=np.int64)
    base = np.r_[np.full(200, 0.7), np.full(150, 6.0), np.full(50, 40.0)]
    season = np.linspace(0.6, 1.4, 52)[None, :]
    args = (2032, base, season, np.zeros_like(season), np.zeros(400))
    whole = ArrivalSampler(9, ("svc",), cell_service).draw(*args)
    monkeypatch.setattr(demand, "PIECE_DRAWS", 7)  # 7 cells x 1 week per Poisson piece
    monkeypatch.setattr(demand, "PIECE_CASES", 50)
    pauses = []
    out = np.zeros((400, 52), dtype=np.int64)
    sampler = ArrivalSampler(9, ("svc",), cell_service)
    sampler._draw_service(0, 2032, base, season[0], np.zeros(52), np.zeros(400),
                          np.arange(400), out, gate=lambda: pauses.append(1))  # fmt: skip
    assert len(pauses) > 60  # 52 weekly pieces of the large cells and many of the small ones
    np.testing.assert_array_equal(out.T, whole)
