"""The rehearsal's command line: `python -m tools.rehearse --learners 4`, `--sizing 1 2 4 8`, `--guide`."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from mnist_lesson.paths import CHECKOUT
from tools import lessons as registry
from tools import rehearse
from tools.rehearse import RehearsalError
from tools.rehearse.hub import PROXY
from tools.rehearse.isolation import ISOLATED_ENV, isolation_command
from tools.rehearse.rehearsal import chosen_lessons
from tools.rehearse.rehearsal import rehearse as rehearse_class
from tools.rehearse.report import RESULTS, table, write_guide

#: The lesson a class rehearses unless told otherwise; it runs after the lessons it loads from.
REHEARSED = "02_inference"


def default_lessons(stem: str = REHEARSED) -> list[str]:
    """A lesson and the lessons it loads from (transitively), in the course's order: what each learner runs."""
    return [each.stem for each in registry.with_dependencies(chosen_lessons([stem]), registry.lessons())]


def parser() -> argparse.ArgumentParser:
    made = argparse.ArgumentParser(prog="python -m tools.rehearse", description=rehearse.__doc__.splitlines()[0])
    made.add_argument("--learners", type=int, default=4, help="how many learners log in at once (default 4)")
    made.add_argument(
        "--lessons",
        nargs="+",
        help=f"the lessons each runs, in order (default: {REHEARSED} after the lessons it loads from)",
    )
    made.add_argument("--no-alone", dest="alone", action="store_false", help="skip the run of one learner alone first")
    made.add_argument("--no-update", dest="update", action="store_false", help="skip the content-update step")
    made.add_argument(
        "--stand-in",
        action="store_true",
        help="the lessons loaded from but not run are built untrained, at their starting weights, for the others",
    )
    made.add_argument(
        "--proxy", type=Path, default=PROXY, help=f"configurable-http-proxy (default: {PROXY.relative_to(CHECKOUT)})"
    )
    made.add_argument("--cell-timeout", type=float, default=900, help="seconds one cell may take")
    made.add_argument("--json", type=Path, help="also write the measurements here, as JSON")
    made.add_argument("--keep", action="store_true", help="keep the rehearsal's folder (hub log, homes) to look at")
    made.add_argument(
        "--sizing",
        type=int,
        nargs="+",
        metavar="N",
        help=f"rehearse at each class size; write {RESULTS.name} and the guide's table",
    )
    made.add_argument(
        "--guide", action="store_true", help=f"only rewrite the guide's sizing table from {RESULTS.name}, as it is"
    )
    made.add_argument(
        "--network", action="store_true", help="keep the machine's network (default: a namespace with loopback only)"
    )
    return made


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.guide:
        try:
            written = write_guide(json.loads(RESULTS.read_text()))
        except (OSError, ValueError, RehearsalError) as exc:
            print(f"Could not write the sizing table: {exc}. Run `make rehearse-sizing` first.", file=sys.stderr)
            return 1
        where = ", ".join(str(page.relative_to(CHECKOUT)) for page in written) or "no page (all were up to date)"
        print(f"Wrote the sizing table from {RESULTS.relative_to(CHECKOUT)} into {where}.")
        return 0
    # No internet at all: the hub, its proxy, the servers, the kernels and the learners share a loopback only.
    isolated = None if args.network else isolation_command(sys.argv[1:] if argv is None else argv)
    if isolated is not None:
        # This process becomes the isolated rehearsal, so that Ctrl-C and SIGTERM reach it and its cleanup.
        os.chdir(CHECKOUT)
        os.execvpe(isolated[0], isolated, {**os.environ, ISOLATED_ENV: "1"})
    if not args.network and not os.environ.get(ISOLATED_ENV):
        print("No network namespace here (unshare is missing or not permitted): kernels' HTTP(S) goes to a dead proxy.")
    import requests

    failures = (RehearsalError, OSError, subprocess.CalledProcessError, requests.RequestException, RuntimeError)
    try:
        args.lessons = args.lessons or default_lessons()
        if args.sizing:
            return sizing(args)
        report = rehearse_class(
            args.learners,
            args.lessons,
            args.alone,
            args.stand_in,
            args.cell_timeout,
            args.proxy,
            args.keep,
            args.update,
        )
    except failures as exc:
        print(f"The rehearsal stopped: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("The rehearsal was interrupted; everything it started is stopped.", file=sys.stderr)
        return 130
    print(table(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.as_json(), indent=1) + "\n")
    return 0 if report.failed == 0 else 1


def sizing(args: argparse.Namespace) -> int:
    """Rehearse at each class size; only when all passed, replace the recorded results and the guide's table."""
    runs = []
    for count in args.sizing:
        print(f"== {count} learners")
        report = rehearse_class(
            count, args.lessons, True, args.stand_in, args.cell_timeout, args.proxy, False, args.update
        )
        print(table(report))
        if report.failed:
            print(f"The rehearsal of {count} learners failed: {RESULTS.name} and the guide are left as they were.")
            return 1
        runs.append(report.as_json())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    partial = RESULTS.with_suffix(".json.partial")
    partial.write_text(json.dumps(runs, indent=1) + "\n")
    os.replace(partial, RESULTS)
    print(f"Wrote {RESULTS.relative_to(CHECKOUT)}.")
    return main(["--guide"])


if __name__ == "__main__":
    sys.exit(main())
