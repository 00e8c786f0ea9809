"""The flags the commands share, and how they become Settings, a Window and a repository."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import UsageError

if TYPE_CHECKING:  # each command imports what it uses: `commitwatch --help` stays fast
    from ..config import RepoConfig, Settings
    from ..models import Window
    from ..storage import Store

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


def settings_from_flags(
    config: Path | None,
    tz: str | None = None,
    lang: str | None = None,
    formats: str | None = None,
    output_dir: Path | None = None,
    db: Path | None = None,
) -> Settings:
    from ..config import load_settings, parse_formats
    from ..window import zone

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


def window_from_flags(
    settings: Settings, date: str | None, since: str | None, until: str | None, since_last_run: bool = False
) -> Window | None:
    """The report window from the flags; None for --since-last-run (the store decides)."""
    from ..window import day_window, parse_day, range_window, yesterday

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
def open_store(settings: Settings) -> Iterator[Store]:
    from ..storage import Store, default_db_path

    with Store.open(settings.db or default_db_path()) as store:
        yield store


def pipeline() -> Any:
    from .. import pipeline

    return pipeline


def target_repo(settings: Settings, repo: str | None, branch: str | None) -> RepoConfig:
    """The repository to report: --repo (keeping the config's entry for it), or the config's only one."""
    from ..config import RepoConfig

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
