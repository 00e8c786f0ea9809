"""Command line: parse flags, build Settings and a Window, call the pipeline, map errors to exit codes.

Exit codes: 0 ok; 1 internal error; 2 usage or config error; 3 source error (git, network);
4 report written but degraded (an LLM analysis fell back to rules, or the repository lacks objects of a
commit), unless --allow-degraded;
5 reports written and stored, but a notification failed after its retries (recorded; retried next run).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
import traceback

from ..errors import CommitwatchError, ExitCode
from . import onboarding, reporting, stored
from .app import app, err, print_error, state

__all__ = ["app", "entry", "main"]

# The commands, in the order `commitwatch --help` lists them.
for _command in (
    reporting.report,
    reporting.run,
    stored.notify,
    stored.render,
    stored.site,
    stored.history,
    onboarding.demo,
    onboarding.init,
    onboarding.doctor,
):
    app.command()(_command)


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the app and turns every error into one message and an exit code.

    Typer/Click handle their own usage errors (exit 2) through SystemExit; our errors carry their code.
    """
    state.quiet = False
    state.traceback = "--traceback" in (argv if argv is not None else sys.argv[1:])
    try:
        app(args=argv, prog_name="commitwatch")
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (ExitCode.OK if e.code is None else ExitCode.INTERNAL)
    except CommitwatchError as e:
        if state.traceback:
            traceback.print_exc()
        print_error(e)
        return e.exit_code
    except KeyboardInterrupt:
        err.print("commitwatch: interrupted", markup=False)
        return 130
    except Exception as e:
        if state.traceback:
            traceback.print_exc()
        from ..term import clean

        err.print(f"commitwatch: internal error: {type(e).__name__}: {clean(e)}", markup=False)
        err.print("hint: rerun with --traceback and report the output as a bug.", markup=False)
        return ExitCode.INTERNAL
    return ExitCode.OK


def entry() -> None:
    """The console script. A finished command has written, flushed and closed what it owns; what is left
    is the interpreter's teardown, which frees every object one by one (0.1 s after a rules run, 0.25 s
    after an LLM run, measured in docs/performance.md). That is skipped: exit handlers run, the streams are
    flushed, then the process ends. With a worker thread still running, the normal exit waits for it."""
    code = main()
    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        sys.exit(code)
    _run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)  # logging's flush, finalizers
    if _run_exit_handlers is None:  # pragma: no cover - not CPython
        sys.exit(code)
    _run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
