"""Running the execution modes of a scenario: migrations to central platforms, EfA adoption
and automation (issue 6; docs/EXECUTION.md).

:class:`ExecutionRuntime` is called by the engine in the first week of every quarter (with the
staffing step). It

1. moves the agencies of a service to its central platform wave by wave during the migration
   (their new cases go to the platform from that week: ``redirects``), and at the end of the
   migration hands the remaining backlog over (counted as transfers) and frees the municipal
   staff of that service for local tasks (an in-person service keeps a local front office);
2. lets agencies join an EfA service (IT end of life, peers in the Land, backlog pressure,
   limited by the platform's onboarding capacity);
3. raises each work pair's automation share toward its service's potential, at the rate of
   its mode (decentral < EfA < central platform), and turns modes and automation into staff
   minutes per case.

Every rate is a registry parameter (``module = "execution"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.cover import office_cover
from model.execution import Move
from model.kernel import set_pair_minutes
from model.streams import make_stream

CENTRAL = ("central_land", "central_bund")


@dataclass
class MoveState:
    """A resolved move with its pairs and progress."""

    move: Move
    sources: np.ndarray  # source pair indices, in the order they join (random)
    target: int  # target pair (-1 for efa / decentral)
    start_week: int  # model week of go-live (may be negative: before the model starts)
    end_week: int  # start_week + migration weeks
    joined: int = 0  # sources that joined so far (the first ``joined`` of ``sources``)
    it_phase: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    join_week: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    handed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    contrib: np.ndarray = field(default_factory=lambda: np.zeros(0))  # platform FTE per source

    def __post_init__(self) -> None:
        n = len(self.sources)
        self.join_week = np.full(n, -1, dtype=np.int64)
        self.handed = np.zeros(n, dtype=bool)
        self.contrib = np.zeros(n)


class ExecutionRuntime:
    """Modes, migrations and automation of one model run.

    Args:
        moves: Resolved moves with their source and target pairs.
        minutes0: Catalogue staff minutes per case per pair.
        potential: Automation potential per pair (its service's catalogue value).
        central_factor: Minutes factor of each pair if it is a central platform's pair
            (local-knowledge penalty and front-office share applied), else 1.
        kept_share: Share of a source pair's FTE kept locally after its service left (the
            front office of an in-person service), per pair.
        params: The scenario parameters.
        seed: Seed of the named streams ``migration/...`` and ``efa/...``.
    """

    def __init__(self, moves: list[MoveState], minutes0: np.ndarray, potential: np.ndarray,
                 central_factor: np.ndarray, kept_share: np.ndarray, params: dict,
                 seed: int) -> None:  # fmt: skip
        self.moves = moves
        self.minutes0 = np.asarray(minutes0, dtype=np.float64)
        self.potential = np.asarray(potential, dtype=np.float64)
        self.central_factor = np.asarray(central_factor, dtype=np.float64)
        self.kept_share = np.asarray(kept_share, dtype=np.float64)
        self.p = params
        self.seed = int(seed)
        n = len(self.minutes0)
        self.mode = np.zeros(n, dtype=np.int8)  # 0 decentral, 1 efa, 2 central platform
        self.automation = np.zeros(n)
        self.redirect_to = np.arange(n)  # the pair that receives each pair's cases now
        self.freed_fte = np.zeros(n)  # initial FTE of a pair freed for local tasks
        self.records: dict[str, np.ndarray] = {}
        rates = (params["automation_rate_decentral"], params["automation_rate_efa"],
                 params["automation_rate_central"])  # fmt: skip
        self.rate = np.asarray(rates, dtype=np.float64)
        for ms in moves:  # a platform becomes one at its first wave (see _waves)
            if ms.move.mode == "efa":
                ms.it_phase = make_stream(self.seed, f"efa/it/{ms.move.service_id}/"
                                          f"{ms.move.land_row}").integers(
                    0, self._it_quarters(), len(ms.sources))  # fmt: skip
        self.efa_joined = np.zeros(n, dtype=bool)
        self.efa_eligible = np.zeros(n, dtype=bool)
        for ms in moves:
            if ms.move.mode == "efa":
                self.efa_eligible[ms.sources] = True

    def _it_quarters(self) -> int:
        return max(1, round(4 * float(self.p["it_lifetime_years"])))

    # --- minutes -------------------------------------------------------------------------
    def minutes(self) -> np.ndarray:
        """Staff minutes per case per pair now: catalogue minutes x mode factor x (1 - a +
        a x checked share x check minutes share), a = automation share."""
        factor = np.where(self.mode == 1, self.efa_factor(), 1.0)
        factor = np.where(self.mode == 2, self.central_factor, factor)
        a = self.automation
        return self.minutes0 * factor * (1.0 - a + a * self.check_share())

    def efa_factor(self) -> float:
        """Minutes factor of an EfA pair: 1 - ``efa_intake_saving``."""
        return 1.0 - float(self.p["efa_intake_saving"])

    def check_share(self) -> float:
        """Share of an automated case's minutes still spent: checked share x minutes share."""
        p = self.p
        return float(p["automation_check_share"]) * float(p["automation_check_minutes_share"])

    def automate(self, years: float, only: np.ndarray | None = None) -> None:
        """Let every pair's (or the ``only`` pairs') automation share move toward its
        potential for ``years``."""
        step = (1.0 - (1.0 - self.rate) ** years)[self.mode]
        if only is not None:
            step = np.where(only, step, 0.0)
        self.automation += (self.potential - self.automation) * step

    # --- the quarterly update ---------------------------------------------------------------
    def quarter(self, t: int, backlog_pressed: np.ndarray,
                capacity_ready: np.ndarray | None = None,
                ) -> tuple[list[tuple[int, int]], list[MoveState]]:  # fmt: skip
        """Advance the modes at week ``t`` (first week of a quarter).

        Args:
            t: Model week.
            backlog_pressed: Per pair, True where its agency's backlog exceeds the response
                threshold (for EfA adoption under pressure).
            capacity_ready: Per pair, the share of a platform's planned staff it has now (the
                migration's waves stop there when ``migration_gate`` is ``capacity``); None:
                no gate.

        Returns:
            The new redirects ``(old pair, new pair)`` effective from week ``t`` and the
            handovers due now: ``(move, indices into its sources)`` of agencies whose parallel
            running (``parallel_running_weeks`` after they joined) is over.
        """
        new: list[tuple[int, int]] = []
        ending: list[tuple[MoveState, np.ndarray]] = []
        parallel = int(float(self.p["parallel_running_weeks"]))
        for ms in self.moves:
            if ms.move.mode in CENTRAL and ms.target >= 0 and len(ms.sources):
                ready = 1.0 if capacity_ready is None else float(capacity_ready[ms.target])
                new += self._waves(ms, t, ready)
                due = np.flatnonzero((ms.join_week >= 0) & ~ms.handed
                                     & (t >= ms.join_week + parallel))  # fmt: skip
                if len(due):
                    ms.handed[due] = True
                    ending.append((ms, due))
            elif ms.move.mode == "efa" and t >= ms.start_week:
                self._efa_quarter(ms, t, backlog_pressed)
        self.automate(0.25)
        for old, tgt in new:
            self.redirect_to[old] = tgt
        return new, ending

    def _waves(self, ms: MoveState, t: int, ready: float) -> list[tuple[int, int]]:
        """Sources joining at week ``t``: in random order, as many as the calendar of the
        migration allows, and no more than the platform's staff can take (``ready``)."""
        if t < ms.start_week:
            return []
        span = max(ms.end_week - ms.start_week, 1)
        # while it migrates, a platform takes no more than its staff can carry despite the dip
        during = t < ms.end_week
        dip = float(self.p["migration_productivity_dip"]) if during else 0.0
        share = min(1.0, (t - ms.start_week + 13) / span, ready * (1.0 - dip))
        # agencies join in their random order while the work that has joined (their share of
        # the platform's planned FTE) stays within the share
        total = ms.contrib.sum()
        if share >= 1.0 or total <= 0.0:
            want = len(ms.sources) if share >= 1.0 else math.ceil(share * len(ms.sources) - 1e-9)
        else:
            cum = np.cumsum(ms.contrib) / total
            want = int(np.searchsorted(cum, share + 1e-12, side="right"))
        out = [(int(p), ms.target) for p in ms.sources[ms.joined:want]]
        if out:
            self.mode[ms.target] = 2  # the platform works centrally from its first wave
        ms.join_week[ms.joined:max(ms.joined, want)] = t
        ms.joined = max(ms.joined, want)
        return out

    def _efa_quarter(self, ms: MoveState, t: int, pressed: np.ndarray) -> None:
        """Agencies join the EfA service: at their IT's end of life with probability
        ``efa_choice_at_renewal`` x (1 + ``efa_peer_weight`` x share of peers in the Land that
        joined), or under backlog pressure with ``efa_join_under_pressure`` a quarter; at most
        ``efa_onboarding_per_quarter`` agencies a quarter per service and Land group."""
        p = self.p
        src = ms.sources
        open_ = ~self.efa_joined[src]
        if not open_.any():
            return
        q = (t - ms.start_week) // 13
        renewal = (q - ms.it_phase) % self._it_quarters() == 0
        peers = self.efa_joined[src].mean()
        p_join = np.where(renewal, float(p["efa_choice_at_renewal"])
                          * (1.0 + float(p["efa_peer_weight"]) * peers), 0.0)  # fmt: skip
        p_join = np.maximum(p_join, np.where(pressed[src], float(p["efa_join_under_pressure"]),
                                             0.0))  # fmt: skip
        rng = make_stream(self.seed, f"efa/join/{ms.move.service_id}/{ms.move.land_row}/{t}")
        u = rng.random(len(src))
        joins = np.flatnonzero(open_ & (u < p_join))
        cap = int(float(p["efa_onboarding_per_quarter"]))
        if len(joins) > cap:
            joins = np.sort(rng.choice(joins, cap, replace=False))
        self.efa_joined[src[joins]] = True
        self.mode[src[joins]] = 1

    def prestart_efa(self, first_week: int) -> None:
        """Run the EfA adoption of moves that started before the model (quarters before week
        0, without backlog pressure) and their automation, so that 2023 starts with the
        adoption reached by then."""
        starts = [ms.start_week for ms in self.moves if ms.move.mode == "efa"]
        if not starts or min(starts) >= first_week:
            return
        n = len(self.minutes0)
        t = min(starts)
        while t < first_week:
            for ms in self.moves:
                if ms.move.mode == "efa" and ms.start_week <= t:
                    self._efa_quarter(ms, t, np.zeros(n, dtype=bool))
            self.automate(0.25, only=self.mode == 1)  # the model's own clock starts at week 0
            t += 13

    def record(self, m, t: int, factor: np.ndarray, year_end: bool = True) -> None:
        """Yearly records per (Land, level, service) group: FTE freed for local tasks (the
        freed initial FTE x the agency's staff factor, at the year's last quarter), the
        automation share weighted by expected cases (every quarter), EfA adoption (joined and
        eligible) and the pairs by mode for costs (at the year's last quarter)."""
        n_years = len(m.model_years)
        if not self.records:
            shape = (n_years, m.n_groups)
            self.records = {k: np.zeros(shape) for k in
                            ("freed_fte", "auto_num", "auto_den", "efa_joined", "efa_eligible",
                             "pairs_decentral", "pairs_efa", "pairs_platform",
                             "joined_platform", "platform_golive")}  # fmt: skip
            self._joined_before = np.zeros(m.n_pairs, dtype=bool)
            self._live_before = np.zeros(m.n_pairs, dtype=bool)
        yi = m.model_years.index(int(m.calendar.year[t]))
        g = m.pair_group
        r = self.records
        weight = m._pair_base_cases * 13.0
        r["auto_num"][yi] += np.bincount(g, self.automation * weight, minlength=m.n_groups)
        r["auto_den"][yi] += np.bincount(g, weight, minlength=m.n_groups)
        if not year_end:
            return
        r["freed_fte"][yi] = np.bincount(g, self.freed_fte * factor[m.pair_agency],
                                         minlength=m.n_groups)  # fmt: skip
        r["efa_joined"][yi] = np.bincount(g, self.efa_joined & self.efa_eligible,
                                          minlength=m.n_groups)  # fmt: skip
        r["efa_eligible"][yi] = np.bincount(g, self.efa_eligible, minlength=m.n_groups)
        # for costs (model/costs.py): pairs with work by mode at the year's end, agencies that
        # joined a platform in the year (by their own group), platforms that went live
        working = m._pair_base_cases > 0
        for key, code in (("pairs_decentral", 0), ("pairs_efa", 1), ("pairs_platform", 2)):
            r[key][yi] = np.bincount(g, working & (self.mode == code), minlength=m.n_groups)
        joined = self.redirect_to != np.arange(len(self.redirect_to))
        r["joined_platform"][yi] += np.bincount(g, joined & ~self._joined_before,
                                                minlength=m.n_groups)  # fmt: skip
        live = (self.mode == 2) & working
        r["platform_golive"][yi] += np.bincount(g, live & ~self._live_before,
                                                minlength=m.n_groups)  # fmt: skip
        self._joined_before |= joined
        self._live_before |= live


