"""The decision: the steps that read a commit's title, labels and files, the change type they settle on,
and the score (with its reasons) that gives the importance. See the package docstring for the scale.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from commitwatch.models import ChangeType, Commit, FileCategory, Importance, Reason, Signals, Triage
from commitwatch.triage.files import OVERRULING, TOP_DIRS_LIMIT, FileSummary, dir_stats, summarise_files
from commitwatch.triage.titles import (
    ADVISORY_RE,
    BODY_ADVISORY_RE,
    BODY_REVERT_RE,
    BREAKING_BODY_RE,
    BREAKING_CHECKBOX_RE,
    BREAKING_FOOTER_RE,
    BREAKING_LABELS,
    BREAKING_TITLE_RE,
    CORE_DEPENDENCIES,
    DEFAULT_CHANGE_RE,
    DOCUMENT_RE,
    INTERFACE_BREAKING_RE,
    INTERFACE_CHANGE_RE,
    INTERFACE_MENTION_RE,
    LABEL_TYPES,
    LEADING_FORMAT_RE,
    LOWERING_LABELS,
    MAINLINE_BRANCH_RE,
    MEMORY_SAFETY_RE,
    MERGE_REQUEST_RE,
    NARROWING_RE,
    OBJECT_RE,
    PERF_PHRASE_RE,
    PR_MERGE_RE,
    PR_SUFFIX_RE,
    RAISING_LABELS,
    RELEASE_RE,
    SCOPE_TYPES,
    SECURITY_CONTEXT_RE,
    SECURITY_RE,
    SECURITY_VERB_RE,
    SEVERE_RE,
    SOFT_BREAKING_RE,
    SOFT_DEPRECATED_RE,
    STYLE_RE,
    SUBTREE_RE,
    SYNC_UPSTREAM_RE,
    TAG_DEFAULT_TYPES,
    TAG_RULES,
    TOOL_NAMES,
    TOOLCHAINS,
    TOPIC_MERGE_RE,
    TRIVIAL_RE,
    WORD_RE,
    Title,
    bot_kind,
    dependency_named,
    is_major_bump,
    label_key,
    normalise_tag,
    parse_title,
    project_name,
    tag_type,
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
_FILE_BONUS_KEYS = frozenset({"source_lines", "source_spread", "core_path", "api_file", "large_change"})
# A new default changes the behaviour for everyone who never set the option.
DEFAULT_CHANGE_WEIGHT = 18
# "Use SDPA by default for Whisper", "Enable X by default on Linux": a default for one part of the project.
DEFAULT_CHANGE_SCOPED_WEIGHT = 12
_SCOPED_DEFAULT_RE = re.compile(r"\bby default (?:for|on|in|with|when|if)\b", re.IGNORECASE)
LABEL_RAISE_WEIGHT = 10
LABEL_LOWER_WEIGHT = -8
# A docs/tests/CI-only change whose type stays something else (a revert, a dependency bump) weighs less.
COMPOSITION_PENALTY: dict[ChangeType, int] = {T.DOCS: -8, T.TEST: -6, T.CI: -6}

# Types whose title can be overruled by the files ("fix: ..." that only edits a README is docs).
CODE_TYPES = frozenset({T.FEATURE, T.FIX, T.PERF, T.REFACTOR, T.CHORE, T.OTHER, T.BUILD})
# Types for which core paths, crash words and missing source changes say something.
BEHAVIOUR_TYPES = frozenset({T.FEATURE, T.FIX, T.PERF, T.REFACTOR, T.REVERT, T.SECURITY, T.OTHER})

# --- the decision ------------------------------------------------------------------------------------


def _r(key: str, weight: int = 0, **args: object) -> Reason:
    return Reason(key, tuple((name, str(args[name])) for name in REASON_KEYS[key]), weight)


def _bucket(value: int, table: Sequence[tuple[int, int]]) -> int:
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
class _Decision:
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
            self.deciding = _r(key, TYPE_WEIGHTS[kind], **args)
        else:
            self.explained.append(_r(key, 0, **args))

    def overrule(self, kind: ChangeType, key: str, **args: object) -> None:
        if self.deciding is not None:
            self.explained.insert(0, Reason(self.deciding.key, self.deciding.args, 0))
        self.change_type = kind
        self.deciding = _r(key, TYPE_WEIGHTS[kind], **args)

    def signal(self, key: str, weight: int, **args: object) -> None:
        self.signals.append(_r(key, weight, **args))

    def mark_breaking(self, marker: str) -> None:
        self.breaking = self.breaking or marker

    def reasons(self) -> tuple[Reason, ...]:
        first = (self.deciding,) if self.deciding is not None else ()
        return (*first, *self.explained, *self.signals)


@dataclass(slots=True)
class _Context:
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
    decision: _Decision = field(default_factory=_Decision)

    @property
    def scope_type(self) -> ChangeType | None:
        return SCOPE_TYPES.get(self.title.scope.lower()) if self.title.scope else None

    def retitle(self, title: Title) -> None:
        self.title = title
        self.words = word_text(title.text, self.project)


_UNCHECKED_RE = re.compile(r"^\s*[-*]\s*\[ \].*$", re.MULTILINE)

# Each step reads the context and records type decisions and signals.


def _names_only(ctx: _Context) -> bool:
    """ "sync : ggml": a sync scope whose text is nothing but the name of what was synced."""
    return ctx.title.scope.lower() == "sync" and len(ctx.title.text.split()) == 1


_MERGE_LIST_RE = re.compile(r"^\*\s|^\s+\S|^\s*\.\.\.\s*$|^(?:Conflicts|Signed-off-by|Link):", re.IGNORECASE)


def _topic_title(subject: str, body: str) -> tuple[str, str] | None:
    """(topic name, text to type it by) for a merge of a topic branch or tag; None for mainline syncs
    and for topics whose name and message name no type."""
    match = TOPIC_MERGE_RE.match(subject.strip())
    if match is None or MAINLINE_BRANCH_RE.match(match.group("name")):
        return None
    name = match.group("name")
    first = []
    for line in body.strip().splitlines():
        if not line.strip() or _MERGE_LIST_RE.match(line):
            break
        first.append(line.strip().strip('"'))
    words = re.sub(r"[/_.-]+", " ", name.rsplit("/", 1)[-1])
    text = " ".join(first)[:300]
    for candidate in (text, words):
        if candidate and (WORD_RE.search(candidate) or PERF_PHRASE_RE.search(candidate)):
            return name, candidate
    return None


def _history_step(ctx: _Context) -> None:
    commit, decision = ctx.commit, ctx.decision
    if commit.is_merge:
        number = PR_MERGE_RE.match(commit.subject)
        request = MERGE_REQUEST_RE.search(ctx.body)
        inner = next((line.strip() for line in commit.body.splitlines() if line.strip()), "")
        if (
            (number or request)
            and inner
            and not MERGE_REQUEST_RE.match(inner)
            and not inner.lower().startswith("merge ")
        ):
            # a pull request's merge: typed by the PR title, rated by its first-parent diff
            ctx.retitle(parse_title(inner))
            shown = number.group("number") if number else request.group(0).rsplit("!", 1)[-1] if request else "?"
            decision.signal("pr_merge", 0, number=shown)
        elif release := RELEASE_RE.match(PR_SUFFIX_RE.sub("", commit.subject.strip())):
            ctx.sync_merge = True  # "2024.2.3 (#111106)": a release branch merged back, others' work
            decision.decide(T.CHORE, "release_merge", version=next((v for v in release.groups() if v), "?"))
        elif (topic := _topic_title(commit.subject, commit.body)) is not None:
            # "Merge branch 'ps/reftable-perf'", "Merge tag 'net-6.8-rc5' of git://...": typed by what
            # the topic says it is (its name and the merge message), rated by the first-parent diff
            ctx.retitle(parse_title(topic[1]))
            decision.signal("topic_merge", 0, name=topic[0][:80])
        else:
            ctx.sync_merge = True
            decision.decide(T.MERGE, "merge_commit", parents=len(commit.parents))
    elif SUBTREE_RE.match(commit.subject) or SYNC_UPSTREAM_RE.match(ctx.words) or _names_only(ctx):
        ctx.sync_merge = True  # "Squashed 'vendor/x/' changes", "ggml : sync with upstream", "sync : ggml"
        decision.decide(T.CHORE, "subtree_sync")
    title = ctx.title
    reverted = (
        title.reverted is not None
        or title.conventional is T.REVERT
        or tag_type(title.tags)[0] is T.REVERT
        or bool(BODY_REVERT_RE.search(ctx.body))
    )
    if reverted:
        decision.decide(T.REVERT, "revert", reverted=(title.reverted or title.text)[:100])
    if title.relanded is not None:
        decision.signal("reland", RELAND_WEIGHT, original=title.relanded[:100])


# Unmanaged languages, where an out-of-bounds access or a use-after-free is exploitable.
_UNMANAGED_EXTENSIONS = frozenset(
    {"c", "h", "cc", "cpp", "cxx", "hpp", "hh", "hxx", "m", "mm", "cu", "cuh", "s", "asm"}
)
# Release-note fragments filed under security: "Misc/NEWS.d/next/Security/...", "changelog.d/123.security.md".
_NOTE_DIRS = ("news", "changelog", "changes", "newsfragments", "changelog.d", "news.d", ".changeset", "release-notes",
              "releasenotes", "unreleased")  # fmt: skip
_SECURITY_NOTE_RE = re.compile(r"(?:^|/)security/|(?:^|[./_-])security\.(?:md|rst|txt)$", re.IGNORECASE)


def _source_paths(ctx: _Context) -> list[str]:
    pairs = zip(ctx.commit.files, ctx.files.categories, strict=False)
    return [change.path for change, category in pairs if category is FileCategory.SOURCE]


def _security_note(ctx: _Context) -> str | None:
    for change in ctx.commit.files:
        lowered = change.path.lower()
        if change.status != "D" and _SECURITY_NOTE_RE.search(lowered) and any(d in lowered for d in _NOTE_DIRS):
            return change.path
    return None


def _security_step(ctx: _Context) -> None:
    decision = ctx.decision
    if decision.change_type in (T.REVERT, T.MERGE):  # a revert's words are the original's
        return
    match = (
        SECURITY_RE.search(ctx.words)
        or ADVISORY_RE.search(word_text(ctx.commit.subject, ctx.project))
        or BODY_ADVISORY_RE.search(ctx.body)
    )
    word = match.group(0) if match else next((full for full, short in ctx.labels if short == "security"), None)
    if word is None and (note := _security_note(ctx)) is not None:
        decision.decide(T.SECURITY, "security_note", path=note)  # Misc/NEWS.d/next/Security/..., 123.security.md
        return
    fix_word = WORD_RE.search(ctx.words)
    if (
        word is None
        and (unsafe := MEMORY_SAFETY_RE.search(ctx.words))
        and (fix_word is None or fix_word.lastgroup == "FIX")
        and any(name.rpartition(".")[2].lower() in _UNMANAGED_EXTENSIONS for name in _source_paths(ctx))
    ):
        decision.decide(T.SECURITY, "memory_safety", word=unsafe.group(0))  # "fix slab-out-of-bounds in ..." in C
        return
    context = SECURITY_CONTEXT_RE.search(ctx.body) or SECURITY_CONTEXT_RE.search(ctx.words)
    if word is None and (verb := SECURITY_VERB_RE.match(ctx.words)) and (why := context):
        # "Reject symlinks that escape the cache" with "an attacker can ..." in the body
        if ctx.files.composition not in OVERRULING:
            decision.decide(T.SECURITY, "security_context", verb=verb.group(0).strip(), word=why.group(0))
        return
    if word is None:
        return
    if ctx.files.composition is T.DOCS:  # a security policy or advisory page: still docs
        decision.signal("security_word", SECURITY_IN_DOCS_WEIGHT, word=word)
    else:
        decision.decide(T.SECURITY, "security_word", word=word)


_UPDATE_RE = re.compile(r"^\W*(?:updat|bump|upgrad|sync|pull|advanc|roll)\w*\b", re.IGNORECASE)


def _submodule_pointer(ctx: _Context) -> str | None:
    """A submodule bump: "Update cargo" whose only file is an extensionless path ending in the name it
    updates, changed by one line each way (git shows a gitlink as one "Subproject commit" line)."""
    changes = ctx.commit.files
    if len(changes) != 1 or not _UPDATE_RE.match(ctx.title.text):
        return None
    change = changes[0]
    name = change.path.rstrip("/").rsplit("/", 1)[-1]
    gitlink = change.patch is None or "Subproject commit" in change.patch
    if (change.additions, change.deletions) != (1, 1) or "." in name or not gitlink:
        return None
    if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", ctx.title.text, re.IGNORECASE) is None:
        return None
    return change.path


def _dependency_step(ctx: _Context) -> None:
    files, decision = ctx.files, ctx.decision
    text = ctx.title.text.strip()
    if release := RELEASE_RE.match(ctx.words) or RELEASE_RE.match(text):
        decision.decide(T.CHORE, "release_bump", version=next((v for v in release.groups() if v), "?"))
        return
    scope_deps = ctx.scope_type is T.DEPS
    if ctx.title.conventional in (T.CI, T.DOCS, T.TEST) and not scope_deps:
        return  # "ci: bump golangci-lint to v2": the author says what kind of change it is
    named = dependency_named(text)
    if not (named and named[2]) and (pointer := _submodule_pointer(ctx)) is not None:
        decision.decide(T.DEPS, "submodule_bump", path=pointer)  # "Update cargo": src/tools/cargo +1 -1
        return
    if named and ctx.project and named[0].lower() in (ctx.project, f"{ctx.project}-cli", f"py-{ctx.project}"):
        decision.decide(T.CHORE, "release_bump", version=named[2] or "?")  # "Bump uv to 0.5.0" in uv
        return
    # Manifests, lockfiles, vendored trees and CI workflows (which pin actions and tools) hold versions.
    evidence = files.manifest_lines > 0 or files.has_lockfile or files.has_vendored or files.has_ci
    evidence = evidence or not files.count
    if named and named[0].lower() in TOOLCHAINS:
        decision.decide(T.BUILD, "dependency_bump", name=named[0])  # "Update the Go version to 1.24"
        return
    if named and (evidence or ctx.dependency_bot or scope_deps):
        name, old, new = named
        decision.decide(T.DEPS, "dependency_bump", name=name)
        if old and new and is_major_bump(old, new):
            zero = old.lstrip("v").startswith("0.") and new.lstrip("v").startswith("0.")
            weight = ZERO_MINOR_BUMP_WEIGHT if zero else MAJOR_BUMP_WEIGHT
            decision.signal("major_version_bump", weight, name=name, old=old, new=new)
        if name.lower().rsplit("/", 1)[-1] in CORE_DEPENDENCIES:
            decision.signal("core_dependency", CORE_DEPENDENCY_WEIGHT, name=name)
    elif files.only_dependency_files and (files.has_lockfile or ctx.dependency_bot or scope_deps):
        decision.decide(T.DEPS, "only_dependency_files", files=files.count)


def _title_step(ctx: _Context) -> None:
    title, decision = ctx.title, ctx.decision
    if title.conventional is not None:
        scope_type = ctx.scope_type
        if scope_type is not None and title.conventional not in (T.SECURITY, T.REVERT):
            decision.decide(scope_type, "scope_type", scope=title.scope, type=scope_type.value)
            decision.explained.append(_r("conventional_type", 0, prefix=title.prefix, type=title.conventional.value))
        else:
            decision.decide(title.conventional, "conventional_type", prefix=title.prefix, type=title.conventional.value)
        if title.bang and decision.change_type is not T.REVERT:
            decision.mark_breaking(f"{title.prefix}:")
    kind, tag = tag_type(title.tags)
    if kind is not None:
        decision.decide(kind, "bracket_tags", tags=f"[{tag}]", type=kind.value)
    marks = [(tag, f"[{tag}]") for tag in title.tags]
    if title.scope and title.scope not in title.tags:  # "feat(kernel):" weighs like "[Kernel]"
        marks.append((title.scope, f"({title.scope})"))
    for raw, shown in marks:
        rule = TAG_RULES.get(normalise_tag(raw))
        if rule is None:
            continue
        if rule.weight and decision.change_type is not T.REVERT:  # a revert's tags are the original's
            decision.signal("tag_raises" if rule.weight > 0 else "tag_lowers", rule.weight, tag=shown)
        if rule.breaking and decision.change_type is not T.REVERT:
            decision.mark_breaking(shown)


def _label_step(ctx: _Context) -> None:
    decision = ctx.decision
    for full, short in ctx.labels:
        kind = LABEL_TYPES.get(full) or LABEL_TYPES.get(short)
        if kind is not None and kind is not T.SECURITY:  # security labels are read by _security_step
            decision.decide(kind, "pr_label", label=full, type=kind.value)
        if full in BREAKING_LABELS or short in BREAKING_LABELS:
            decision.mark_breaking(f"label {full}")
        elif full in RAISING_LABELS or short in RAISING_LABELS:
            decision.signal("label_raises", LABEL_RAISE_WEIGHT, label=full)
        elif full in LOWERING_LABELS or short in LOWERING_LABELS:
            decision.signal("label_lowers", LABEL_LOWER_WEIGHT, label=full)


def _object_fits(ctx: _Context, kind: ChangeType, noun: str) -> bool:
    """Whether the files allow the type the title's object names: docs with no source changed (or only
    stubs, or only comments), tests with no source changed; comments and type annotations always."""
    files = ctx.files
    if kind in (T.CHORE, T.REFACTOR) or (kind is T.DOCS and re.search(r"comment|docstring", noun, re.IGNORECASE)):
        return True
    if kind is T.DOCS:
        return not files.source_files or files.stub_only or files.comment_only
    return not files.source_files


def _style_match(ctx: _Context) -> re.Match[str] | None:
    """A lint or format word or tool in the title, unless it is the project's own product."""
    if ctx.project_is_tool:  # in a linter, "lint" and "format" are what the project makes
        tools = (m for m in STYLE_RE.finditer(ctx.words) if m.group(0).lower() in TOOL_NAMES)
        return LEADING_FORMAT_RE.match(ctx.words) or next((m for m in tools if m.group(0).lower() != ctx.project), None)
    return STYLE_RE.search(ctx.words) or LEADING_FORMAT_RE.match(ctx.words)


