"""The shared vocabulary of the pipeline: typed objects passed between stages.

Git facts (``Commit``, ``FileChange``) are frozen dataclasses: they are built in bulk (a commit can touch
thousands of files) and never change. Model output (``Analysis``) is a pydantic model because it is
validated. ``ReportData`` is built once per report and every renderer reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ChangeType(str, Enum):
    FEATURE = "feature"
    FIX = "fix"
    PERF = "perf"
    REFACTOR = "refactor"
    DOCS = "docs"
    TEST = "test"
    CI = "ci"
    BUILD = "build"
    DEPS = "deps"
    CHORE = "chore"
    STYLE = "style"
    REVERT = "revert"
    SECURITY = "security"
    MERGE = "merge"
    OTHER = "other"


class Importance(str, Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for high, 2 for low: sort key for 'high first'."""
        return {"high": 0, "medium": 1, "low": 2}[self.value]


class FileCategory(str, Enum):
    SOURCE = "source"
    TEST = "test"
    CONFIG = "config"
    DOCS = "docs"
    BUILD = "build"
    CI = "ci"
    LOCKFILE = "lockfile"
    GENERATED = "generated"
    VENDORED = "vendored"
    BINARY = "binary"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file of one commit, as git reports it.

    ``path`` is the new path (the old one for deletions). Paths are decoded from git's raw bytes as UTF-8;
    bytes that are not UTF-8 appear as ``\\xNN`` escapes. ``additions``/``deletions`` are 0 for binary files.
    ``patch`` is the unified diff of this file (from ``diff --git`` on) when patches were collected.
    """

    path: str
    status: str  # A, M, D, R, C, T (git's letters)
    additions: int = 0
    deletions: int = 0
    old_path: str | None = None
    binary: bool = False
    similarity: int | None = None  # for R and C
    patch: str | None = None

    @property
    def changed_lines(self) -> int:
        return self.additions + self.deletions


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    author: Person
    authored_at: datetime  # aware, in the author's own offset
    committer: Person
    committed_at: datetime  # aware, in the committer's own offset; the window is on this date
    subject: str
    body: str
    files: tuple[FileChange, ...] = ()
    patches_collected: bool = False
    # What could not be read from git, for the report to show on this commit: an unreadable date or
    # ident, a message in an unexpected encoding, objects the repository lacks.
    notes: tuple[str, ...] = ()
    # Ids of objects (trees, blobs) this commit's files or patch need and the repository lacks: the
    # commit is reported with what git could give, and the report is degraded.
    missing_objects: tuple[str, ...] = ()

    @property
    def short_sha(self) -> str:
        return self.sha[:7]

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def additions(self) -> int:
        return sum(f.additions for f in self.files)

    @property
    def deletions(self) -> int:
        return sum(f.deletions for f in self.files)


@dataclass(frozen=True, slots=True)
class Reason:
    """Why triage decided what it decided. ``key`` names a message in the locale catalog
    (``locales/<lang>/reasons.toml``); ``args`` fill its ``{placeholders}``. ``weight`` is the score it
    contributed."""

    key: str
    args: tuple[tuple[str, str], ...] = ()
    weight: int = 0

    def arg_dict(self) -> dict[str, str]:
        return dict(self.args)


@dataclass(frozen=True, slots=True)
class DirStat:
    """Changed lines under one directory (top directories of a commit)."""

    path: str  # "lib/mocker" or "." for the repository root
    files: int
    additions: int
    deletions: int


# --- signals: facts computed from the diff, never guessed ------------------------------------------------


@dataclass(frozen=True, slots=True)
class InterfaceChange:
    """A change to something users call or set, read from the diff.

    ``kind``: ``cli_flag``, ``env_var``, ``config_key``, ``symbol`` (a public function or class) or
    ``http_route``. ``change``: ``added``, ``removed``, ``renamed`` (``new_name`` says to what) or
    ``default_changed`` (``old_default`` -> ``new_default``, as written in the source).
    """

    kind: str
    name: str
    change: str
    path: str
    new_name: str | None = None
    old_default: str | None = None
    new_default: str | None = None

    @property
    def breaking(self) -> bool:
        return self.change in ("removed", "renamed")


@dataclass(frozen=True, slots=True)
class DependencyChange:
    """One dependency's version in one manifest or lockfile: ``old`` -> ``new`` (None when added or
    removed). ``major`` marks a bump that may break (a major, or a 0.x minor)."""

    name: str
    old: str | None
    new: str | None
    path: str
    major: bool = False


@dataclass(frozen=True, slots=True)
class PerformanceClaim:
    """A performance claim from the message or PR body: the metric, the change as written ("-6%",
    "2.4 s -> 1.6 s", "2x"), and the model or hardware it was measured on when named."""

    metric: str
    delta: str
    context: str = ""


@dataclass(frozen=True, slots=True)
class Signals:
    """What the diff and the message say for certain: shown as "what changes for users", fed to triage
    (hard signals set an importance floor) and given to the LLM as facts it must not contradict."""

    interfaces: tuple[InterfaceChange, ...] = ()
    dependencies: tuple[DependencyChange, ...] = ()
    advisories: tuple[str, ...] = ()  # CVE-…, GHSA-…, RUSTSEC-…, PYSEC-…
    reverts: str | None = None  # the commit this one reverts (full or abbreviated sha), from its body
    performance: tuple[PerformanceClaim, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.interfaces or self.dependencies or self.advisories or self.reverts or self.performance)


@dataclass(frozen=True, slots=True)
class Triage:
    """Deterministic classification of one commit (always computed).

    ``floor`` is the lowest importance the hard signals allow (a removed flag, an advisory …) with
    ``floor_reason`` naming the signal; ``importance`` already respects it, and an LLM's answer is
    raised to it (``apply_floor``)."""

    change_type: ChangeType
    importance: Importance
    score: int
    reasons: tuple[Reason, ...]
    categories: tuple[FileCategory, ...]  # parallel to Commit.files
    top_dirs: tuple[DirStat, ...]
    breaking: bool = False
    bot: bool = False
    signals: Signals = field(default_factory=Signals)
    floor: Importance | None = None
    floor_reason: Reason | None = None  # a reason key of the triage catalog, naming the hard signal


def apply_floor(importance: Importance, triage: Triage) -> Importance:
    """``importance`` raised to the floor the hard signals set (the one place the floor is applied)."""
    if triage.floor is not None and triage.floor.rank < importance.rank:
        return triage.floor
    return importance


# --- LLM analysis (validated model output) ---------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Impact(_Strict):
    area: str = Field(description="A path or directory the commit touched")
    detail: str


class Insights(_Strict):
    architecture: list[str] = Field(default_factory=list)
    performance: list[str] = Field(default_factory=list)
    security: list[str] = Field(default_factory=list)
    compatibility: list[str] = Field(default_factory=list)


class Risk(_Strict):
    title: str
    detail: str
    severity: Literal["high", "medium", "low"]


class Recommendation(_Strict):
    audience: str
    text: str


class Analysis(_Strict):
    """A structured per-commit analysis. Depth follows importance: high gets all fields; medium gets
    summary, impact and recommendations; low gets a one- or two-line summary."""

    change_type: ChangeType
    importance: Importance
    importance_reason: str = ""
    summary: list[str] = Field(default_factory=list)
    impact: list[Impact] = Field(default_factory=list)
    insights: Insights = Field(default_factory=Insights)
    risks: list[Risk] = Field(default_factory=list)
    recommendations: list[Recommendation] = Field(default_factory=list)
    conclusion: str = ""


AnalyzerKind = Literal["llm", "rules", "rules-fallback"]


@dataclass(frozen=True, slots=True)
class PullRequest:
    """The pull request a commit landed through, as GitHub knows it (``sources.github``). Untrusted text."""

    number: int
    title: str
    url: str
    body: str = ""
    labels: tuple[str, ...] = ()
    author: str | None = None


@dataclass(slots=True)
class CommitEntry:
    """One commit as the report shows it: git facts, triage, and the final analysis."""

    commit: Commit
    triage: Triage
    change_type: ChangeType
    importance: Importance
    analyzer: AnalyzerKind = "rules"
    fallback_reason: str | None = None
    analysis: Analysis | None = None
    coverage: float | None = None  # share of changed lines shown to the model
    files_left_out: tuple[str, ...] = ()
    usage: Usage | None = None  # the requests this commit's analysis cost (None: none, or not known)
    pr: PullRequest | None = None  # the pull request behind the commit, when GitHub told us


# --- report -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open interval [start, end) of committer time. ``day`` is set for calendar-day windows."""

    start: datetime
    end: datetime
    tz: str  # IANA name, used to display times
    day: date | None = None