# --- glue with the engine ---------------------------------------------------------------------
def setup_execution(m, catalogue, moves: list[Move], utilisation: float) -> ExecutionRuntime:
    """Build the runtime for a model built from the catalogue: source and target pairs of
    every move, the platforms' planned FTE (sized on the cases they will take over at the
    initial utilisation), and the platform agencies that start without staff.

    Args:
        m: The :class:`~model.engine.FederalModel` (being initialised).
        catalogue: The service catalogue.
        moves: The scenario's resolved moves.
        utilisation: ``utilisation_2023``.
    """
    p = m.scenario.parameters
    svc = catalogue.services.set_index("service_id")
    services = m.routing.services
    code = {sid: i for i, sid in enumerate(services)}
    per_service = {col: np.array([float(svc.at[sid, col]) for sid in services])
                   for col in ("automation_potential", "local_knowledge")}  # fmt: skip
    in_person = np.array([bool(svc.at[sid, "in_person"]) for sid in services])
    ps = m.pair_service
    penalty = 1.0 + float(p["local_knowledge_penalty"]) * per_service["local_knowledge"][ps]
    front = np.where(in_person[ps], float(p["front_office_share"]), 0.0)
    central_factor = penalty * (1.0 - front)
    kept = front.copy()
    pair_land = m.routing.pairs["land_row"].to_numpy()
    states: list[MoveState] = []
    m.platform_fte = np.zeros(m.n_pairs)
    planned = np.zeros(m.n_agencies, dtype=bool)
    for mv in moves:
        s = code[mv.service_id]
        start = (mv.start - m.calendar.start).days // 7  # may be negative: before the model
        target = -1
        if mv.mode in CENTRAL:
            key = (mv.service_id, mv.land_row if mv.mode == "central_land" else -1,
                   "land" if mv.mode == "central_land" else "bund")  # fmt: skip
            target = m.routing.target_pairs[key]
        in_land = np.flatnonzero((ps == s) & (pair_land == mv.land_row))
        sources = in_land[in_land != target]
        if mv.mode in CENTRAL and len(sources):
            order = make_stream(m.seed, f"migration/{mv.service_id}/{mv.land_row}").permutation(
                len(sources))  # fmt: skip
            sources = sources[order]
            per_source = (m._pair_base_cases[sources] * m.minutes[target] * central_factor[target]
                          / (m.fte_minutes_week * m.productivity * utilisation))
            m.platform_fte[target] += per_source.sum()
            if m.base_fte[target] == 0.0:  # a new platform, not an office that exists today
                planned[m.pair_agency[target]] = True
        ms = MoveState(mv, sources, target, start, start + mv.migration_weeks)
        if mv.mode in CENTRAL and len(sources):
            ms.contrib[:] = per_source
        states.append(ms)
    m.planned_agencies = planned
    if m.scenario.parameters["staff_model"] == "dynamic":
        # a new platform's persons are hired for its planned FTE: capacity follows them
        new_platform = planned[m.pair_agency]
        m.base_fte[new_platform] += m.platform_fte[new_platform]
    rt = ExecutionRuntime(states, m.minutes.copy(), per_service["automation_potential"][ps],
                          central_factor, kept, p, m.seed)  # fmt: skip
    # a one-off programme's procedure built for automated decisions decides them from its
    # opening (demand_shocks.csv automated_share, at most the service's potential)
    for sid, share in zip(catalogue.shocks["service_id"], catalogue.shocks["automated_share"],
                          strict=True):  # fmt: skip
        if sid in code and share > 0:
            on = ps == code[sid]
            rt.automation[on] = np.maximum(rt.automation[on],
                                           np.minimum(float(share), rt.potential[on]))  # fmt: skip
    rt.prestart_efa(0)
    return rt


