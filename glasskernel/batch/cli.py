"""`glasskernel batch JOBS -o OUTDIR`: the command line of a batch.

Exit status: 0 when every job passed, 1 when some failed or could not run, 130 after
Ctrl-C (what finished is kept: a rerun resumes), 2 for a mistake on the command line.
"""
import os
import sys

from glasskernel.cli_usage import HELP_OPTIONS, HelpRequested, UsageError

EXIT_SOME_FAILED = 1
EXIT_INTERRUPTED = 130


def parse_batch_args(args: list) -> dict:
    opts = {"jobs": None, "outdir": None, "workers": None, "rerun": False, "dask": None,
            "local": False, "progress": None}
    i = 0
    while i < len(args):
        arg = args[i]
        name, eq, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if arg in HELP_OPTIONS:
            raise HelpRequested()
        if name in ("-o", "--output", "-j", "--jobs", "--dask"):
            if eq:
                value = inline
            elif i + 1 < len(args):
                i += 1
                value = args[i]
            else:
                raise UsageError(f"{name} needs a value")
            _set_valued(opts, name, value)
        elif arg == "--rerun":
            opts["rerun"] = True
        elif arg == "--local":
            opts["local"] = True
        elif arg in ("--progress", "--no-progress"):
            opts["progress"] = arg == "--progress"
        elif arg.startswith("-") and arg != "-":
            raise UsageError(f"unknown option {arg}")
        elif opts["jobs"] is None:
            opts["jobs"] = arg
        else:
            raise UsageError(f"unexpected argument {arg} (one JOBS file)")
        i += 1
    if opts["jobs"] is None:
        raise UsageError("no JOBS file given")
    if opts["outdir"] is None:
        raise UsageError("no output directory given (-o OUTDIR)")
    return opts


def _set_valued(opts: dict, name: str, value: str) -> None:
    if name in ("-o", "--output"):
        if os.path.exists(value) and not os.path.isdir(value):
            raise UsageError(f"{name} {value}: not a directory")
        opts["outdir"] = value
    elif name in ("-j", "--jobs"):
        if not value.isdigit() or int(value) < 1:
            raise UsageError(f"{name} {value}: expected a number of workers (1 or more)")
        opts["workers"] = int(value)
    else:
        opts["dask"] = value


def cmd_batch(args: list) -> int:
    from glasskernel.batch import run_batch
    from glasskernel.batch.jobs import JobError, load_jobs
    from glasskernel.batch.summary import Progress, counts, summary_table
    opts = parse_batch_args(args)
    try:
        jobs = load_jobs(opts["jobs"])
    except JobError as err:
        print(f"glasskernel: batch: {err}", file=sys.stderr)
        return 2
    address = None if opts["local"] else (opts["dask"] or os.environ.get("DASK_SCHEDULER_ADDRESS"))
    workers = opts["workers"] or os.cpu_count() or 1
    progress = Progress(len(jobs), workers, force=bool(opts["progress"]))
    if opts["progress"] is False:
        progress.enabled = False
    try:
        outcome = run_batch(jobs, opts["outdir"], executor=address, workers=workers,
                            rerun=opts["rerun"], progress=progress)
    except RuntimeError as err:
        print(f"glasskernel: batch: {err}", file=sys.stderr)
        return 2
    rows = outcome["rows"]
    sys.stdout.write(summary_table(rows))
    if outcome["skipped"]:
        print(f"({outcome['skipped']} jobs already had results in {opts['outdir']} and were "
              f"not run again; --rerun runs them)")
    print(f"results: {os.path.join(opts['outdir'], 'results.jsonl')}, report: "
          f"{os.path.join(opts['outdir'], 'report.html')}")
    if outcome["interrupted"]:
        print(f"glasskernel: batch: interrupted; {len(rows)} of {len(jobs)} jobs have results "
              f"(run the same command again to finish)", file=sys.stderr)
        return EXIT_INTERRUPTED
    c = counts(rows)
    return 0 if c["fail"] == 0 and c["error"] == 0 and len(rows) == len(jobs) else EXIT_SOME_FAILED
