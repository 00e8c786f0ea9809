"""The scale, the weights and the bookkeeping every step shares: the reason keys, the decision so far
(type, deciding reason, signals, breaking marker) and the context the steps read. See the package
docstring for the scale.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from commitwatch.models import ChangeType, Commit, Importance, Reason, Signals
from commitwatch.triage.files import FileSummary
from commitwatch.triage.titles import (
    SCOPE_TYPES,
    Title,
    word_text,
)

T = ChangeType

BASE_SCORE = 30
HIGH_THRESHOLD = 60
MEDIUM_THRESHOLD = 35


# Every reason key triage emits, with the names of its args (the locale catalogs must match).
REASON_KEYS: dict[str, tuple[str, ...]] = {
    # what decided the type
    "merge_commit": ("parents",),
    "pr_merge": ("number",),
    "advisory_merge": ("id",),
    "subtree_sync": (),
    "topic_merge": ("name",),
    "release_merge": ("version",),
    "revert": ("reverted",),
    "reland": ("original",),
    "security_word": ("word",),
    "release_bump": ("version",),
    "dependency_bump": ("name",),
    "only_dependency_files": ("files",),
    "conventional_type": ("prefix", "type"),
    "scope_type": ("scope", "type"),
    "bracket_tags": ("tags", "type"),
    "pr_label": ("label", "type"),
    "title_word": ("word", "type"),
    "object_type": ("noun", "type"),
    "interface_change": ("change", "type"),
    "default_change": ("change",),
    # signals from the diff (facts); the same keys name an importance floor
    "interface_removed": ("kind", "name"),
    "interface_renamed": ("kind", "name", "new_name"),
    "interface_default": ("kind", "name", "old", "new"),
    "advisory": ("id",),
    "performance_claim": ("metric", "delta"),
    "security_context": ("verb", "word"),
    "memory_safety": ("word",),
    "security_note": ("path",),
    "submodule_bump": ("path",),
    "severe_untyped": ("word",),
    "migration_guide": (),
    "only_docs": ("files",),
    "only_tests": ("files",),
    "only_ci": ("files",),
    "only_build": ("files",),
    "only_config": ("files",),
    "only_generated": ("files",),
    "only_comments": ("files",),
    "no_type_signal": (),
    "no_files": (),
    # signals from the title, body, labels and author
    "tag_raises": ("tag",),
    "tag_lowers": ("tag",),
    "label_raises": ("label",),
    "label_lowers": ("label",),
    "breaking": ("marker",),
    "severe_bug": ("word",),
    "narrowed_bug": ("word", "context"),
    "trivial_word": ("word",),
    "bot_author": ("author",),
    "major_version_bump": ("name", "old", "new"),
    "core_dependency": ("name",),
    "dependency_with_code": ("files",),
    "many_dependencies": ("lines",),
    # signals from the files
    "source_lines": ("lines", "files"),
    "source_spread": ("count", "areas"),
    "core_path": ("path",),
    "api_file": ("path",),
    "no_source_changes": ("files",),
    "large_change": ("lines", "files"),
}

# --- weights -----------------------------------------------------------------------------------------

TYPE_WEIGHTS: dict[ChangeType, int] = {
    T.FEATURE: 10,
    T.FIX: 8,
    T.PERF: 8,
    T.REFACTOR: -2,
    T.SECURITY: 35,
    T.REVERT: 12,
    T.DOCS: -12,
    T.TEST: -10,
    T.CI: -4,
    T.BUILD: -4,
    T.DEPS: -8,
    T.CHORE: -6,
    T.STYLE: -12,
    T.MERGE: -10,
    T.OTHER: 0,
}

# Changed lines in source files -> weight (first row whose minimum is reached, from the top).
SOURCE_LINE_WEIGHTS: tuple[tuple[int, int], ...] = ((2000, 28), (800, 24), (300, 18), (100, 12), (20, 6), (1, 2))
# Changed lines outside source (tests, docs, config; lockfiles and generated files excluded) -> weight.
OTHER_LINE_WEIGHTS: tuple[tuple[int, int], ...] = ((10000, 24), (3000, 18), (800, 12), (300, 6))
# Distinct top-level areas with source changes -> weight (only for changes of 100+ source lines).
SPREAD_WEIGHTS: tuple[tuple[int, int], ...] = ((5, 10), (3, 5))
SPREAD_MIN_LINES = 100

CORE_PATH_WEIGHT = 8
# Core paths count when they hold at least this many of the changed source lines (or all of them).
CORE_MIN_LINES = 20
API_FILE_WEIGHT = 8
BREAKING_WEIGHT = 25
# Dropping an old runtime or removing what was deprecated breaks only those who ignored the warnings.
SOFT_BREAKING_WEIGHT = 10
SEVERE_BUG_WEIGHT = 20
# A crash, hang, leak or race in one component (no core path, no harm to data or results): a medium fix.
CONTAINED_BUG_WEIGHT = 16
# A severe bug on a rare path or platform ("leak in an error path", "deadlock on Windows").
NARROWED_BUG_WEIGHT = 10
TRIVIAL_WORD_WEIGHT = -8
NO_SOURCE_WEIGHT = -3
SECURITY_IN_DOCS_WEIGHT = 8
MAJOR_BUMP_WEIGHT = 14
# A minor bump of a 0.x dependency may break, and often does not.
ZERO_MINOR_BUMP_WEIGHT = 7
CORE_DEPENDENCY_WEIGHT = 16
DEPENDENCY_WITH_CODE_WEIGHT = 10
MANY_DEPENDENCIES_WEIGHT = 8
MANY_DEPENDENCIES_LINES = 40
RELAND_WEIGHT = 4
# A style change is mechanical however many lines it touches: its size weighs at most this much.
STYLE_SIZE_CAP = 6
# A refactor moves code around: its size says less than a feature's; a pure move or rename still less.
REFACTOR_SIZE_CAP = 12
MOVE_SIZE_CAP = 4
# Docs and tests (an example script, a new test suite) are rated by kind, not by length.
DOCS_SIZE_CAP = 6
# Size, spread, core paths and API files say "this touches a lot that matters" together:
# they stack to at most a cap, so an ordinary feature stays medium unless a hard signal says more.
# The cap grows with the change: (minimum source lines, cap), first row reached; 800+ lines are not capped.
FILE_BONUS_CAPS: tuple[tuple[int, int], ...] = ((800, 100), (300, 30), (0, 19))
# A feature whose code is mostly new files (a new module, backend, model) is opt-in: it changes nothing
# for those who do not use it, so its size stacks to the smallest cap however large it is.
ADDITIVE_SHARE = 0.8
FILE_BONUS_KEYS = frozenset({"source_lines", "source_spread", "core_path", "api_file", "large_change"})
# A new default changes the behaviour for everyone who never set the option.
DEFAULT_CHANGE_WEIGHT = 18
# "Use SDPA by default for Whisper", "Enable X by default on Linux": a default for one part of the project.
DEFAULT_CHANGE_SCOPED_WEIGHT = 12
SCOPED_DEFAULT_RE = re.compile(r"\bby default (?:for|on|in|with|when|if)\b", re.IGNORECASE)
LABEL_RAISE_WEIGHT = 10
LABEL_LOWER_WEIGHT = -8
# A docs/tests/CI-only change whose type stays something else (a revert, a dependency bump) weighs less.
COMPOSITION_PENALTY: dict[ChangeType, int] = {T.DOCS: -8, T.TEST: -6, T.CI: -6}

# Types whose title can be overruled by the files ("fix: ..." that only edits a README is docs).
CODE_TYPES = frozenset({T.FEATURE, T.FIX, T.PERF, T.REFACTOR, T.CHORE, T.OTHER, T.BUILD})
# Types for which core paths, crash words and missing source changes say something.
BEHAVIOUR_TYPES = frozenset({T.FEATURE, T.FIX, T.PERF, T.REFACTOR, T.REVERT, T.SECURITY, T.OTHER})

# --- the decision ------------------------------------------------------------------------------------


def cite(key: str, weight: int = 0, **args: object) -> Reason:
    return Reason(key, tuple((name, str(args[name])) for name in REASON_KEYS[key]), weight)


def bucket(value: int, table: Sequence[tuple[int, int]]) -> int:
    for minimum, weight in table:
        if value >= minimum:
            return weight
    return 0


def importance_for(score: int) -> Importance:
    """The level of a score (see the module docstring for the scale)."""
    if score >= HIGH_THRESHOLD:
        return Importance.HIGH
    if score >= MEDIUM_THRESHOLD:
        return Importance.MEDIUM
    return Importance.LOW


@dataclass(slots=True)
class Decision:
    """The change type and the reasons so far. The first rule that names a type decides and carries
    the type's weight; later rules that name a type are kept as explanations with weight 0."""

    change_type: ChangeType | None = None
    deciding: Reason | None = None
    explained: list[Reason] = field(default_factory=list)
    signals: list[Reason] = field(default_factory=list)
    breaking: str | None = None

    def decide(self, kind: ChangeType, key: str, **args: object) -> None:
        if self.change_type is None:
            self.change_type = kind
            self.deciding = cite(key, TYPE_WEIGHTS[kind], **args)
        else:
            self.explained.append(cite(key, 0, **args))

    def overrule(self, kind: ChangeType, key: str, **args: object) -> None:
        if self.deciding is not None:
            self.explained.insert(0, Reason(self.deciding.key, self.deciding.args, 0))
        self.change_type = kind
        self.deciding = cite(key, TYPE_WEIGHTS[kind], **args)

    def signal(self, key: str, weight: int, **args: object) -> None:
        self.signals.append(cite(key, weight, **args))

    def mark_breaking(self, marker: str) -> None:
        self.breaking = self.breaking or marker

    def reasons(self) -> tuple[Reason, ...]:
        first = (self.deciding,) if self.deciding is not None else ()
        return (*first, *self.explained, *self.signals)