def quarter_step(m, t: int, q: int, weeks: int) -> None:
    """The engine's quarterly event: modes and migrations, then staff."""
    rt: ExecutionRuntime | None = m.execution
    if rt is not None:
        # backlog pressure only matters to EfA adoption
        pressed_agency = (m._backlog_response() > 1.0 if rt.efa_eligible.any()
                          else np.zeros(m.n_agencies, dtype=bool))  # fmt: skip
        ready = None
        if m.workforce is not None and m.scenario.parameters["migration_gate"] == "capacity":
            # a platform's staff factor is its effective FTE over its planned FTE
            w = m.workforce
            ready = np.clip(np.where(m.planned_agencies, w.factor, 1.0), 0.0, 1.0)
            ready = ready[m.pair_agency]
        new, ending = rt.quarter(t, pressed_agency[m.pair_agency], ready)
        if new:
            redirect(m, t, np.array([o for o, _ in new]), np.array([n for _, n in new]))
            if m.workforce is not None:
                _move_needed(m, rt, t)
        if new:
            # constant staff: a platform is staffed at go-live; dynamic staff: an office that
            # exists today takes the platform's work on and hires for it
            targets = np.unique([tg for _, tg in new])
            if m.workforce is not None:
                targets = targets[~m.planned_agencies[m.pair_agency[targets]]]
            extra = m.platform_fte[targets]
            m.base_fte[targets] += extra
            m.platform_fte[targets] = 0.0
            if m.workforce is not None and len(targets):
                m.workforce.expand(m.pair_agency[targets], extra, t)
        for ms, idx in ending:
            handover(m, ms, idx, t)
        if m.workforce is not None:
            lead = int(float(m.scenario.parameters["platform_recruit_lead_weeks"]))
            due = [m.pair_agency[ms.target] for ms in rt.moves
                   if ms.target >= 0 and len(ms.sources) and t >= ms.start_week - lead]
            if due:
                due = np.unique(due)
                closed = due[m.workforce.post_open[due] == 0.0]
                if len(closed):
                    m.workforce.open_posts(closed, t)
        set_minutes(m, rt)
        _hold_until_ready(m, rt, t, weeks)
        if m.workforce is not None and _last_step_of_year(m, t, q):
            # the staff needed follow the minutes per case (recorded at the year's last step)
            ref = rt.minutes0 * np.where(rt.mode == 2, rt.central_factor, 1.0)
            cases = m._pair_base_cases
            now = np.bincount(m.pair_agency, cases * m.minutes, minlength=m.n_agencies)
            then = np.bincount(m.pair_agency, cases * ref, minlength=m.n_agencies)
            with np.errstate(invalid="ignore", divide="ignore"):
                m.workforce.needed_scale[:] = np.where(then > 0, now / then, 1.0)
    factor = np.ones(m.n_agencies)
    if m.workforce is not None:
        # after handovers and the new minutes per case
        factor = m.workforce.step(t, q, weeks)
        m.pair_extra[:] = m._pair_backlog_response()
        p = m.scenario.parameters
        if p["office_cover"] == "kreis":  # short municipal offices borrow staff (model/cover.py)
            a = m.routing.agencies
            factor = office_cover(a["level"].to_numpy() == "gemeinde",
                                  pd.factorize(a["kreis"].astype(str))[0], m.workforce.fte0,
                                  factor, float(p["office_cover_floor"]),
                                  float(p["office_cover_productivity"]),
                                  float(p["office_cover_max_share"]))  # fmt: skip
    if rt is not None:
        dip = float(m.scenario.parameters["migration_productivity_dip"])
        for ms in rt.moves:
            if ms.target >= 0 and len(ms.sources) and ms.start_week <= t < ms.end_week:
                factor[m.pair_agency[ms.target]] *= 1.0 - dip
        rt.record(m, t, factor, year_end=_last_step_of_year(m, t, q))
    m.staff_factor[:] = factor
    m._apply_staff()