@dataclass(frozen=True, slots=True)
class RepoRef:
    """Where commits come from, resolved from ``--repo``.

    ``kind`` is ``local`` (read in place, never fetched) or ``remote`` (a managed mirror of ``url``).
    ``name`` is what the report shows ("ai-dynamo/dynamo" or a directory name); ``slug`` names files.
    ``github`` ("owner/name") enables commit and pull request links.
    """

    spec: str
    kind: Literal["local", "remote"]
    name: str
    slug: str
    url: str | None = None
    path: str | None = None
    github: str | None = None

    def commit_url(self, sha: str) -> str | None:
        return f"https://github.com/{self.github}/commit/{sha}" if self.github else None

    def pull_url(self, number: int) -> str | None:
        return f"https://github.com/{self.github}/pull/{number}" if self.github else None


@dataclass(slots=True)
class Usage:
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(slots=True)
class Stats:
    total: int
    high: int
    medium: int
    low: int


@dataclass(slots=True)
class ReportData:
    """Everything a renderer needs, built once per (repo, window)."""

    repo: RepoRef
    branch: str
    window: Window
    language: str
    analyzer_kind: Literal["llm", "rules"]
    model: str | None
    entries: list[CommitEntry]  # newest first (table order)
    generated_at: datetime
    warnings: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    highlights: list[str] = field(default_factory=list)

    @property
    def stats(self) -> Stats:
        counts = {i: 0 for i in Importance}
        for entry in self.entries:
            counts[entry.importance] += 1
        return Stats(
            total=len(self.entries),
            high=counts[Importance.HIGH],
            medium=counts[Importance.MEDIUM],
            low=counts[Importance.LOW],
        )

    def grouped(self) -> list[tuple[Importance, list[CommitEntry]]]:
        """Entries by importance, high first; inside a group the table order (newest first)."""
        return [(level, [e for e in self.entries if e.importance is level]) for level in Importance]
