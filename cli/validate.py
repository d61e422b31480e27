"""``foedsim validate``: compare model outputs with observed facts (model/validation.py).

Prints one row per fact (observed, simulated, result), then a line for every fact that fails,
is a known gap or is not judged, and exits with 1 if a judged fact without a ``known_gap``
fails. ``--seeds`` measures instead how much each simulated value moves between seeds (the
basis of the facts' tolerances).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli import args as args_

DEFAULT_FACTS = "validation/facts.toml"


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``validate`` sub-command."""
    p = sub.add_parser("validate", help="run the scenarios of facts files and compare their "
                       "outputs with the observed facts")  # fmt: skip
    p.add_argument("--facts", nargs="+", default=[DEFAULT_FACTS], metavar="FILE",
                   help=f"facts files (default {DEFAULT_FACTS}, relative to the current "
                   "folder: run from the repository's root)")  # fmt: skip
    p.add_argument("--seed", type=args_.seed,
                   help="run every fact with this seed (default: its own)")
    p.add_argument("--seeds", type=args_.seed, nargs="+", metavar="N",
                   help="instead of judging, run these seeds and print each fact's spread "
                   "(mean, sd, min, max, 3 x sd) to set tolerances")  # fmt: skip
    p.set_defaults(func=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    """Load the facts files, run their scenarios once each, print the comparison."""
    from model.errors import ScenarioError
    from model.validation import RunCache, load_facts, validate

    if args.facts == [DEFAULT_FACTS] and not Path(DEFAULT_FACTS).is_file():
        raise ScenarioError(f"{DEFAULT_FACTS}: file not found; run from the repository's root "
                            "or pass --facts FILE")  # fmt: skip
    facts = [f for path in args.facts for f in load_facts(path)]
    for s in [args.seed, *(args.seeds or [])]:
        if s is not None and s < 0:
            print(f"foedsim: error: seeds must be non-negative integers, got {s}",
                  file=sys.stderr)  # fmt: skip
            return 2
    cache = RunCache(progress=_progress)
    if args.seeds:
        runs = [validate(facts, seed=s, cache=cache) for s in args.seeds]
        print(spread_report(runs, args.seeds))
        return 0
    results = validate(facts, seed=args.seed, cache=cache)
    print(report(results))
    return 1 if any(r.failed for r in results) else 0


def _progress(scenario: Path, seed: int) -> None:
    print(f"running {scenario} (seed {seed}) ...", file=sys.stderr, flush=True)


def report(results: list) -> str:
    """The comparison table, the notes and a summary line."""
    from cli.main import format_table
    from model.validation import fmt_observed, fmt_simulated

    rows = [{"fact": r.fact.id, "role": r.fact.role, "observed": fmt_observed(r.fact),
             "simulated": "—" if r.simulated is None else fmt_simulated(r.fact, r.simulated),
             "result": r.status} for r in results]  # fmt: skip
    lines = [format_table(rows, max_width=80), ""]
    for r in results:
        f = r.fact
        if r.status == "FAIL":
            lines.append(f"FAIL {f.id} ({f.role}): {r.note}. {f.description} [{f.file}; source: "
                         f"{f.source}]")  # fmt: skip
        elif r.status == "known gap":
            lines.append(f"known gap {f.id}: {r.note}. Reason: {f.known_gap}")
        elif r.status == "pass (known gap)":
            lines.append(f"note {f.id}: passes now although it lists a known gap; remove "
                         f"known_gap from {f.file} if that holds")  # fmt: skip
        elif r.status == "input" and r.note:
            lines.append(f"input {f.id}: {r.note} (the model reads it; not judged)")
    counts = {s: sum(r.status == s for r in results)
              for s in ("pass", "FAIL", "known gap", "pass (known gap)", "input")}  # fmt: skip
    lines.append(f"{len(results)} facts: {counts['pass'] + counts['pass (known gap)']} pass, "
                 f"{counts['FAIL']} FAIL, {counts['known gap']} known gaps, {counts['input']} "
                 "inputs (not judged)")  # fmt: skip
    return "\n".join(lines)


def spread_report(runs: list[list], seeds: list[int]) -> str:
    """Per fact: the simulated value's mean, sd, min and max over seeds, and 3 x sd."""
    import numpy as np

    from cli.main import format_table
    from model.validation import decimals, fmt_tolerance, fmt_value

    rows = []
    for i, first in enumerate(runs[0]):
        values = [run[i].simulated for run in runs]
        if any(v is None for v in values):
            rows.append({"fact": first.fact.id, "mean": "—", "sd": "—", "min": "—", "max": "—",
                         "3 x sd": "—", "tolerance now": "—"})  # fmt: skip
            continue
        v = np.asarray(values, dtype=np.float64)
        sd = float(v.std(ddof=1)) if len(v) > 1 else 0.0
        d = decimals(float(v.min()), float(v.max()))
        rows.append({"fact": first.fact.id, "mean": fmt_value(float(v.mean()), d),
                     "sd": fmt_tolerance(sd), "min": fmt_value(float(v.min()), d),
                     "max": fmt_value(float(v.max()), d), "3 x sd": fmt_tolerance(3 * sd),
                     "tolerance now": fmt_tolerance(first.fact.tolerance)})  # fmt: skip
    head = f"spread over seeds {', '.join(map(str, seeds))}"
    return head + "\n" + format_table(rows)