@dataclass(slots=True)
class Context:
    commit: Commit
    title: Title
    files: FileSummary
    labels: list[tuple[str, str]]  # (full, short): "type: bug" -> ("type: bug", "bug")
    bot: bool
    dependency_bot: bool
    project: str = ""  # the project's own name, lower case ("ruff"); never a type or security word
    words: str = ""  # the title's text as the word rules read it (see ``word_text``)
    body: str = ""  # the body the rules read: the first 20,000 characters, unchecked checklist lines left out
    project_is_tool: bool = False  # the project is a linter or formatter ("ruff", "black")
    sync_merge: bool = False  # a merge of another branch: its first-parent diff is not its own work
    signals: Signals = field(default_factory=Signals)
    floor: tuple[Importance, Reason] | None = None  # the lowest level the hard signals allow, and why
    decision: Decision = field(default_factory=Decision)

    @property
    def scope_type(self) -> ChangeType | None:
        return SCOPE_TYPES.get(self.title.scope.lower()) if self.title.scope else None

    def retitle(self, title: Title) -> None:
        self.title = title
        self.words = word_text(title.text, self.project)


def raise_floor(ctx: Context, level: Importance, reason: Reason) -> None:
    if ctx.floor is None or level.rank < ctx.floor[0].rank:
        ctx.floor = (level, reason)