def _hold_until_ready(m, rt: ExecutionRuntime, t: int, weeks: int) -> None:
    """A central platform decides nothing until ``platform_it_ready_weeks`` after it first has
    work: its first wave of joining agencies, or for a one-off programme (no recurring volume)
    the programme's first week after that (its procedure is built for it). Until then its
    pair's capacity per FTE is 0 in the quarter steps, and a dated event restores it in the
    week the procedure is ready. Cases redirected to it and the open cases handed over wait
    meanwhile; its staff (and an existing office's fungible staff drawn to its backlog) are
    idle. Decentral offices work a programme with the procedures they have (a named
    asymmetry, docs/EXECUTION.md)."""
    lag = int(float(m.scenario.parameters["platform_it_ready_weeks"]))
    if lag <= 0:
        return
    for ms in rt.moves:
        if ms.move.mode not in CENTRAL or ms.target < 0 or ms.joined == 0:
            continue
        first = int(ms.join_week[: ms.joined].min())
        s = int(m.pair_service[ms.target])
        if m.demand.annual_volume[s] <= 0:  # a programme: from its first week on the platform
            weeks_on = np.flatnonzero(m.demand.shock_weekly[s, max(first, 0):] > 0)
            if not len(weeks_on):
                continue
            first = max(first, 0) + int(weeks_on[0])
        ready = first + lag
        if t >= ready:
            continue
        tg = ms.target
        m.capacity_per_fte[tg] = 0.0
        if ready < t + weeks:  # ready before the next quarter step: restore it then

            def restore(tg=tg) -> None:  # cases per FTE-week = 1 / weeks per case
                if m.processing_weeks[tg] > 0:
                    m.capacity_per_fte[tg] = 1.0 / m.processing_weeks[tg]

            m.schedule(ready, f"IT ready {ms.move.service_id}", restore)


