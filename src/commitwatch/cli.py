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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from . import __version__
from .errors import CommitwatchError, ExitCode, UsageError

if TYPE_CHECKING:  # each command imports what it uses: `commitwatch --help` stays fast
    from .config import RepoConfig, Settings
    from .models import ReportData, Window
    from .pipeline import RunOutcome, RunRequest
    from .storage import Store

app = typer.Typer(
    name="commitwatch",
    help="Daily reports of the commits landing in the repositories you follow.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@dataclass
class _State:
    quiet: bool = False
    traceback: bool = False


_state = _State()
_err = Console(stderr=True, highlight=False, soft_wrap=True)


def _say(message: str) -> None:
    if not _state.quiet:
        from .term import say

        say(_err, message)  # repository names, paths and commit text: no control codes, no markup


def _version(value: bool) -> None:
    if value:
        typer.echo(f"commitwatch {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors (for cron).")] = False,
    show_traceback: Annotated[
        bool, typer.Option("--traceback", help="Show the Python traceback of an error.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Daily reports of the commits landing in the repositories you follow."""
    _state.quiet = quiet
    _state.traceback = show_traceback


# Options shared by `report`, `run` and `demo` ------------------------------------------------------------

DateOpt = Annotated[
    str | None, typer.Option("--date", help="Calendar day YYYY-MM-DD in --tz. Default: yesterday.")
]
SinceOpt = Annotated[
    str | None, typer.Option("--since", help="Window start, ISO 8601 (no offset: read in --tz).")
]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Window end (exclusive), ISO 8601. Default: now.")]
TzOpt = Annotated[
    str | None, typer.Option("--tz", help="IANA time zone for day boundaries and times. Default: Asia/Shanghai.")
]
LangOpt = Annotated[str | None, typer.Option("--lang", help="Report language: zh-CN (default) or en.")]
FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="Comma-separated formats: md,html,json,atom (atom: refresh the Atom feeds from the store). "
        "Default: md,json.",
    ),
]
OutOpt = Annotated[Path | None, typer.Option("--output-dir", help="Where reports are written. Default: reports.")]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="TOML config file (also COMMITWATCH_CONFIG).")
]
NoLLMOpt = Annotated[bool, typer.Option("--no-llm", help="Use the rules analyzer even if an LLM is configured.")]
DegradedOpt = Annotated[
    bool,
    typer.Option(
        "--allow-degraded",
        help="Exit 0 even if the report is degraded: LLM analyses fell back to rules, or the repository "
        "lacks objects of some commits.",
    ),
]
DbOpt = Annotated[
    Path | None, typer.Option("--db", help="SQLite store (also COMMITWATCH_DB). Default: the user data dir.")
]
SinceLastRunOpt = Annotated[
    bool,
    typer.Option("--since-last-run", help="From the end of the last successful run of this repo and branch to now."),
]
RepoOpt = Annotated[
    str | None,
    typer.Option("--repo", help="Local path, git URL or GitHub owner/name. Default: the config's only repo."),
]
BranchOpt = Annotated[str | None, typer.Option("--branch", help="Branch. Default: the remote HEAD.")]


def _settings(
    config: Path | None,
    tz: str | None = None,
    lang: str | None = None,
    formats: str | None = None,
    output_dir: Path | None = None,
    db: Path | None = None,
) -> Settings:
    from .config import load_settings, parse_formats
    from .window import zone

    if tz is not None:
        zone(tz)  # a bad --tz is a usage error that names the flag
    overrides: dict[str, Any] = {"timezone": tz, "language": lang, "output_dir": output_dir, "db": db}
    if formats is not None:
        try:
            overrides["formats"] = parse_formats(formats)
        except ValueError as e:
            raise UsageError(str(e), hint="For example --format md,html,json.") from e
    if lang is not None and lang not in ("zh-CN", "en"):
        raise UsageError(f"unknown language {lang!r}", hint="Use --lang zh-CN or --lang en.")
    return load_settings(config, overrides=overrides)


def _window(
    settings: Settings, date: str | None, since: str | None, until: str | None, since_last_run: bool = False
) -> Window | None:
    """The report window from the flags; None for --since-last-run (the store decides)."""
    from .window import day_window, parse_day, range_window, yesterday

    if since_last_run:
        if date or since or until:
            raise UsageError("--since-last-run cannot be combined with --date or --since/--until",
                             hint="Give one window.")
        return None
    if date and (since or until):
        raise UsageError("--date cannot be combined with --since/--until", hint="Give a day or a range.")
    if until and not since:
        raise UsageError("--until needs --since", hint="Give both ends, for example --since 2026-02-01.")
    if since:
        return range_window(since, until, settings.timezone)
    day = parse_day(date) if date else yesterday(settings.timezone)
    return day_window(day, settings.timezone)


@contextmanager
def _store(settings: Settings) -> Iterator[Store]:
    from .storage import Store, default_db_path

    with Store.open(settings.db or default_db_path()) as store:
        yield store