def _word_step(ctx: _Context) -> None:
    decision, text = ctx.decision, ctx.words
    word = WORD_RE.search(text)
    style = _style_match(ctx)
    # "fix lint", "Fix 1.95.0 Clippy", "run ruff", "chore: fix clippy lints": the style noun says more
    # than the verb (or a chore/fix/refactor prefix); "Add a lint" does not
    styled = style is not None and (
        word is None or word.lastgroup not in ("FEATURE", "PERF") or style.start() < word.start()
    )
    if decision.change_type in (T.CHORE, T.FIX, T.REFACTOR) and styled and decision.deciding is not None:
        if decision.deciding.key in ("conventional_type", "bracket_tags") and style is not None:
            decision.overrule(T.STYLE, "title_word", word=style.group(0), type=T.STYLE.value)
        return
    if decision.change_type is not None:
        return
    if (found := OBJECT_RE.match(text) or DOCUMENT_RE.match(text)) and found.lastgroup:
        kind = ChangeType[found.lastgroup]
        if _object_fits(ctx, kind, found.group(found.lastgroup)):
            decision.decide(kind, "object_type", noun=found.group(found.lastgroup), type=kind.value)
            return
    if styled and style is not None:
        decision.decide(T.STYLE, "title_word", word=style.group(0), type=T.STYLE.value)
        return
    perf = PERF_PHRASE_RE.search(text)
    # "Add a fast path", "Avoid redundant stat calls": a performance change, unless a fix is named first
    if perf and (word is None or word.lastgroup != "FIX" or word.start() >= perf.start()):
        decision.decide(T.PERF, "title_word", word=perf.group(0), type=T.PERF.value)
    elif word and word.lastgroup:
        kind = ChangeType[word.lastgroup]
        decision.decide(kind, "title_word", word=word.group(0), type=kind.value)
    elif ctx.scope_type is not None:  # "scripts : update ..."
        decision.decide(ctx.scope_type, "scope_type", scope=ctx.title.scope, type=ctx.scope_type.value)
    for tag in ctx.title.tags:  # "[Misc] ..." with no verb we know
        if (default := TAG_DEFAULT_TYPES.get(normalise_tag(tag))) is not None:
            decision.decide(default, "bracket_tags", tags=f"[{tag}]", type=default.value)
            break


