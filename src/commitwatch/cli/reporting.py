"""The commands that report: ``report`` (one repository) and ``run`` (every configured one), and the
run shared with ``demo``: progress, the summary, failures and the exit code."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import ExitCode, UsageError
from .app import err, print_error, print_undelivered, state
from .options import (
    BranchOpt,
    ConfigOpt,
    DateOpt,
    DbOpt,
    DegradedOpt,
    FormatOpt,
    LangOpt,
    NoLLMOpt,
    OutOpt,
    RepoOpt,
    SinceLastRunOpt,
    SinceOpt,
    TzOpt,
    UntilOpt,
    open_store,
    pipeline,
    settings_from_flags,
    target_repo,
    window_from_flags,
)

if TYPE_CHECKING:
    from ..config import RepoConfig, Settings
    from ..models import ReportData
    from ..pipeline import RunOutcome, RunRequest

def report(
    repo: RepoOpt = None,
    branch: BranchOpt = None,
    date: DateOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    since_last_run: SinceLastRunOpt = False,
    week: Annotated[
        str | None,
        typer.Option("--week", help="Weekly digest of an ISO week (2026-W06) from the stored daily reports."),
    ] = None,
    tz: TzOpt = None,
    lang: LangOpt = None,
    format: FormatOpt = None,
    output_dir: OutOpt = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
    no_llm: NoLLMOpt = False,
    allow_degraded: DegradedOpt = False,
    github_repo: Annotated[
        str | None,
        typer.Option("--github-repo", help="The repository's GitHub owner/name, for a local path or mirror URL: "
                     "links and pull request context."),
    ] = None,
) -> None:
    """Report one repository's commits for a day, a time range, or since the last run."""
    settings = settings_from_flags(config, tz, lang, format, output_dir, db)
    target = target_repo(settings, repo, branch)
    if github_repo is not None:
        target = target.model_copy(update={"github": github_repo})
    if week is not None:
        if date or since or until or since_last_run:
            raise UsageError("--week cannot be combined with --date, --since/--until or --since-last-run",
                             hint="Give one window.")
        _weekly(settings, target, week, use_llm=not no_llm)
        return
    window = window_from_flags(settings, date, since, until, since_last_run)
    request = pipeline().RunRequest((target,), window, since_last_run, use_llm=not no_llm, notify=False)
    run_pipeline(settings, request, allow_degraded)


def _weekly(settings: Settings, target: RepoConfig, week: str, *, use_llm: bool) -> None:
    from ..reportfiles import write_report
    from ..weekly import weekly_report

    with open_store(settings) as store:
        digest = weekly_report(settings, store, target, week, use_llm=use_llm)
        paths = write_report(digest, settings.output_dir, list(settings.formats), stem=week.upper(), store=store)
    print_report_summary(digest, paths)


def run(
    date: DateOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    since_last_run: SinceLastRunOpt = False,
    tz: TzOpt = None,
    lang: LangOpt = None,
    format: FormatOpt = None,
    output_dir: OutOpt = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
    no_llm: NoLLMOpt = False,
    allow_degraded: DegradedOpt = False,
) -> None:
    """Report every repository in the config file for the same window, in one run; then publish and notify.

    Repositories are collected in parallel and share one LLM pool; each report is written as soon as its
    repository is done. A repository that fails is reported as failed while the others go on; the exit
    code is the worst outcome. After every report is written, the reports are published to GitHub
    ([publish]) and the digest goes to the [notify] targets that have not had them yet (exit 5 when a
    delivery failed; it is recorded and the next run retries it).
    """
    settings = settings_from_flags(config, tz, lang, format, output_dir, db)
    if not settings.repos:
        raise UsageError(
            "the configuration lists no repositories",
            hint="Add [[repos]] entries to the config file (docs/configuration.md), or use `commitwatch report`.",
        )
    window = window_from_flags(settings, date, since, until, since_last_run)
    request = pipeline().RunRequest(tuple(settings.repos), window, since_last_run, use_llm=not no_llm)
    run_pipeline(settings, request, allow_degraded)


def run_pipeline(settings: Settings, request: RunRequest, allow_degraded: bool) -> None:
    """Run the pipeline with progress on stderr, print the summary, exit with the worst outcome."""
    from ..display import print_summary, progress_for

    with open_store(settings) as store:
        outcome = pipeline().run(settings, request, store, progress=progress_for(err, quiet=state.quiet))
    if len(outcome.repos) == 1 and outcome.repos[0].error is not None:
        raise outcome.repos[0].error  # a run of one (`report`): its error is the command's
    if not state.quiet:
        print_summary(err, outcome)
    for result in outcome.repos:
        if result.error is not None:
            if state.traceback:
                traceback.print_exception(type(result.error), result.error, result.error.__traceback__)
            print_error(result.error, f"{result.name}: ")
    print_undelivered(outcome.undelivered)
    code = outcome.exit_code(allow_degraded)
    if code != ExitCode.OK:
        _finish_message(outcome, code)
        raise typer.Exit(code)


def _finish_message(outcome: RunOutcome, code: int) -> None:
    if code == ExitCode.DELIVERY:
        err.print(
            "commitwatch: reports written, but a delivery (publish or notification) failed; it is recorded "
            "and the next run retries it (exit 5)",
            markup=False,
        )
    elif code == ExitCode.DEGRADED:
        err.print(
            "commitwatch: report written but degraded: some LLM analyses fell back to rules or the repository "
            "lacks objects of some commits, see the warnings (exit 4; pass --allow-degraded to exit 0)",
            markup=False,
        )
    elif len(outcome.repos) > 1 and any(r.error is not None for r in outcome.repos):
        failed = sum(1 for r in outcome.repos if r.error is not None)
        err.print(f"commitwatch: {failed} of {len(outcome.repos)} repositories failed (exit {code})", markup=False)


def print_report_summary(report: ReportData, paths: list[Path], cost: float | None = None) -> None:
    if not state.quiet:
        from ..display import print_report

        print_report(err, report, paths, cost)
