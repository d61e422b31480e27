"""``foedsim batch`` and ``foedsim sensitivity``: scenario batches and their sensitivity indices.

Both are thin layers over :mod:`model.batch`; heavy packages are imported in the handlers.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from cli import args as args_
from cli.outputs import check_out_dir, check_out_file

BATCH_OUT_ALLOWED = ("a new or empty folder, e.g. runs/NAME (the folder of an interrupted batch "
                     "with --resume)")  # fmt: skip
SENSITIVITY_OUT_ALLOWED = "a file name (NAME.parquet for Parquet, any other for CSV)"


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``batch`` and ``sensitivity`` sub-commands."""
    p = sub.add_parser("batch", help="run a batch file: scenarios x design x replications")
    p.add_argument("file", help="batch file (scenarios/batches/*.toml, see docs/BATCHES.md)")
    p.add_argument("--out", help="batch folder (default runs/NAME)")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted batch in --out; finished runs are not redone")
    p.add_argument("--dry-run", action="store_true",
                   help="validate the file and print the runs it defines; run nothing")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--serial", action="store_true", help="run in this process (debugging)")
    where.add_argument("--workers", type=args_.positive_int, metavar="N",
                       help="local worker processes (default: every core)")
    where.add_argument("--dask-local", type=args_.positive_int, metavar="N",
                       help="start a local Dask cluster with N workers")
    where.add_argument("--dask", metavar="ADDRESS", type=args_.dask_address,
                       help="use a running Dask scheduler, e.g. tcp://host:8786")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--allow-large", action="store_true",
                   help="start even if the estimate exceeds a resource limit (docs/BATCHES.md)")
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("sensitivity", help="Sobol or Morris indices of a finished batch")
    p.add_argument("batch_dir", help="batch folder (runs/NAME) with a sobol or morris design")
    p.add_argument("--kpi", action="append", required=True, metavar="KPI",
                   help="KPI name (repeat for several); see `foedsim kpis`")
    p.add_argument("--year", action="append", type=int, metavar="YEAR",
                   help="year (repeat for several; default: the last simulated year)")
    p.add_argument("--scenario", action="append", metavar="NAME",
                   help="scenario name (repeat; default: every scenario of the batch)")
    p.add_argument("--resamples", type=args_.positive_int, default=1000,
                   help="bootstrap resamples (CI)")
    p.add_argument("--conf-level", type=float, default=0.95, help="confidence level")
    p.add_argument("--seed", type=args_.seed, default=0, help="seed of the bootstrap")
    p.add_argument("--out", help="write the table to this .csv or .parquet file")
    p.set_defaults(func=cmd_sensitivity)


class _Printer:
    """Progress lines on stderr: rewritten in place on a terminal, every 10 s in a log."""

    def __init__(self, quiet: bool, interval_s: float = 10.0) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.interval_s = interval_s
        self.last = 0.0

    def __call__(self, progress) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        final = progress.done + progress.failed >= progress.total
        if self.tty:
            print(f"\r  {progress.line()}\033[K", end="", file=sys.stderr, flush=True)
        elif final or now - self.last >= self.interval_s:
            print(f"  {progress.line()}", file=sys.stderr, flush=True)
            self.last = now

    def end(self) -> None:
        if self.tty and not self.quiet:
            print(file=sys.stderr)