def _run(settings: Settings, request: RunRequest, allow_degraded: bool) -> None:
    """Run the pipeline with progress on stderr, print the summary, exit with the worst outcome."""
    from .display import print_summary, progress_for

    with _store(settings) as store:
        outcome = _pipeline().run(settings, request, store, progress=progress_for(_err, quiet=_state.quiet))
    if len(outcome.repos) == 1 and outcome.repos[0].error is not None:
        raise outcome.repos[0].error  # a run of one (`report`): its error is the command's
    if not _state.quiet:
        print_summary(_err, outcome)
    for result in outcome.repos:
        if result.error is not None:
            if _state.traceback:
                traceback.print_exception(type(result.error), result.error, result.error.__traceback__)
            _print_error(result.error, f"{result.name}: ")
    _print_undelivered(outcome.undelivered)
    code = outcome.exit_code(allow_degraded)
    if code != ExitCode.OK:
        _finish_message(outcome, code)
        raise typer.Exit(code)


def _print_undelivered(undelivered: list[tuple[str, str]]) -> None:
    from .term import clean

    for target, detail in undelivered:  # ids and details are redacted: no URL, no token
        what = "publishing" if target.startswith("github:") else "notification"
        _err.print(f"commitwatch: warning: {what} to {target} failed: {clean(detail)}", markup=False)


def _finish_message(outcome: RunOutcome, code: int) -> None:
    if code == ExitCode.DELIVERY:
        _err.print(
            "commitwatch: reports written, but a delivery (publish or notification) failed; it is recorded "
            "and the next run retries it (exit 5)",
            markup=False,
        )
    elif code == ExitCode.DEGRADED:
        _err.print(
            "commitwatch: report written but degraded: some LLM analyses fell back to rules or the repository "
            "lacks objects of some commits, see the warnings (exit 4; pass --allow-degraded to exit 0)",
            markup=False,
        )
    elif len(outcome.repos) > 1 and any(r.error is not None for r in outcome.repos):
        failed = sum(1 for r in outcome.repos if r.error is not None)
        _err.print(f"commitwatch: {failed} of {len(outcome.repos)} repositories failed (exit {code})", markup=False)


def _pipeline() -> Any:
    from . import pipeline

    return pipeline


def _summary(report: ReportData, paths: list[Path], cost: float | None = None) -> None:
    if not _state.quiet:
        from .display import print_report

        print_report(_err, report, paths, cost)


def _target(settings: Settings, repo: str | None, branch: str | None) -> RepoConfig:
    """The repository to report: --repo (keeping the config's entry for it), or the config's only one."""
    from .config import RepoConfig

    if repo is not None:
        known = {r.repo: r for r in settings.repos}
        if repo in known:  # keep the config's github identity and branch for this repo
            return RepoConfig(repo=repo, branch=branch or known[repo].branch, github=known[repo].github)
        return RepoConfig(repo=repo, branch=branch)
    if len(settings.repos) == 1:
        only = settings.repos[0]
        return RepoConfig(repo=only.repo, branch=branch or only.branch, github=only.github)
    raise UsageError(
        "no repository given",
        hint="Pass --repo (a path, git URL or owner/name), or use `commitwatch run` for every configured repo.",
    )


@app.command()
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
    settings = _settings(config, tz, lang, format, output_dir, db)
    target = _target(settings, repo, branch)
    if github_repo is not None:
        target = target.model_copy(update={"github": github_repo})
    if week is not None:
        if date or since or until or since_last_run:
            raise UsageError("--week cannot be combined with --date, --since/--until or --since-last-run",
                             hint="Give one window.")
        _weekly(settings, target, week, use_llm=not no_llm)
        return
    window = _window(settings, date, since, until, since_last_run)
    request = _pipeline().RunRequest((target,), window, since_last_run, use_llm=not no_llm, notify=False)
    _run(settings, request, allow_degraded)


def _weekly(settings: Settings, target: RepoConfig, week: str, *, use_llm: bool) -> None:
    from .reportfiles import write_report
    from .weekly import weekly_report

    with _store(settings) as store:
        digest = weekly_report(settings, store, target, week, use_llm=use_llm)
        paths = write_report(digest, settings.output_dir, list(settings.formats), stem=week.upper(), store=store)
    _summary(digest, paths)


@app.command()
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
    settings = _settings(config, tz, lang, format, output_dir, db)
    if not settings.repos:
        raise UsageError(
            "the configuration lists no repositories",
            hint="Add [[repos]] entries to the config file (docs/configuration.md), or use `commitwatch report`.",
        )
    window = _window(settings, date, since, until, since_last_run)
    request = _pipeline().RunRequest(tuple(settings.repos), window, since_last_run, use_llm=not no_llm)
    _run(settings, request, allow_degraded)


