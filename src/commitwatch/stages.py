"""The objects the run's stages pass on (``pipeline``): what goes in, what each stage hands the next,
and what comes out; and the small functions over them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .analysis import PullText
from .cache import Item
from .config import RepoConfig
from .errors import CommitwatchError, ExitCode
from .models import Commit, CommitEntry, PullRequest, RepoRef, ReportData, Usage, Window

# --- what goes in and what comes out ------------------------------------------------------------------


@dataclass(frozen=True)
class RunRequest:
    """What to run: these repositories, and either a window or everything since each one's last run."""

    repos: tuple[RepoConfig, ...]
    window: Window | None = None
    since_last_run: bool = False
    use_llm: bool = True
    notify: bool = True  # send the digest to [notify] targets after the reports (`report` and `demo` do not)


@dataclass
class RepoResult:
    """One repository's outcome: its report and files, or the error that stopped it."""

    name: str
    report: ReportData | None = None
    paths: list[Path] = field(default_factory=list)
    degraded: bool = False
    cost: float | None = None
    error: CommitwatchError | None = None


@dataclass
class RunOutcome:
    repos: list[RepoResult]
    usage: Usage
    cost: float | None = None
    undelivered: list[tuple[str, str]] = field(default_factory=list)  # (target id, redacted reason)

    def exit_code(self, allow_degraded: bool = False) -> int:
        """The worst outcome: a failed repository's code, else 5 when a delivery failed, else 4 when
        degraded (unless allowed), else 0."""
        failures = [r.error.exit_code for r in self.repos if r.error is not None]
        if failures:
            return max(failures)
        if self.undelivered:
            return ExitCode.DELIVERY
        if any(r.degraded for r in self.repos) and not allow_degraded:
            return ExitCode.DEGRADED
        return ExitCode.OK


# --- the stages' objects ----------------------------------------------------------------------------------


@dataclass
class Collected:
    """A repository's commits for the window, read from git, and the run record they belong to."""

    config: RepoConfig
    ref: RepoRef
    repo_id: int
    run_id: int
    branch: str
    head: str | None
    window: Window
    commits: list[Commit]  # newest committer date first
    notes: list[str]  # for the report header
    pulls: dict[str, PullText] = field(default_factory=dict)  # sha -> its pull request's text (``enrich``)
    prs: dict[str, PullRequest | None] = field(default_factory=dict)  # sha -> its pull request (``enrich``)


@dataclass
class Triaged:
    collected: Collected
    items: list[Item]  # (commit, triage), in the commits' order


@dataclass
class Analysed:
    triaged: Triaged
    entries: list[CommitEntry]  # in the commits' order
    highlights: list[str]
    warnings: list[str]
    usage: Usage
    cost: float | None
    degraded: bool


@dataclass(frozen=True)
class ReportRequest:
    """What to report: one repository, and either a window or everything since the last run."""

    repo: RepoConfig
    window: Window | None = None
    since_last_run: bool = False
    use_llm: bool = True


@dataclass
class ReportResult:
    report: ReportData
    paths: list[Path] = field(default_factory=list)
    degraded: bool = False
    cost: float | None = None


class InternalError(CommitwatchError):
    """A bug met while reporting one repository (exit 1); the other repositories go on."""

    exit_code = ExitCode.INTERNAL


def analyzer_counts(entries: Sequence[CommitEntry]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.analyzer] = counts.get(entry.analyzer, 0) + 1
    return counts


def without_patches(commit: Commit) -> Commit:
    if not any(f.patch for f in commit.files):
        return commit
    return dataclasses.replace(commit, files=tuple(dataclasses.replace(f, patch=None) for f in commit.files))