# Types an interface change is never ("Remove --foo" is not a refactor).
_NOT_INTERFACE_TYPES = frozenset({T.REFACTOR, T.STYLE, T.CHORE, T.OTHER})


def _interface_step(ctx: _Context) -> None:
    decision, text = ctx.decision, ctx.title.text
    if decision.change_type in (T.REVERT, T.MERGE, T.DEPS, T.SECURITY):
        return
    breaking = INTERFACE_BREAKING_RE.search(text)
    change = breaking or INTERFACE_CHANGE_RE.search(text)
    if change is None:
        return
    shown = " ".join(change.group(0).split())[:80]
    if decision.change_type is None:
        decision.decide(T.FEATURE, "interface_change", change=shown, type=T.FEATURE.value)
    elif decision.change_type in _NOT_INTERFACE_TYPES:
        decision.overrule(T.FEATURE, "interface_change", change=shown, type=T.FEATURE.value)
    if breaking is not None:
        decision.mark_breaking(shown)
    elif default := DEFAULT_CHANGE_RE.search(text):
        weight = DEFAULT_CHANGE_SCOPED_WEIGHT if _SCOPED_DEFAULT_RE.search(text) else DEFAULT_CHANGE_WEIGHT
        decision.signal("default_change", weight, change=" ".join(default.group(0).split())[:80])