def _last_step_of_year(m, t: int, q: int) -> bool:
    """True if no later quarterly step falls in the model year of week ``t`` (``q``: its week
    of the year; a 53-week year has no step in its last week)."""
    nxt = t + 13
    return q == 39 or nxt >= m.calendar.n_weeks or m.calendar.year[nxt] != m.calendar.year[t]


def set_minutes(m, rt: ExecutionRuntime) -> None:
    """Set every pair's staff minutes per case (:meth:`ExecutionRuntime.minutes`) and what
    depends on them, in one compiled pass (:func:`model.kernel.set_pair_minutes`)."""
    set_pair_minutes(rt.minutes0, rt.mode, rt.efa_factor(), rt.central_factor, rt.automation,
                     rt.check_share(), m.fte_minutes_week, m.productivity, m.pair_weekly_cases,
                     m.office_factor, m.minutes, m.processing_weeks, m.capacity_per_fte,
                     m.expected_work)  # fmt: skip
    # automated cases that no clerk checks skip the queue (model.kernel.queued_share)
    m.dark_share[:] = rt.automation * (1.0 - float(rt.p["automation_check_share"]))


def _move_columns(arrivals: np.ndarray, old: np.ndarray, new: np.ndarray) -> None:
    """Add the columns ``old`` to the columns ``new`` (in place; ``new`` may repeat) and
    clear them."""
    for target in np.unique(new):
        src = old[new == target]
        arrivals[:, target] += arrivals[:, src].sum(axis=1)
    arrivals[:, old] = 0