def cmd_batch(args: argparse.Namespace) -> int:
    """Run (or resume, or only check) a batch file."""
    from model.batch.design import plan_batch
    from model.batch.executors import available_cores, make_executor
    from model.batch.runner import BatchInterruptedError, StopSignal, run_batch, stop_on_signals
    from model.batch.spec import load_batch
    from model.bounds import ResourceLimitError, check_limits, estimate_batch

    spec = load_batch(args.file)
    out = check_out_dir(Path("runs") / spec.name if args.out is None else args.out, "--out",
                        BATCH_OUT_ALLOWED)  # fmt: skip
    plan = plan_batch(spec)
    design = plan.design
    print(f"batch {spec.name}: {len(spec.scenarios)} scenario(s) x {design.n_points} design "
          f"point(s) ({design.method}) x {spec.replications} replication(s) = {plan.n_runs} "
          f"runs, tables '{spec.tables}'")  # fmt: skip
    # Resource bounds before anything starts (issue 19): the runs still to do, on the workers
    # the options ask for; above a limit, refused unless --allow-large.
    if args.serial:
        workers: int | None = 1
    elif args.dask is not None:
        workers = None  # an external cluster: its size and memory are not known here
    else:
        workers = args.workers or args.dask_local or available_cores()
    estimate = estimate_batch(spec, plan, out, workers, local=args.dask is None,
                              resume=args.resume)  # fmt: skip
    where = "" if workers is None else f" on {workers} worker(s)"
    print(f"estimate{where}: {estimate.describe()} (docs/BATCHES.md, 'Resource limits')")
    try:
        check_limits(estimate, out, allow=args.allow_large)
    except ResourceLimitError as exc:
        if not args.dry_run:
            raise
        print(f"  without --allow-large it would be refused: {exc}")
    if args.dry_run:
        for sc in spec.scenarios:
            print(f"  scenario {sc.name}: {sc.start}..{sc.end} ({', '.join(sc.files)})")
        if design.names:
            ranges = ", ".join(f"{n} [{lo:g}, {hi:g}]" for n, (lo, hi) in
                               zip(design.names, design.bounds, strict=True))  # fmt: skip
            print(f"  design over {ranges}")
        print(f"  seeds: {', '.join(map(str, plan.seeds[:5]))}"
              f"{', ...' if len(plan.seeds) > 5 else ''}")  # fmt: skip
        return 0
    printer = _Printer(args.quiet)
    # SIGINT and SIGTERM stop the batch cleanly from here on: run_batch stops the workers and
    # stores what finished; a signal while the executor starts or closes is caught below.
    with stop_on_signals():
        try:
            with make_executor(serial=args.serial, workers=args.workers,
                               dask_local=args.dask_local, dask=args.dask) as executor:  # fmt: skip
                print(f"executor: {executor.name}, {executor.workers} worker(s); writing {out}")
                try:
                    report = run_batch(spec, out, executor=executor, resume=args.resume,
                                       progress=printer)  # fmt: skip
                finally:
                    printer.end()
        except StopSignal as stop:
            raise BatchInterruptedError(
                f"interrupted ({signal.Signals(stop.signum).name}); finished runs are stored in "
                f"{out}; continue with: foedsim batch {spec.file} --out {out} --resume",
                stop.signum) from None
    print(f"{report.done}/{report.total} runs done ({report.ran} run now, {report.reused} "
          f"found finished) in {report.seconds:.1f} s; summary: {out / 'summary'}")  # fmt: skip
    if report.failed:
        print(f"{report.failed} of {report.total} runs failed; inputs and tracebacks in "
              f"{out / 'failures'}; retry them with --resume", file=sys.stderr)  # fmt: skip
        return 1
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Print (and optionally write) Sobol or Morris indices of a finished batch."""
    from cli.main import format_table
    from model.batch.sensitivity import sensitivity_table

    out = None if args.out is None else check_out_file(args.out, "--out", SENSITIVITY_OUT_ALLOWED)
    table = sensitivity_table(Path(args.batch_dir), args.kpi, args.year, args.scenario,
                              args.resamples, args.conf_level, args.seed)  # fmt: skip
    rows = []
    for r in table.to_dict("records"):
        conf = "" if r["conf"] != r["conf"] else f"± {r['conf']:.3g}"  # NaN: no interval
        rows.append({"scenario": r["scenario"], "kpi": r["kpi"], "year": str(r["year"]),
                     "parameter": r["parameter"], "index": r["index"],
                     "value": f"{r['value']:.4g}", f"{args.conf_level:.0%} CI": conf})  # fmt: skip
    print(format_table(rows))
    if out is not None:
        from model.storage import atomic_path

        out.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(out) as temp:
            if out.suffix == ".parquet":
                table.to_parquet(temp, index=False)
            else:
                table.to_csv(temp, index=False)
        print(f"wrote {out}")
    return 0