def _raise_floor(ctx: _Context, level: Importance, reason: Reason) -> None:
    if ctx.floor is None or level.rank < ctx.floor[0].rank:
        ctx.floor = (level, reason)


def _signals_step(ctx: _Context) -> None:
    """What the diff says for certain: a removed or renamed flag, env var, key, symbol or route is a
    breaking feature change and sets a high floor; a changed default a medium one; so does an advisory."""
    decision, signals = ctx.decision, ctx.signals
    if decision.change_type in (T.REVERT, T.MERGE) or ctx.sync_merge:
        return  # a revert restores, a sync carries others' work: neither is this commit's interface change
    gone = [c for c in signals.interfaces if c.breaking]
    defaults = [c for c in signals.interfaces if c.change == "default_changed"]
    if gone or defaults:
        first = (gone or defaults)[0]
        if first.change == "removed":
            reason = _r("interface_removed", 0, kind=first.kind, name=first.name)
        elif first.change == "renamed":
            reason = _r("interface_renamed", 0, kind=first.kind, name=first.name, new_name=first.new_name or "")
        else:
            reason = _r("interface_default", 0, kind=first.kind, name=first.name, old=first.old_default or "",
                        new=first.new_default or "")  # fmt: skip
        decision.signals.append(reason)
        shown = f"{first.name} {first.change.replace('_', ' ')}"
        if decision.change_type is None:
            decision.decide(T.FEATURE, "interface_change", change=shown, type=T.FEATURE.value)
        elif decision.change_type in _NOT_INTERFACE_TYPES:
            decision.overrule(T.FEATURE, "interface_change", change=shown, type=T.FEATURE.value)
        if gone:
            decision.mark_breaking(shown)
            _raise_floor(ctx, Importance.HIGH, reason)
        else:
            if not any(r.key == "default_change" for r in decision.signals):
                decision.signal("default_change", DEFAULT_CHANGE_WEIGHT, change=shown)
            _raise_floor(ctx, Importance.MEDIUM, reason)
    if signals.advisories:
        reason = _r("advisory", 0, id=", ".join(signals.advisories[:3]))
        decision.signals.append(reason)
        _raise_floor(ctx, Importance.MEDIUM, reason)
    if signals.performance:
        claim = signals.performance[0]
        decision.signals.append(_r("performance_claim", 0, metric=claim.metric, delta=claim.delta))
        weak = decision.deciding is None or decision.deciding.key in ("title_word", "no_type_signal")
        if decision.change_type in (None, T.OTHER, T.REFACTOR) and weak:
            if decision.change_type is None:
                decision.decide(T.PERF, "performance_claim", metric=claim.metric, delta=claim.delta)
            else:
                decision.overrule(T.PERF, "performance_claim", metric=claim.metric, delta=claim.delta)


