"""What publishing to GitHub passes around: a report with its texts, what was done, where a report goes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from ..config import PublishSettings
from ..errors import GitHubError
from ..models import ReportData
from ..window import zone

if TYPE_CHECKING:
    from ..sources.github import GitHubClient
    from ..storage import Store

BODY_LIMIT = 65_536  # characters GitHub accepts in an issue or comment body
PART_MARK = "<!-- commitwatch: part {n} of {total} -->"
INDEX_MARK = "<!-- commitwatch-index:"
TITLE_LIMIT = 256


@dataclass
class Publication:
    """One report and its rendered texts by format (what was written to the files)."""

    report: ReportData
    texts: dict[str, str]


@dataclass
class Published:
    target: str
    action: str  # created, updated, unchanged
    url: str | None = None


@dataclass
class PublishOutcome:
    done: list[Published] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


class Publisher:
    """What both ways of publishing (``contents``, ``issues``) work with: the settings, the client, the
    store and the target repository."""

    def __init__(self, settings: PublishSettings, client: GitHubClient, store: Store) -> None:
        assert settings.github_repo is not None
        self.settings = settings
        self.client = client
        self.store = store
        self.repo = settings.github_repo


def report_stem(report: ReportData) -> str:
    from ..reportfiles import report_stem as stem  # one naming rule for files and published copies

    return stem(report.window)


def report_day(report: ReportData) -> date:
    window = report.window
    return window.day or window.start.astimezone(zone(window.tz)).date()


def published_path(settings: PublishSettings, report: ReportData, fmt: str) -> str:
    """Where a report is published in the repository; raises ``GitHubError`` for a template that leaves
    the repository or names no file."""
    ext = fmt
    try:
        path = settings.path_template.format(
            year=f"{report_day(report).year:04d}", repo_slug=report.repo.slug, repo=report.repo.name,
            date=report_stem(report), ext=ext,
        )
    except (KeyError, IndexError, ValueError) as e:
        raise GitHubError(
            f"publish.path_template {settings.path_template!r} is invalid: {e}",
            hint="Use the placeholders {year}, {repo_slug}, {repo}, {date} and {ext}.",
        ) from e
    if "{ext}" not in settings.path_template and fmt != "md":
        path = path[: -len(".md")] + f".{fmt}" if path.endswith(".md") else f"{path}.{fmt}"
    return check_path(path, "publish.path_template")


def check_path(path: str, key: str) -> str:
    parts = path.split("/")
    if not path or path.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in path:
        raise GitHubError(f"{key} gives the path {path!r}, which is not a file inside the repository",
                          hint="Use a relative path such as reports/{year}/{repo_slug}/{date}.md.")
    return path


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def publication_key(report: ReportData) -> str:
    from ..storage import report_key

    return report_key(report)


def target_prefix(settings: PublishSettings) -> str:
    if settings.issue:
        return f"github-issue:{settings.github_repo}"
    return f"github:{settings.github_repo}@{settings.branch}:"


def quote_path(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")