def redirect(m, t: int, old: np.ndarray, new: np.ndarray) -> None:
    """From week ``t`` the cases of the pairs ``old`` arrive at the pairs ``new``."""
    to = np.arange(m.n_pairs)
    to[old] = new
    m.cell_pair_now[:] = to[m.cell_pair_now]
    if m._year is not None and t < m._year[0]:
        _move_columns(m._year[1][t - m._year_start:], old, new)
    m._pair_base_cases = m._to_pairs(m._base_for_year(int(m.calendar.year[min(t, m.calendar.n_weeks - 1)])))  # noqa: E501
    m._pair_shock_cases = m._to_pairs(m.shock_share)
    m.pair_weekly_cases = m._to_pairs(m.base_rates)
    m.expected_work[:] = m.pair_weekly_cases * m.minutes


def apply_redirects(m, arrivals: np.ndarray) -> np.ndarray:
    """Apply every redirect so far to a newly loaded year of pair arrivals (in place)."""
    rt: ExecutionRuntime | None = m.execution
    if rt is not None:
        moved = np.flatnonzero(rt.redirect_to != np.arange(len(rt.redirect_to)))
        if len(moved):
            _move_columns(arrivals, moved, rt.redirect_to[moved])
    return arrivals


def _move_needed(m, rt: ExecutionRuntime, t: int) -> None:
    """The staff needed for the work of agencies that joined at week ``t`` move from them to
    the platform (for the staff-gap output)."""
    w = m.workforce
    for ms in rt.moves:
        joined_now = np.flatnonzero(ms.join_week == t)
        if ms.target < 0 or not len(joined_now):
            continue
        src = ms.sources[joined_now]
        np.subtract.at(w.needed_base, m.pair_agency[src], m.base_fte[src])
        w.needed_base[m.pair_agency[ms.target]] += ms.contrib[joined_now].sum()
    np.maximum(w.needed_base, 0.0, out=w.needed_base)