def _files_step(ctx: _Context) -> None:
    files, decision = ctx.files, ctx.decision
    if not files.count:
        decision.signal("no_files", 0)
    kind, key = files.composition, files.composition_key
    if kind is None and files.comment_only and decision.change_type in CODE_TYPES:
        kind, key = T.DOCS, "only_comments"  # the patch changes comments and docstrings only
    released = decision.deciding is not None and decision.deciding.key in ("release_bump", "release_merge")
    if kind is not None and key is not None:
        current = decision.change_type
        if released:  # a release's notes and version files are the release
            decision.explained.append(_r(key, 0, files=files.count))
        elif current is None:
            decision.decide(kind, key, files=files.count)
        elif (
            kind in OVERRULING
            and (current in CODE_TYPES or (kind is T.TEST and current is T.CI))
            and current is not kind
        ):
            decision.overrule(kind, key, files=files.count)
        elif kind in OVERRULING and current is not kind and current is not T.MERGE:
            decision.signal(key, COMPOSITION_PENALTY[kind], files=files.count)  # a revert of docs only weighs less
        else:
            decision.explained.append(_r(key, 0, files=files.count))
    if decision.change_type is None:
        _last_resort(ctx)
    if decision.change_type is None:
        decision.decide(T.OTHER, "no_type_signal")


