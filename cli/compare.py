"""``foedsim compare`` and ``foedsim report``: the scenario comparison of saved runs.

Thin layers over :mod:`analysis.compare` and :mod:`analysis.comparison_report`; they read
saved runs only and never run the model. Heavy packages are imported in the handlers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.outputs import check_out_file

COMPARE_OUT_ALLOWED = "a file name for the table, e.g. comparison.csv"
REPORT_OUT_ALLOWED = "a .html file name, e.g. report.html"


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``compare`` and ``report`` sub-commands."""
    p = sub.add_parser("compare", help="KPI table per scenario: median, band, paired "
                       "difference to the baseline")  # fmt: skip
    p.add_argument("path", help="batch folder (runs/NAME) or a single run folder")
    p.add_argument("--years", type=int, nargs="+", metavar="YEAR",
                   help="years to show (default 2025 2030 2035, those the runs cover)")
    p.add_argument("--format", choices=("text", "csv", "md"), default="text",
                   help="terminal table, CSV (tidy, full precision) or Markdown")
    p.add_argument("--out", metavar="FILE", help="write the table to FILE (atomically)")
    p.add_argument("--level", default="all",
                   help="executing level (gemeinde, kreis, jobcenter, land, bund; default all)")
    p.add_argument("--service", default="all", help="service id (default all services)")
    p.add_argument("--kpis", metavar="KPI[,KPI...]",
                   help="KPIs to show, comma-separated, or 'all' (default: the headline KPIs)")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("report", help="one self-contained HTML report of a batch (or run)")
    p.add_argument("path", help="batch folder (runs/NAME) or a single run folder")
    p.add_argument("--out", metavar="FILE.html", help="report file (default PATH/report.html)")
    p.add_argument("--lang", choices=("en", "de"), default="en", help="language of the report")
    p.add_argument("--kreis", metavar="AGS",
                   help="add the profile of this Kreis (5-digit AGS, e.g. 03241); needs "
                        "tables = \"full\"")  # fmt: skip
    p.set_defaults(func=cmd_report)


def cmd_compare(args: argparse.Namespace) -> int:
    """Print (and optionally write) the comparison table."""
    from analysis import compare

    if args.out is not None:
        check_out_file(args.out, "--out", COMPARE_OUT_ALLOWED)
    runs = compare.open_runs(Path(args.path))
    level = compare.check_choice("--level", args.level, _column(runs, "level"))
    service = compare.check_choice("--service", args.service, _column(runs, "service_id"))
    tidy = runs.kpis(levels=[level], services=[service])
    wanted = [k.strip() for k in args.kpis.split(",") if k.strip()] if args.kpis else None
    kpis = compare.choose_kpis(tidy["kpi"].unique(), wanted)
    years = compare.choose_years(tidy["year"], args.years)
    table = compare.compare_table(tidy[tidy["kpi"].isin(kpis)], scenarios=runs.scenarios,
                                  baseline=runs.baseline, years=years)  # fmt: skip
    for note in runs.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.out is not None:
        path = compare.write_comparison(table, args.out, args.format, runs.baseline)
        print(f"wrote {path}")
    else:
        print(compare.format_comparison(table, args.format, runs.baseline), end="")
    return 0


def _column(runs, column: str) -> set[str]:
    """Values of one breakdown column in the first run's KPI table (all runs share them)."""
    first = runs.runs["run_id"].iloc[0]
    return set(runs.reader(first, "kpis")[column].astype(str))


def cmd_report(args: argparse.Namespace) -> int:
    """Write the HTML report and print its path."""
    from analysis.comparison_report import write_report
    from model.errors import FoedsimError

    if args.out is None:  # the default, PATH/report.html: PATH must be a folder to write in
        out = Path(args.path) / "report.html"
        if Path(args.path).is_dir():
            check_out_file(out, "path", f"a batch or run folder that can be written to, or "
                           f"--out {REPORT_OUT_ALLOWED}")  # fmt: skip
    else:
        out = check_out_file(args.out, "--out", REPORT_OUT_ALLOWED)
        if out.suffix.lower() not in (".html", ".htm"):
            raise FoedsimError(f"argument --out: {args.out!r}: the report is HTML; allowed: "
                               f"{REPORT_OUT_ALLOWED}")  # fmt: skip
    path = write_report(Path(args.path), out, lang=args.lang, kreis=args.kreis)
    print(f"wrote {path}")
    return 0


MAIN_BATCH = Path("batches") / "main_comparison.toml"
"""The main job's batch file, relative to the scenarios folder."""
MAIN_OUT = Path("runs") / "main"


def run_main_comparison(scenarios_dir: Path, out: Path = MAIN_OUT,
                        serial: bool = False) -> tuple[int, Path]:  # fmt: skip
    """Run (or continue) the main comparison batch and write its report.

    The batch runs with the batch machinery's resume, so runs that finished earlier are read
    back, never computed again. If ``out`` holds the batch under an older definition (the
    batch file, a scenario or the parameter registry changed since), it is moved to
    ``OUT.previous`` (replacing an older one) and the batch starts afresh.

    Args:
        scenarios_dir: The scenarios folder (holds ``batches/main_comparison.toml``).
        out: The batch folder.
        serial: Run in this process (tests); default local worker processes, one per core.

    Returns:
        The exit code (1 if runs failed; the report is written anyway) and the report's path.
    """
    import shutil

    from cli.batch import _Printer
    from model.batch.design import plan_batch
    from model.batch.executors import make_executor
    from model.batch.runner import definition_hash, run_batch
    from model.batch.spec import load_batch
    from model.batch.store import BatchStore
    from model.errors import DataError

    spec = load_batch(scenarios_dir / MAIN_BATCH)
    plan = plan_batch(spec)
    if (out / "manifest.json").is_file():
        try:
            stored = BatchStore.open(out).manifest().get("definition_sha256")
        except DataError:
            stored = None
        if stored != definition_hash(spec, plan):
            previous = out.with_name(out.name + ".previous")
            shutil.rmtree(previous, ignore_errors=True)
            out.rename(previous)
            print(f"{out} held an older definition of the main batch; moved it to {previous}")
    print(f"main comparison: {len(spec.scenarios)} scenario(s) x {spec.replications} "
          f"replication(s) = {plan.n_runs} runs, tables '{spec.tables}', into {out}")  # fmt: skip
    printer = _Printer(quiet=False)
    with make_executor(serial=serial) as executor:
        try:
            report = run_batch(spec, out, executor=executor, resume=True, progress=printer)
        finally:
            printer.end()
    print(f"{report.done}/{report.total} runs done ({report.ran} run now, {report.reused} "
          f"found finished) in {report.seconds:.1f} s")  # fmt: skip
    from analysis.comparison_report import write_report

    path = write_report(out)
    return (1 if report.failed else 0), path
