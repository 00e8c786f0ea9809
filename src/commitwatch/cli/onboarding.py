"""Getting started: ``demo`` (an offline sample report), ``init`` (a starter config), ``doctor``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .app import say
from .options import ConfigOpt, FormatOpt, LangOpt, OutOpt, pipeline, settings_from_flags
from .reporting import run_pipeline


def demo(
    lang: LangOpt = None,
    format: FormatOpt = None,
    output_dir: OutOpt = None,
) -> None:
    """Report on the embedded sample repository, offline (no network, no keys).

    Builds a real git repository modelled on ai-dynamo/dynamo's 2026-02-07 (31 commits) under the cache
    dir and reports that day with the rules analyzer. Its store lives beside it, not in your own.
    """
    from ..config import RepoConfig
    from ..demo import DEMO_DAY, DEMO_TZ, build_demo_repo
    from ..window import day_window

    settings = settings_from_flags(None, DEMO_TZ, lang, format, output_dir)
    path = build_demo_repo(settings.cache_dir)
    say(f"demo repository: {path}")
    settings.db = path.parent / "commitwatch-demo.db"
    request = pipeline().RunRequest((RepoConfig(repo=str(path)),), day_window(DEMO_DAY, DEMO_TZ), use_llm=False,
                                     notify=False)
    run_pipeline(settings, request, allow_degraded=True)


def init(
    path: Annotated[Path, typer.Argument(help="Where to write the config file.")] = Path("commitwatch.toml"),
) -> None:
    """Write a commented starter config file (refuses to overwrite an existing one)."""
    from ..starter import write_starter

    written = write_starter(path)
    say(f"wrote {written}: uncomment a [[repos]] entry, then run `commitwatch doctor --config {written}`")


def doctor(
    config: ConfigOpt = None,
    forget_llm_mode: Annotated[
        bool, typer.Option("--forget-llm-mode", help="Forget the structured-output mode stored for the LLM.")
    ] = False,
) -> None:
    """Check git, the config, the LLM, the GitHub token, the store and the output and publish targets.

    Prints one line per check with what to fix; exits 0 when nothing failed (warnings allowed), else with
    the worst failure's code: 2 for configuration, 3 for git or the network. The LLM check sends one tiny
    request, which learns the structured-output mode the server accepts and stores it for the runs.
    """
    from ..doctor import exit_code, run_checks

    checks = []
    out = Console(highlight=False, soft_wrap=True)
    for check in run_checks(config, forget_llm_mode=forget_llm_mode):
        out.print(check.line(), markup=False)
        checks.append(check)
    failed = sum(1 for c in checks if c.status == "fail")
    warned = sum(1 for c in checks if c.status == "warn")
    out.print(f"{len(checks)} checks: {failed} failed, {warned} warnings", markup=False)
    code = exit_code(checks)
    if code:
        raise typer.Exit(code)