_MIGRATION_RE = re.compile(r"^\W*(?:#+\s*)?migration(?: guide| notes?)?\W*$", re.IGNORECASE | re.MULTILINE)
_BODY_BUG_RE = re.compile(
    r"\b(?:fix(?:e[sd])?|bug|regression|broke(?:n)?|incorrect(?:ly)?|wrong(?:ly)?|crash\w*|fails?|failed|failing)\b",
    re.IGNORECASE,
)


def _last_resort(ctx: _Context) -> None:
    """No title word typed the commit: what the title's bug words, the body and the files say."""
    decision, files = ctx.decision, ctx.files
    if severe := SEVERE_RE.search(ctx.words):
        decision.decide(T.FIX, "severe_untyped", word=severe.group(0))  # "system() may deadlock ..."
    elif _MIGRATION_RE.search(ctx.body):
        decision.decide(T.FEATURE, "migration_guide")  # users must change their code
        decision.mark_breaking("Migration Guide")
    elif (
        files.source_files
        and FileCategory.TEST in files.categories
        and (bug := _BODY_BUG_RE.search(ctx.body.strip().split("\n\n", 1)[0]))
    ):
        decision.decide(T.FIX, "severe_untyped", word=bug.group(0))  # a test beside a change the body calls a fix


def _breaking_step(ctx: _Context) -> None:
    decision, body = ctx.decision, ctx.body
    if decision.change_type is T.REVERT:  # the markers are the reverted change's
        decision.breaking = None
        return
    if match := BREAKING_TITLE_RE.search(ctx.title.text):
        decision.mark_breaking(match.group(0))
    if match := BREAKING_FOOTER_RE.search(body):
        decision.mark_breaking(match.group(0).split(":")[0].strip() + ":")
    if BREAKING_CHECKBOX_RE.search(body):
        decision.mark_breaking("[x] Breaking change")
    if match := BREAKING_BODY_RE.search(body):
        decision.mark_breaking(match.group(0))
    if decision.breaking is not None:
        text = ctx.title.text
        deprecated = SOFT_DEPRECATED_RE.search(text)
        named = deprecated is not None and INTERFACE_MENTION_RE.search(text[deprecated.end() :]) is not None
        soft = SOFT_BREAKING_RE.search(text) or (deprecated and not named)
        soft = soft and not BREAKING_BODY_RE.search(body)
        decision.signal("breaking", SOFT_BREAKING_WEIGHT if soft else BREAKING_WEIGHT, marker=decision.breaking)


