"""The commands over the store, with no git and no LLM: ``notify``, ``render``, ``site``, ``history``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import ExitCode, UsageError
from .app import err, print_undelivered, say
from .options import (
    BranchOpt,
    ConfigOpt,
    DateOpt,
    DbOpt,
    FormatOpt,
    LangOpt,
    OutOpt,
    RepoOpt,
    SinceOpt,
    TzOpt,
    UntilOpt,
    open_store,
    settings_from_flags,
    target_repo,
    window_from_flags,
)
from .reporting import print_report_summary

if TYPE_CHECKING:
    from ..models import ReportData

def notify(
    date: DateOpt = None,
    repo: Annotated[
        str | None, typer.Option("--repo", help="Only this repository. Default: every repository in the config.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Send again to targets that already had it.")] = False,
    tz: TzOpt = None,
    lang: LangOpt = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Send a stored day's notification digest: no git, no LLM, only the store and the targets.

    Targets that already received a report are skipped unless --force. Exit 5 when a delivery failed.
    """
    from ..deliver.notify import notify_reports
    from ..sources import resolve_repo
    from ..window import parse_day, yesterday

    settings = settings_from_flags(config, tz, lang, db=db)
    if not (settings.notify.urls or settings.notify.targets):
        raise UsageError("no notification targets are configured",
                         hint="Add [notify] urls or [[notify.targets]] (docs/notifications.md), "
                              "or set COMMITWATCH_NOTIFY_URLS.")
    day = parse_day(date) if date else yesterday(settings.timezone)
    names = [repo] if repo is not None else [r.repo for r in settings.repos]
    if not names:
        raise UsageError("no repository given", hint="Pass --repo, or list [[repos]] in the config file.")
    branches = {r.repo: r.branch for r in settings.repos}
    reports: list[ReportData] = []
    with open_store(settings) as store:
        for name in names:
            ref = resolve_repo(name) if Path(name).exists() else name  # a name is looked up, never fetched
            stored = store.load_report(ref, language=settings.language, day=day, branch=branches.get(name),
                                       tz=settings.timezone)
            if stored is None:
                err.print(f"commitwatch: warning: no stored {settings.language} report of {name} for {day}",
                           markup=False)
                continue
            reports.append(stored)
        if not reports:
            raise UsageError(f"no stored {settings.language} report for {day}",
                             hint="Run `commitwatch run` (or `report`) for that day first.")
        outcome = notify_reports(settings, store, reports, force=force, progress=say)
    print_undelivered(outcome.failed)
    if outcome.failed:
        raise typer.Exit(ExitCode.DELIVERY)


def render(
    repo: RepoOpt = None,
    branch: BranchOpt = None,
    date: DateOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    tz: TzOpt = None,
    lang: LangOpt = None,
    format: FormatOpt = None,
    output_dir: OutOpt = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Rebuild a stored report from the store: no git, no network, no LLM.

    The files are byte-identical to the ones the report run wrote with the same settings.
    """
    from ..reportfiles import report_stem, write_report
    from ..sources import resolve_repo

    settings = settings_from_flags(config, tz, lang, format, output_dir, db)
    target = target_repo(settings, repo, branch)
    window = window_from_flags(settings, date, since, until)
    assert window is not None  # only --since-last-run leaves the window to the store
    with open_store(settings) as store:
        ref = resolve_repo(target.repo, github=target.github) if Path(target.repo).exists() else target.repo
        if window.day is not None:
            stored = store.load_report(ref, language=settings.language, day=window.day, branch=target.branch,
                                       tz=settings.timezone)
        else:
            stored = store.load_report(ref, language=settings.language, window=window, branch=target.branch)
        if stored is None:
            raise UsageError(
                f"no stored {settings.language} report of {target.repo} for {report_stem(window)}",
                hint="Run `commitwatch report` for that window first; `commitwatch history` lists the runs.",
            )
        paths = write_report(stored, settings.output_dir, list(settings.formats), store=store)
    print_report_summary(stored, paths)


def site(
    output_dir: Annotated[
        Path | None, typer.Option("--output-dir", help="Where the site is written. Default: the output_dir setting.")
    ] = None,
    lang: LangOpt = None,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="Absolute URL the site is served from, for feed links. Default: relative."),
    ] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Build a static site over the store: an index of days × repositories, a page with trends per
    repository, every report as HTML, and Atom feeds (feed.xml and one per repository).

    Offline (no git, no network). Rebuilding with nothing new rewrites no file.
    """
    from ..site import build_site

    if base_url is not None and not base_url.startswith(("https://", "http://")):
        raise UsageError(f"--base-url must be an http(s) URL, not {base_url!r}",
                         hint="For example --base-url https://me.github.io/reports/.")
    settings = settings_from_flags(config, lang=lang, output_dir=output_dir, db=db)
    with open_store(settings) as store:
        result = build_site(store, settings.output_dir, language=settings.language, base_url=base_url)
    for path in result.written:
        say(f"wrote {path}")
    say(f"site: {result.reports} reports, {len(result.written)} files written, {result.unchanged} unchanged "
         f"in {settings.output_dir}")


def history(
    repo: Annotated[
        str | None,
        typer.Option("--repo", help="Only this repository: a path (relative or absolute), a URL or owner/name."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many runs, newest first.")] = 20,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Recent runs: window, status, commits per analyzer, tokens and cost."""
    from ..display import print_history
    from ..sources.repospec import match_repos
    from ..term import say

    settings = settings_from_flags(config, db=db)
    with open_store(settings) as store:
        if repo is None:
            rows = store.history(None, limit)
        else:
            known = store.known_repos()
            ids = match_repos(repo, known)
            if not ids:
                names = ", ".join(r.name if r.name == r.spec else f"{r.name} ({r.spec})" for r in known) or "none"
                say(err, f"commitwatch: no runs match --repo {repo}; known repositories: {names}")
                return
            runs = [row for repo_id in ids for row in store.history(repo_id, limit)]
            rows = sorted(runs, key=lambda row: -row.id)[:limit]
    print_history(rows, settings.timezone)
