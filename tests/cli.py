"""Run the real entry point in-process and fail on unexpected exit codes."""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass

from commitwatch.cli import main


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str, expect: int = 0, env: dict[str, str] | None = None) -> Result:
    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    os.environ.update(env or {})
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    result = Result(code, out.getvalue(), err.getvalue())
    assert code == expect, f"exit {code}, expected {expect}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result