def handover(m, ms: MoveState, idx: np.ndarray, t: int) -> None:
    """End of an agency's parallel running: its open cases go to the platform (transfers; the
    merged queue keeps the cases' mean waiting time), and its staff for the service are freed
    for local tasks (a front office stays for in-person services)."""
    q, tgt = m.queues, ms.target
    rt: ExecutionRuntime = m.execution
    sources = ms.sources[idx]
    b = q.backlog[sources]
    handed = b.sum()
    if handed > 0:
        # a queue's cases arrived uniformly since its oldest: mean arrival (oldest + t) / 2
        bt = q.backlog[tgt]
        mean_tgt = 0.5 * (q.oldest[tgt] + t) if bt > 0 else float(t)
        arrived = (b * 0.5 * (q.oldest[sources] + t)).sum() + bt * mean_tgt
        q.oldest[tgt] = min(2.0 * arrived / (handed + bt) - t, float(t))
        q.backlog[tgt] = bt + handed
        m.transfers_in[tgt] += handed
        m.transfers_out[sources] += b
        q.backlog[sources] = 0.0
        q.oldest[sources] = float(t)
    kept = rt.kept_share[sources]
    rt.freed_fte[sources] = m.base_fte[sources] * (1.0 - kept)
    if m.workforce is not None:
        np.add.at(m.workforce.freed_base, m.pair_agency[sources], rt.freed_fte[sources])
    m.base_fte[sources] *= kept
