"""The decision: the steps that read a commit's title, labels and files, the change type they settle on,
and the score (with its reasons) that gives the importance. See the package docstring for the scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from commitwatch.models import ChangeType, Commit, Importance, Reason, Triage
from commitwatch.triage.files import OVERRULING, TOP_DIRS_LIMIT, FileSummary, dir_stats, summarise_files
from commitwatch.triage.titles import (
    BODY_REVERT_RE,
    BREAKING_CHECKBOX_RE,
    BREAKING_FOOTER_RE,
    BREAKING_LABELS,
    BREAKING_TITLE_RE,
    CORE_DEPENDENCIES,
    LABEL_TYPES,
    LOWERING_LABELS,
    RAISING_LABELS,
    RELEASE_RE,
    SCOPE_TYPES,
    SECURITY_ID_RE,
    SECURITY_RE,
    SEVERE_RE,
    STYLE_WORD_RE,
    TAG_DEFAULT_TYPES,
    TAG_RULES,
    TRIVIAL_RE,
    WORD_RE,
    Title,
    bot_kind,
    dependency_named,
    is_major_bump,
    label_key,
    normalise_tag,
    parse_title,
    tag_type,
)

T = ChangeType

BASE_SCORE = 30
HIGH_THRESHOLD = 60
MEDIUM_THRESHOLD = 35


# Every reason key triage emits, with the names of its args (the locale catalogs must match).
REASON_KEYS: dict[str, tuple[str, ...]] = {
    # what decided the type
    "merge_commit": ("parents",),
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
    "only_docs": ("files",),
    "only_tests": ("files",),
    "only_ci": ("files",),
    "only_build": ("files",),
    "only_config": ("files",),
    "only_generated": ("files",),
    "no_type_signal": (),
    "no_files": (),
    # signals from the title, body, labels and author
    "tag_raises": ("tag",),
    "tag_lowers": ("tag",),
    "label_raises": ("label",),
    "label_lowers": ("label",),
    "breaking": ("marker",),
    "severe_bug": ("word",),
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
    T.PERF: 10,
    T.REFACTOR: 2,
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
SEVERE_BUG_WEIGHT = 14
TRIVIAL_WORD_WEIGHT = -8
NO_SOURCE_WEIGHT = -3
SECURITY_IN_DOCS_WEIGHT = 8
MAJOR_BUMP_WEIGHT = 14
CORE_DEPENDENCY_WEIGHT = 16
DEPENDENCY_WITH_CODE_WEIGHT = 10
MANY_DEPENDENCIES_WEIGHT = 8
MANY_DEPENDENCIES_LINES = 40
RELAND_WEIGHT = 4
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
    decision: _Decision = field(default_factory=_Decision)

    @property
    def scope_type(self) -> ChangeType | None:
        return SCOPE_TYPES.get(self.title.scope.lower()) if self.title.scope else None


# Each step reads the context and records type decisions and signals.


def _history_step(ctx: _Context) -> None:
    commit, title, decision = ctx.commit, ctx.title, ctx.decision
    if commit.is_merge:
        decision.decide(T.MERGE, "merge_commit", parents=len(commit.parents))
    reverted = (
        title.reverted is not None
        or title.conventional is T.REVERT
        or tag_type(title.tags)[0] is T.REVERT
        or bool(BODY_REVERT_RE.search(commit.body[:20000]))
    )
    if reverted:
        decision.decide(T.REVERT, "revert", reverted=(title.reverted or title.text)[:100])
    if title.relanded is not None:
        decision.signal("reland", RELAND_WEIGHT, original=title.relanded[:100])


def _security_step(ctx: _Context) -> None:
    match = SECURITY_RE.search(ctx.commit.subject) or SECURITY_ID_RE.search(ctx.commit.body[:20000])
    word = match.group(0) if match else next((full for full, short in ctx.labels if short == "security"), None)
    if word is None:
        return
    if ctx.files.composition is T.DOCS:  # a security policy or advisory page: still docs
        ctx.decision.signal("security_word", SECURITY_IN_DOCS_WEIGHT, word=word)
    else:
        ctx.decision.decide(T.SECURITY, "security_word", word=word)


def _dependency_step(ctx: _Context) -> None:
    files, decision = ctx.files, ctx.decision
    if release := RELEASE_RE.match(ctx.title.text.strip()):
        decision.decide(T.CHORE, "release_bump", version=next((v for v in release.groups() if v), "?"))
        return
    scope_deps = ctx.scope_type is T.DEPS
    named = dependency_named(ctx.title.text)
    # Manifests, lockfiles, vendored trees and CI workflows (which pin actions and tools) hold versions.
    evidence = files.manifest_lines > 0 or files.has_lockfile or files.has_vendored or files.has_ci
    evidence = evidence or not files.count
    if named and (evidence or ctx.dependency_bot or scope_deps):
        name, old, new = named
        decision.decide(T.DEPS, "dependency_bump", name=name)
        if old and new and is_major_bump(old, new):
            decision.signal("major_version_bump", MAJOR_BUMP_WEIGHT, name=name, old=old, new=new)
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
        if title.bang:
            decision.mark_breaking(f"{title.prefix}:")
    kind, tag = tag_type(title.tags)
    if kind is not None:
        decision.decide(kind, "bracket_tags", tags=f"[{tag}]", type=kind.value)
    marks = [(tag, f"[{tag}]") for tag in title.tags]
    if title.scope:  # "feat(kernel):" weighs like "[Kernel]"
        marks.append((title.scope, f"({title.scope})"))
    for raw, shown in marks:
        rule = TAG_RULES.get(normalise_tag(raw))
        if rule is None:
            continue
        if rule.weight and decision.change_type is not T.REVERT:  # a revert's tags are the original's
            decision.signal("tag_raises" if rule.weight > 0 else "tag_lowers", rule.weight, tag=shown)
        if rule.breaking:
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


def _word_step(ctx: _Context) -> None:
    decision = ctx.decision
    word = STYLE_WORD_RE.search(ctx.title.text) or WORD_RE.search(ctx.title.text)
    if word and word.lastgroup:
        kind = ChangeType[word.lastgroup]
        decision.decide(kind, "title_word", word=word.group(0), type=kind.value)
    for tag in ctx.title.tags:  # "[Misc] ..." with no verb we know
        if (default := TAG_DEFAULT_TYPES.get(normalise_tag(tag))) is not None:
            decision.decide(default, "bracket_tags", tags=f"[{tag}]", type=default.value)
            break


def _files_step(ctx: _Context) -> None:
    files, decision = ctx.files, ctx.decision
    if not files.count:
        decision.signal("no_files", 0)
    kind, key = files.composition, files.composition_key
    if kind is not None and key is not None:
        current = decision.change_type
        if current is None:
            decision.decide(kind, key, files=files.count)
        elif kind in OVERRULING and current in CODE_TYPES and current is not kind:
            decision.overrule(kind, key, files=files.count)
        elif kind in OVERRULING and current is not kind:  # a revert or a bump of docs only: weighs less
            decision.signal(key, COMPOSITION_PENALTY[kind], files=files.count)
        else:
            decision.explained.append(_r(key, 0, files=files.count))
    if decision.change_type is None:
        decision.decide(T.OTHER, "no_type_signal")


def _breaking_step(ctx: _Context) -> None:
    decision, body = ctx.decision, ctx.commit.body[:20000]
    if match := BREAKING_TITLE_RE.search(ctx.commit.subject):
        decision.mark_breaking(match.group(0))
    if match := BREAKING_FOOTER_RE.search(body):
        decision.mark_breaking(match.group(0).split(":")[0].strip() + ":")
    if BREAKING_CHECKBOX_RE.search(body):
        decision.mark_breaking("[x] Breaking change")
    if decision.breaking is not None:
        decision.signal("breaking", BREAKING_WEIGHT, marker=decision.breaking)


def _wording_step(ctx: _Context) -> None:
    decision, kind = ctx.decision, ctx.decision.change_type
    if kind in BEHAVIOUR_TYPES and kind is not T.SECURITY and (severe := SEVERE_RE.search(ctx.title.text)):
        decision.signal("severe_bug", SEVERE_BUG_WEIGHT, word=severe.group(0))
    if kind in CODE_TYPES and (trivial := TRIVIAL_RE.search(ctx.title.text)):
        decision.signal("trivial_word", TRIVIAL_WORD_WEIGHT, word=trivial.group(0))


def _size_step(ctx: _Context) -> None:
    files, decision, kind = ctx.files, ctx.decision, ctx.decision.change_type
    if kind is T.DEPS:
        if files.source_files:
            decision.signal("dependency_with_code", DEPENDENCY_WITH_CODE_WEIGHT, files=files.source_files)
        if files.manifest_lines >= MANY_DEPENDENCIES_LINES:
            decision.signal("many_dependencies", MANY_DEPENDENCIES_WEIGHT, lines=files.manifest_lines)
    if files.source_files:
        weight = _bucket(files.source_lines, SOURCE_LINE_WEIGHTS)
        decision.signal("source_lines", weight, lines=files.source_lines, files=files.source_files)
        spread = _bucket(len(files.source_areas), SPREAD_WEIGHTS)
        if spread and files.source_lines >= SPREAD_MIN_LINES:
            areas = ", ".join(files.source_areas[:3])
            decision.signal("source_spread", spread, count=len(files.source_areas), areas=areas)
        core_enough = files.core_lines >= min(CORE_MIN_LINES, files.source_lines)
        if files.core_path is not None and core_enough and kind in BEHAVIOUR_TYPES:
            decision.signal("core_path", CORE_PATH_WEIGHT, path=files.core_path)
    elif files.count and kind in BEHAVIOUR_TYPES - {T.SECURITY, T.REVERT} and files.composition not in OVERRULING:
        decision.signal("no_source_changes", NO_SOURCE_WEIGHT, files=files.count)
    if files.api_path is not None and kind not in (T.DOCS, T.TEST, T.CI, T.STYLE, T.DEPS):
        decision.signal("api_file", API_FILE_WEIGHT, path=files.api_path)
    if other := _bucket(files.other_lines, OTHER_LINE_WEIGHTS):
        decision.signal("large_change", other, lines=files.other_lines, files=files.other_files)


_STEPS = (
    _history_step,
    _security_step,
    _dependency_step,
    _title_step,
    _label_step,
    _word_step,
    _files_step,
    _breaking_step,
    _wording_step,
    _size_step,
)


def triage(commit: Commit, labels: Sequence[str] = ()) -> Triage:
    """Classify one commit: change type, importance, score, reasons, file categories and top dirs.

    ``labels`` are the pull request's labels when known. Pure and deterministic.
    """
    files = summarise_files(commit.files)
    bot, dependency_bot = bot_kind(commit.author.name, commit.author.email)
    ctx = _Context(
        commit=commit,
        title=parse_title(commit.subject),
        files=files,
        labels=[label_key(label) for label in labels if label.strip()],
        bot=bot,
        dependency_bot=dependency_bot,
    )
    if bot:
        ctx.decision.signal("bot_author", 0, author=commit.author.name or commit.author.email)
    for step in _STEPS:
        step(ctx)
    reasons = ctx.decision.reasons()
    score = max(0, min(100, BASE_SCORE + sum(reason.weight for reason in reasons)))
    return Triage(
        change_type=ctx.decision.change_type or T.OTHER,
        importance=importance_for(score),
        score=score,
        reasons=reasons,
        categories=files.categories,
        top_dirs=dir_stats(commit.files, files.categories, files.areas, TOP_DIRS_LIMIT),
        breaking=ctx.decision.breaking is not None,
        bot=bot,
    )
