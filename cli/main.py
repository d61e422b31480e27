"""The ``foedsim`` command line: a thin layer over ``model`` and ``analysis``.

Every sub-command is a small function; errors a user can fix (a wrong scenario file, a missing
data file) are printed as one line to stderr with exit code 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from cli import args as args_
from cli.outputs import OutputError, check_out_dir
from model.errors import FoedsimError, OutOfSpaceError

if TYPE_CHECKING:
    import pandas as pd

Handler = Callable[[argparse.Namespace], int]

# Sub-commands that live in their own module under ``cli/``: each module has
# ``register(sub)`` that adds its parser(s) to the sub-parser action. Imported lazily by
# ``build_parser`` (the modules import heavy packages only inside their handlers).
COMMAND_MODULES: tuple[str, ...] = ("cli.batch", "cli.criteria", "cli.validate", "cli.compare")


def format_table(rows: Sequence[dict[str, object]], max_width: int = 60) -> str:
    """Render rows as a plain fixed-width terminal table (long cells are cut with '…')."""
    if not rows:
        return "(no rows)"
    cols = list(rows[0])

    def number(v: float) -> str:
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"

    def cell(v: object) -> str:
        s = number(v) if isinstance(v, float) else str(v)
        return s if len(s) <= max_width else s[: max_width - 1] + "…"

    cells = [[cell(r[c]) for c in cols] for r in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(line.rstrip() for line in lines)


def _scenario_files(paths: Sequence[str]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        files.extend(sorted(p.glob("*.toml")) if p.is_dir() else [p])
    return files


def cmd_check(args: argparse.Namespace) -> int:
    """Validate scenario files; print one line per file."""
    from model.scenario import load_scenario

    failed = 0
    files = _scenario_files(args.files)
    if not files:
        print(f"foedsim check: error: no scenario files in {', '.join(args.files)}; allowed: "
              "TOML files or folders that hold them", file=sys.stderr)  # fmt: skip
        return 2
    for f in files:
        try:
            sc = load_scenario(f)
        except FoedsimError as exc:
            print(f"FAIL {exc}", file=sys.stderr)
            failed += 1
            continue
        extra = ", ".join(f"{k}={v}" for k, v in sc.overrides().items())
        extra = f" ({extra})" if extra else ""
        print(f"ok   {f}: scenario '{sc.name}' {sc.start}..{sc.end}{extra}")
    if failed:
        print(f"{failed} scenario file(s) invalid", file=sys.stderr)
        return 2
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    """Print the parameter registry."""
    from model.parameters import REGISTRY

    if args.format == "csv":
        print(REGISTRY.to_csv(), end="")
    elif args.format == "md":
        print(REGISTRY.to_markdown(), end="")
    else:
        cols = ("name", "role", "default", "unit", "range", "source or assumption")
        rows = [{k: r[k] for k in cols} for r in REGISTRY.rows()]
        print(format_table(rows))
    return 0


def cmd_kpis(args: argparse.Namespace) -> int:
    """Print the KPI dictionary."""
    from model.kpis import kpi_markdown, kpi_rows

    if args.format == "md":
        print(kpi_markdown(), end="")
    else:
        print(format_table(kpi_rows(), max_width=70))
    return 0


def cmd_catalogue(args: argparse.Namespace) -> int:
    """Print the service catalogue summary."""
    from model.catalogue import load_catalogue

    summary = load_catalogue().summary()
    if args.format == "csv":
        print(summary.to_csv(index=False), end="")
    else:
        print(format_table(summary.to_dict("records")))
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    """Print the weekly step plan."""
    from model.engine import step_plan_text

    print(step_plan_text())
    return 0


RUN_OUT_ALLOWED = "a new folder, e.g. runs/NAME (an existing run folder with --overwrite)"
DES_OUT_ALLOWED = "a folder for cases.parquet and weekly.parquet (new, or one to replace them in)"
DOCS_DIR_ALLOWED = "a folder for the generated pages, e.g. docs (new or existing)"


def check_run_out(out: str | Path, overwrite: bool) -> Path:
    """The run folder of ``foedsim run``, checked before the simulation (issue 19, item 2).

    Raises:
        OutputError: Not a usable folder (:func:`cli.outputs.check_out_dir`), or it exists and
            ``overwrite`` is false.
        RunExistsError: ``overwrite`` is true but the folder is not a run (nor empty).
    """
    from model.storage import check_replaceable

    path = check_out_dir(out, "--out", RUN_OUT_ALLOWED, beside=True)
    if path.exists() or path.is_symlink():
        if not overwrite:
            raise OutputError(f"argument --out: {str(out)!r} already exists; allowed: "
                              f"{RUN_OUT_ALLOWED}")  # fmt: skip
        check_replaceable(path)
    return path


def cmd_run(args: argparse.Namespace) -> int:
    """Run one scenario and write its tables and manifest."""
    # Any path the user gives works (absolute, "~/..."): the manifest records it without the
    # absolute part (model.storage.portable_path), checked before the simulation starts.
    scenario = Path(args.scenario).expanduser()
    default = Path("runs") / f"{scenario.stem}-seed{args.seed}"
    out = check_run_out(default if args.out is None else args.out, args.overwrite)
    from model.runner import freeze_imports, run_scenario

    freeze_imports()  # this process only runs the scenario (see freeze_imports)

    def progress(week: int, n: int) -> None:
        print(f"\r  simulated {week}/{n} weeks", end="", file=sys.stderr, flush=True)

    try:
        outcome = run_scenario(scenario, seed=args.seed, tables=args.tables, out=out,
                               overwrite=args.overwrite, threads=args.threads,
                               progress=progress)  # fmt: skip
    except OutOfSpaceError as exc:
        print(file=sys.stderr)  # end the progress line: the error stays one line of its own
        raise OutOfSpaceError(f"{exc}; free space and run again") from None
    print(file=sys.stderr)
    t = outcome.timings
    print("phases: " + ", ".join(f"{k} {v:.2f} s" for k, v in t.items()))
    print(f"wrote {outcome.path}")
    print(format_kpi_summary(outcome.tables["kpis"]))
    return 0


def format_kpi_summary(kpis: pd.DataFrame, years: tuple[int, ...] = (2025, 2030, 2035)) -> str:
    """Nationwide KPIs for a few years as a terminal table."""
    nat = kpis[(kpis["level"] == "all") & (kpis["service_id"] == "all")]
    wide = nat.pivot_table(index="kpi", columns="year", values="value", observed=True)
    cols = [y for y in years if y in wide.columns] or list(wide.columns[-3:])
    rows = [{"kpi": k, **{str(y): f"{wide.at[k, y]:,.3f}" for y in cols}} for k in wide.index]
    return format_table(rows)


def cmd_des(args: argparse.Namespace) -> int:
    """Simulate one office case by case (discrete-event model) and print its summary."""
    from model.bounds import check_limits, office_estimate
    from model.des import load_office, simulate_office

    out = None if args.out is None else check_out_dir(args.out, "--out", DES_OUT_ALLOWED)
    spec = load_office(Path(args.file).expanduser())
    if args.seed < 0:
        print(f"foedsim: error: --seed must be a non-negative integer, got {args.seed}",
              file=sys.stderr)  # fmt: skip
        return 2
    estimate = office_estimate(spec, writes=out is not None)
    if estimate.seconds is not None and estimate.seconds > 10:
        print(f"estimate: {estimate.describe()} (docs/DES.md, 'Resource limits')")
    check_limits(estimate, out, allow=args.allow_large)
    result = simulate_office(spec, seed=args.seed)
    s = result.summary
    print(f"office {spec.name} ({spec.time} time, {spec.weeks} weeks, "
          f"warm-up {spec.warmup_weeks}), seed {args.seed}")  # fmt: skip
    rows = [
        ("cases arrived", f"{s['cases']:,.0f} ({s['cases_after_warmup']:,.0f} after warm-up)"),
        ("cases completed", f"{s['completed']:,.0f}"),
        ("lead time mean / median / p90", f"{s['lead_mean_weeks']:.2f} / "
         f"{s['lead_median_weeks']:.2f} / {s['lead_p90_weeks']:.2f} weeks"),
        ("backlog at the end", f"{s['backlog_end']:,.0f} cases"),
        ("staff utilisation", f"{s['utilisation']:.1%}"),
        ("speed", f"{s['cases_per_second']:,.0f} cases/s ({s['runtime_seconds']:.2f} s)"),
    ]  # fmt: skip
    print(format_table([{"figure": k, "value": v} for k, v in rows]))
    if out is not None:
        from model.storage import atomic_paths

        tables = {out / "cases.parquet": result.cases, out / "weekly.parquet": result.weekly}
        out.mkdir(parents=True, exist_ok=True)
        with atomic_paths(list(tables)) as temps:  # both files or neither
            for temp, frame in zip(temps, tables.values(), strict=True):
                frame.to_parquet(temp, index=False)
        print(f"wrote {out / 'cases.parquet'} and {out / 'weekly.parquet'}")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    """Regenerate the reference pages in docs/ from the code."""
    from cli.docs import write_docs

    docs_dir = check_out_dir(args.docs_dir, "--docs-dir", DOCS_DIR_ALLOWED)
    for path in write_docs(docs_dir):
        print(f"wrote {path}")
    return 0


def cmd_main(args: argparse.Namespace) -> int:
    """The quick-start job: validate every shipped scenario, summarise the catalogue, run the
    default scenario comparison (``scenarios/batches/main_comparison.toml``) into ``runs/main``
    and write its report, then print the report's path.

    Re-running it continues the batch with the batch machinery's resume: finished runs are read
    back, never computed again (``cli.compare.run_main_comparison``)."""
    from cli.compare import run_main_comparison

    rc = cmd_check(argparse.Namespace(files=[args.scenarios]))
    if rc:
        return rc
    print()
    cmd_catalogue(argparse.Namespace(format="text"))
    print()
    rc, report = run_main_comparison(Path(args.scenarios))
    print(f"report: {report}")
    return rc


class _Parser(argparse.ArgumentParser):
    """A bad argument gives one line (what is wrong and what is allowed, with the command's
    help as the pointer) and exit code 2, not argparse's usage block (issue 19)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every sub-command."""
    parser = _Parser(
        prog="foedsim",
        description="Agent-based simulation of Germany's federal administrative workload.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("check", help="validate scenario files (exit 2 on the first error per file)")
    p.add_argument("files", nargs="+", help="scenario TOML files or folders")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("params", help="print the parameter registry")
    p.add_argument("--format", choices=("text", "csv", "md"), default="text")
    p.set_defaults(func=cmd_params)

    p = sub.add_parser("kpis", help="print the KPI dictionary")
    p.add_argument("--format", choices=("text", "md"), default="text")
    p.set_defaults(func=cmd_kpis)

    p = sub.add_parser("catalogue", help="print the service catalogue summary")
    p.add_argument("--format", choices=("text", "csv"), default="text")
    p.set_defaults(func=cmd_catalogue)

    p = sub.add_parser("plan", help="print the weekly step plan")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("run", help="run one scenario and write Parquet tables + manifest.json")
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("--seed", type=args_.seed, default=0,
                   help="seed of the named random streams")
    p.add_argument("--out", help="run folder (default runs/SCENARIO-seedN)")
    p.add_argument("--tables", choices=("kpis", "aggregates", "full"), default="aggregates",
                   help="kpis; kpis+weekly; kpis+weekly+agencies")  # fmt: skip
    p.add_argument("--overwrite", action="store_true", help="replace an existing run folder")
    p.add_argument("--threads", type=args_.positive_int, default=2,
                   help="threads for drawing arrivals")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("des", help="simulate one office case by case (discrete-event model)")
    p.add_argument("file", help="office description TOML file (see docs/DES.md)")
    p.add_argument("--seed", type=args_.seed, default=0,
                   help="seed of the named random streams")
    p.add_argument("--out", help="folder for cases.parquet and weekly.parquet (optional)")
    p.add_argument("--allow-large", action="store_true",
                   help="start even if the estimate exceeds a resource limit (docs/DES.md)")
    p.set_defaults(func=cmd_des)

    p = sub.add_parser("docs", help="regenerate docs/PARAMETERS.md and docs/KPIS.md")
    p.add_argument("--docs-dir", default="docs")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("main", help="the quick-start job of the README")
    p.add_argument("--scenarios", default="scenarios", help="folder of scenario files")
    p.set_defaults(func=cmd_main)

    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from model import __version__

        print(f"foedsim {__version__}")
        return 0
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except FoedsimError as exc:
        print(f"foedsim: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # e.g. `foedsim params | head`
        return 0
    except OSError as exc:  # a failing environment (disk full, folder gone): one line
        print(f"foedsim: error: {os_error_line(exc)}", file=sys.stderr)
        return 2


def os_error_line(error: OSError) -> str:
    """One line for an :class:`OSError` that no command turned into a message of its own: the
    file and the system's reason (``runs/x/kpis.parquet: No space left on device``)."""
    reason = error.strerror or str(error) or type(error).__name__
    if error.filename is None:
        return reason
    return f"{error.filename}: {reason}"


if __name__ == "__main__":
    sys.exit(main())