@app.command()
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
    from .deliver.notify import notify_reports
    from .sources import resolve_repo
    from .window import parse_day, yesterday

    settings = _settings(config, tz, lang, db=db)
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
    with _store(settings) as store:
        for name in names:
            ref = resolve_repo(name) if Path(name).exists() else name  # a name is looked up, never fetched
            stored = store.load_report(ref, language=settings.language, day=day, branch=branches.get(name),
                                       tz=settings.timezone)
            if stored is None:
                _err.print(f"commitwatch: warning: no stored {settings.language} report of {name} for {day}",
                           markup=False)
                continue
            reports.append(stored)
        if not reports:
            raise UsageError(f"no stored {settings.language} report for {day}",
                             hint="Run `commitwatch run` (or `report`) for that day first.")
        outcome = notify_reports(settings, store, reports, force=force, progress=_say)
    _print_undelivered(outcome.failed)
    if outcome.failed:
        raise typer.Exit(ExitCode.DELIVERY)


@app.command()
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
    from .reportfiles import report_stem, write_report
    from .sources import resolve_repo

    settings = _settings(config, tz, lang, format, output_dir, db)
    target = _target(settings, repo, branch)
    window = _window(settings, date, since, until)
    assert window is not None  # only --since-last-run leaves the window to the store
    with _store(settings) as store:
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
    _summary(stored, paths)


@app.command()
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
    from .site import build_site

    if base_url is not None and not base_url.startswith(("https://", "http://")):
        raise UsageError(f"--base-url must be an http(s) URL, not {base_url!r}",
                         hint="For example --base-url https://me.github.io/reports/.")
    settings = _settings(config, lang=lang, output_dir=output_dir, db=db)
    with _store(settings) as store:
        result = build_site(store, settings.output_dir, language=settings.language, base_url=base_url)
    for path in result.written:
        _say(f"wrote {path}")
    _say(f"site: {result.reports} reports, {len(result.written)} files written, {result.unchanged} unchanged "
         f"in {settings.output_dir}")


@app.command()
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
    from .display import print_history
    from .sources.repospec import match_repos
    from .term import say

    settings = _settings(config, db=db)
    with _store(settings) as store:
        if repo is None:
            rows = store.history(None, limit)
        else:
            known = store.known_repos()
            ids = match_repos(repo, known)
            if not ids:
                names = ", ".join(r.name if r.name == r.spec else f"{r.name} ({r.spec})" for r in known) or "none"
                say(_err, f"commitwatch: no runs match --repo {repo}; known repositories: {names}")
                return
            runs = [row for repo_id in ids for row in store.history(repo_id, limit)]
            rows = sorted(runs, key=lambda row: -row.id)[:limit]
    print_history(rows, settings.timezone)


@app.command()
def demo(
    lang: LangOpt = None,
    format: FormatOpt = None,
    output_dir: OutOpt = None,
) -> None:
    """Report on the embedded sample repository, offline (no network, no keys).

    Builds a real git repository modelled on ai-dynamo/dynamo's 2026-02-07 (31 commits) under the cache
    dir and reports that day with the rules analyzer. Its store lives beside it, not in your own.
    """
    from .config import RepoConfig
    from .demo import DEMO_DAY, DEMO_TZ, build_demo_repo
    from .window import day_window

    settings = _settings(None, DEMO_TZ, lang, format, output_dir)
    path = build_demo_repo(settings.cache_dir)
    _say(f"demo repository: {path}")
    settings.db = path.parent / "commitwatch-demo.db"
    request = _pipeline().RunRequest((RepoConfig(repo=str(path)),), day_window(DEMO_DAY, DEMO_TZ), use_llm=False,
                                     notify=False)
    _run(settings, request, allow_degraded=True)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the config file.")] = Path("commitwatch.toml"),
) -> None:
    """Write a commented starter config file (refuses to overwrite an existing one)."""
    from .starter import write_starter

    written = write_starter(path)
    _say(f"wrote {written}: uncomment a [[repos]] entry, then run `commitwatch doctor --config {written}`")


@app.command()
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
    from .doctor import exit_code, run_checks

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


def _print_error(error: CommitwatchError, prefix: str = "") -> None:
    from .term import clean

    _err.print(f"commitwatch: error: {clean(prefix)}{clean(error.message, newlines=True)}", markup=False)
    if error.hint:
        _err.print(f"hint: {clean(error.hint, newlines=True)}", markup=False)


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the app and turns every error into one message and an exit code.

    Typer/Click handle their own usage errors (exit 2) through SystemExit; our errors carry their code.
    """
    _state.quiet = False
    _state.traceback = "--traceback" in (argv if argv is not None else sys.argv[1:])
    try:
        app(args=argv, prog_name="commitwatch")
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (ExitCode.OK if e.code is None else ExitCode.INTERNAL)
    except CommitwatchError as e:
        if _state.traceback:
            traceback.print_exc()
        _print_error(e)
        return e.exit_code
    except KeyboardInterrupt:
        _err.print("commitwatch: interrupted", markup=False)
        return 130
    except Exception as e:
        if _state.traceback:
            traceback.print_exc()
        from .term import clean

        _err.print(f"commitwatch: internal error: {type(e).__name__}: {clean(e)}", markup=False)
        _err.print("hint: rerun with --traceback and report the output as a bug.", markup=False)
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


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    entry()