def _wording_step(ctx: _Context) -> None:
    decision, kind = ctx.decision, ctx.decision.change_type
    trivial = TRIVIAL_RE.search(ctx.words) if kind in CODE_TYPES else None
    # severity words count in a fix's own title only ("Fix deadlock in ...", not "Ignore nans in ...")
    if kind is T.FIX and trivial is None and (severe := SEVERE_RE.search(ctx.words)):
        if narrow := NARROWING_RE.search(f"{ctx.title.scope}: {ctx.words}"):  # the scope may name the platform
            decision.signal("narrowed_bug", NARROWED_BUG_WEIGHT, word=severe.group(0), context=narrow.group(0))
        else:
            decision.signal("severe_bug", SEVERE_BUG_WEIGHT, word=severe.group(0))
    if trivial is not None:
        decision.signal("trivial_word", TRIVIAL_WORD_WEIGHT, word=trivial.group(0))


def _size_step(ctx: _Context) -> None:
    files, decision, kind = ctx.files, ctx.decision, ctx.decision.change_type
    if ctx.sync_merge:  # another branch's work, reported where it was committed
        return
    if kind is T.DEPS:
        if files.source_files:
            decision.signal("dependency_with_code", DEPENDENCY_WITH_CODE_WEIGHT, files=files.source_files)
        if files.manifest_lines >= MANY_DEPENDENCIES_LINES:
            decision.signal("many_dependencies", MANY_DEPENDENCIES_WEIGHT, lines=files.manifest_lines)
    if files.source_files:
        weight = _bucket(files.source_lines, SOURCE_LINE_WEIGHTS)
        if kind is T.STYLE:
            weight = min(weight, STYLE_SIZE_CAP)
        elif kind in (T.DOCS, T.TEST):
            weight = min(weight, DOCS_SIZE_CAP)
        elif kind is T.REFACTOR:
            weight = min(weight, MOVE_SIZE_CAP if _pure_move(ctx) else REFACTOR_SIZE_CAP)
        decision.signal("source_lines", weight, lines=files.source_lines, files=files.source_files)
        spread = _bucket(len(files.source_areas), SPREAD_WEIGHTS)
        if spread and files.source_lines >= SPREAD_MIN_LINES and kind is not T.STYLE:
            areas = ", ".join(files.source_areas[:3])
            decision.signal("source_spread", spread, count=len(files.source_areas), areas=areas)
        core_enough = files.core_lines >= min(CORE_MIN_LINES, files.source_lines)
        if files.core_path is not None and core_enough and kind in BEHAVIOUR_TYPES - {T.REFACTOR}:
            decision.signal("core_path", CORE_PATH_WEIGHT, path=files.core_path)
    elif files.count and kind in BEHAVIOUR_TYPES - {T.SECURITY, T.REVERT} and files.composition not in OVERRULING:
        decision.signal("no_source_changes", NO_SOURCE_WEIGHT, files=files.count)
    if files.api_path is not None and kind not in (T.DOCS, T.TEST, T.CI, T.STYLE, T.DEPS, T.REFACTOR):
        decision.signal("api_file", API_FILE_WEIGHT, path=files.api_path)
    if other := _bucket(files.other_lines, OTHER_LINE_WEIGHTS):
        decision.signal("large_change", other, lines=files.other_lines, files=files.other_files)
    _cap_file_bonus(decision, _bucket(files.source_lines, FILE_BONUS_CAPS))


