"""The table of differences between the weekly engine and the case-level model (issue 4).

Usage::

    python benchmarks/weekly_vs_des.py [--replications 20]

Prints, for several offices, mean lead time and year-end open cases of both models at loads
0.6, 0.9, 1.0 and 1.2 (same weekly arrival counts in both), as Markdown for docs/WEEKLY_VS_DES.md.
"""

from __future__ import annotations

import argparse

from model.crosscheck import compare

OFFICES = ((10, 240.0), (5, 240.0), (20, 60.0), (1, 240.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    args = parser.parse_args()
    print(
        "| clerks | minutes/case | load | lead DES (weeks) | lead weekly | diff | open at end DES "
        "| open weekly | diff | judged on | tolerance | within |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for clerks, minutes in OFFICES:
        for r in compare(clerks, minutes, replications=args.replications).itertuples():
            print(
                f"| {clerks} | {minutes:g} | {r.load:g} | {r.des_lead:.4f} | {r.weekly_lead:.4f} "
                f"| {r.lead_diff:+.1%} | {r.des_backlog:.1f} | {r.weekly_backlog:.1f} "
                f"| {r.backlog_diff:+.1%} | {r.judged} | {r.tolerance:.0%} "
                f"| {'yes' if r.within else '**no**'} |"
            )


if __name__ == "__main__":
    main()