# "Move X into its own module", "Rename helpers", "Split foo.rs into ...": code changes place, not behaviour.
_MOVE_RE = re.compile(r"^\W*(?:mov(?:e[sd]?|ing)|renam(?:e[sd]?|ing)|split(?:s|ting)?|extract\w*)\b", re.IGNORECASE)


def _pure_move(ctx: _Context) -> bool:
    """A move, rename, split or extraction whose code lands in new files (or renamed ones)."""
    if (move := _MOVE_RE.match(ctx.words)) is None:
        return False
    renamed = move.group(0).lower().lstrip(" \t([").startswith("renam")
    return renamed or any(change.status in ("A", "R") for change in ctx.commit.files)


def _cap_file_bonus(decision: _Decision, cap: int) -> None:
    """Cut the size, spread, core-path and API-file weights down to ``cap`` together."""
    bonus = [reason for reason in decision.signals if reason.key in _FILE_BONUS_KEYS and reason.weight > 0]
    excess = sum(reason.weight for reason in bonus) - cap
    if excess <= 0:
        return
    for index, reason in enumerate(decision.signals):
        if excess > 0 and reason in bonus:
            cut = min(excess, reason.weight)
            decision.signals[index] = Reason(reason.key, reason.args, reason.weight - cut)
            excess -= cut


_STEPS = (
    _history_step,
    _security_step,
    _dependency_step,
    _title_step,
    _label_step,
    _word_step,
    _interface_step,
    _signals_step,
    _files_step,
    _breaking_step,
    _wording_step,
    _size_step,
)


def triage(commit: Commit, labels: Sequence[str] = (), *, project: str = "", pull_body: str = "") -> Triage:
    """Classify one commit: change type, importance, score, reasons, file categories, top dirs and signals.

    ``labels`` are the pull request's labels and ``pull_body`` its text, when known; ``project`` is the
    repository's name ("astral-sh/ruff" or "ruff"), whose words never type a commit. The importance is
    the score's level raised to the floor the hard signals set (``Triage.floor``). Pure and deterministic.
    """
    from commitwatch.signals import extract  # signals read file categories from this package

    files = summarise_files(commit.files)
    bot, dependency_bot = bot_kind(commit.author.name, commit.author.email)
    ctx = _Context(
        commit=commit,
        title=parse_title(commit.subject),
        files=files,
        labels=[label_key(label) for label in labels if label.strip()],
        bot=bot,
        dependency_bot=dependency_bot,
        project=project_name(project),
        project_is_tool=project_name(project) in TOOL_NAMES,
        body=_UNCHECKED_RE.sub("", commit.body[:20000]),
        signals=extract(commit, pull_body),
    )
    ctx.retitle(ctx.title)
    if bot:
        ctx.decision.signal("bot_author", 0, author=commit.author.name or commit.author.email)
    for step in _STEPS:
        step(ctx)
    reasons = ctx.decision.reasons()
    score = max(0, min(100, BASE_SCORE + sum(reason.weight for reason in reasons)))
    importance = importance_for(score)
    floor, floor_reason = ctx.floor if ctx.floor is not None else (None, None)
    if floor is not None and floor.rank < importance.rank:
        importance = floor
    return Triage(
        change_type=ctx.decision.change_type or T.OTHER,
        importance=importance,
        score=score,
        reasons=reasons,
        categories=files.categories,
        top_dirs=dir_stats(commit.files, files.categories, files.areas, TOP_DIRS_LIMIT),
        breaking=ctx.decision.breaking is not None,
        bot=bot,
        signals=ctx.signals,
        floor=floor,
        floor_reason=floor_reason,
    )
