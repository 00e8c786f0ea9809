"""The steps that settle the change type from the title, the labels, the interface words, the diff's
signals and the files, with the last resort before `other`.
"""

from __future__ import annotations

import re

from commitwatch.models import ChangeType, FileCategory, Importance
from commitwatch.triage.decision import (
    CODE_TYPES,
    COMPOSITION_PENALTY,
    CORE_DEPENDENCY_WEIGHT,
    DEFAULT_CHANGE_SCOPED_WEIGHT,
    DEFAULT_CHANGE_WEIGHT,
    LABEL_LOWER_WEIGHT,
    LABEL_RAISE_WEIGHT,
    MAJOR_BUMP_WEIGHT,
    SCOPED_DEFAULT_RE,
    ZERO_MINOR_BUMP_WEIGHT,
    Context,
    cite,
    raise_floor,
)
from commitwatch.triage.files import OVERRULING
from commitwatch.triage.titles import (
    BREAKING_LABELS,
    CORE_DEPENDENCIES,
    DEFAULT_CHANGE_RE,
    DOCUMENT_RE,
    INTERFACE_BREAKING_RE,
    INTERFACE_CHANGE_RE,
    LABEL_TYPES,
    LEADING_FORMAT_RE,
    LOWERING_LABELS,
    OBJECT_RE,
    PERF_PHRASE_RE,
    RAISING_LABELS,
    RELEASE_RE,
    SEVERE_RE,
    STYLE_RE,
    TAG_DEFAULT_TYPES,
    TAG_RULES,
    TOOL_NAMES,
    TOOLCHAINS,
    WORD_RE,
    dependency_named,
    evident_dependency,
    is_major_bump,
    normalise_tag,
    tag_type,
)

T = ChangeType

_UPDATE_RE = re.compile(r"^\W*(?:updat|bump|upgrad|sync|pull|advanc|roll)\w*\b", re.IGNORECASE)


def _submodule_pointer(ctx: Context) -> str | None:
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
        squashed = re.sub(r"[\W_]+", "", name.lower())  # "Bump cuDNN frontend" for 3rdparty/cudnn-frontend
        if len(squashed) < 4 or squashed not in re.sub(r"[\W_]+", "", ctx.title.text.lower()):
            return None
    return change.path


# Manifests that only the project's developers install: test, lint, docs and CI requirements.
_DEV_MANIFEST_RE = re.compile(
    r"(?:^|[/_.-])(?:test|tests|testing|dev|develop|lint|docs?|ci|bench\w*)(?:[/_.-]|$)", re.I
)


def _dev_only(ctx: Context) -> bool:
    """Every manifest the commit changes is a developers' one (``requirements/test-ci.txt``,
    ``requirements-dev.txt``, ``docs/requirements.txt``)."""
    manifests = [
        change.path
        for change, category in zip(ctx.commit.files, ctx.files.categories, strict=False)
        if category in (FileCategory.BUILD, FileCategory.CONFIG, FileCategory.LOCKFILE)
    ]
    return bool(manifests) and all(_DEV_MANIFEST_RE.search(path) for path in manifests)


_TOOLCHAIN_FILE_RE = re.compile(
    r"(?:^|/)(?:rust-toolchain(?:\.toml)?|\.nvmrc|\.node-version|\.python-version|\.go-version|\.tool-versions|"
    r"gradle-wrapper\.properties)$"
)
# Words that leave a bump's name to its scope ("meson: bump the minimum required version to 0.62").
_GENERIC_NAME_WORDS = frozenset({"minimum", "min", "required", "supported", "version"})


def _toolchain_file(ctx: Context) -> str | None:
    return next((c.path for c in ctx.commit.files if _TOOLCHAIN_FILE_RE.search(c.path)), None)


def _toolchain_named(name: str, scope: str) -> bool:
    """Whether a bump's name ("Go", "minimum Go", "Gradle wrapper", "CUDA base image") or, for a generic
    name, its scope is a toolchain or a build image."""
    words = set(name.lower().split())
    if name.lower().endswith((" image", " images")):  # "pin the CUDA base image to 12.9.1": a build input
        return True
    if words <= _GENERIC_NAME_WORDS:
        words = {scope.lower()}
    return name.lower() in TOOLCHAINS or bool(words & TOOLCHAINS)


def dependency_step(ctx: Context) -> None:
    files, decision = ctx.files, ctx.decision
    text = ctx.title.text.strip()
    if release := RELEASE_RE.match(ctx.words) or RELEASE_RE.match(text):
        decision.decide(T.CHORE, "release_bump", version=next((v for v in release.groups() if v), "?"))
        return
    scope_deps = ctx.scope_type is T.DEPS
    if ctx.title.conventional in (T.CI, T.DOCS, T.TEST) and not scope_deps:
        return  # "ci: bump golangci-lint to v2": the author says what kind of change it is
    if _UPDATE_RE.match(text) and (toolchain := _toolchain_file(ctx)) is not None:
        decision.decide(T.BUILD, "dependency_bump", name=toolchain)  # rust-toolchain.toml, gradle-wrapper ...
        return
    if (evident := evident_dependency(text, ctx.title.scope)) is not None:
        decision.decide(T.DEPS, "dependency_bump", name=evident[0])  # "Roll Flutter Engine from a to b"
        return
    named = dependency_named(text)
    pointer = _submodule_pointer(ctx)
    if not (named and named[2]) and pointer is not None:
        decision.decide(T.DEPS, "submodule_bump", path=pointer)  # "Update cargo": src/tools/cargo +1 -1
        return
    if named and ctx.project and named[0].lower() in (ctx.project, f"{ctx.project}-cli", f"py-{ctx.project}"):
        decision.decide(T.CHORE, "release_bump", version=named[2] or "?")  # "Bump uv to 0.5.0" in uv
        return
    # Manifests, lockfiles, vendored trees and CI workflows (which pin actions and tools) hold versions.
    evidence = files.manifest_lines > 0 or files.has_lockfile or files.has_vendored or files.has_ci
    built = files.composition is T.BUILD and bool(named) and ctx.title.conventional is None  # "Upgrade to Spring 6.2"
    evidence = evidence or not files.count or pointer is not None or built
    if named and _toolchain_named(named[0], ctx.title.scope):
        decision.decide(T.BUILD, "dependency_bump", name=named[0])  # "Update the Go version to 1.24"
        return
    if named and (evidence or ctx.dependency_bot or scope_deps):
        name, old, new = named
        decision.decide(T.DEPS, "dependency_bump", name=name)
        if old and new and is_major_bump(old, new):
            zero = old.lstrip("v").startswith("0.") and new.lstrip("v").startswith("0.")
            weight = ZERO_MINOR_BUMP_WEIGHT if zero else MAJOR_BUMP_WEIGHT
            if _dev_only(ctx):
                weight = 0  # "Bump pytest-cov from 5 to 6" in requirements/test.txt: no user sees it
            decision.signal("major_version_bump", weight, name=name, old=old, new=new)
        if name.lower().rsplit("/", 1)[-1] in CORE_DEPENDENCIES:
            decision.signal("core_dependency", CORE_DEPENDENCY_WEIGHT, name=name)
    elif files.only_dependency_files and (files.has_lockfile or ctx.dependency_bot or scope_deps):
        decision.decide(T.DEPS, "only_dependency_files", files=files.count)


def title_step(ctx: Context) -> None:
    title, decision = ctx.title, ctx.decision
    if title.conventional is not None:
        scope_type = ctx.scope_type
        if scope_type is not None and title.conventional not in (T.SECURITY, T.REVERT):
            decision.decide(scope_type, "scope_type", scope=title.scope, type=scope_type.value)
            decision.explained.append(cite("conventional_type", 0, prefix=title.prefix, type=title.conventional.value))
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


def label_step(ctx: Context) -> None:
    decision = ctx.decision
    for full, short in ctx.labels:
        kind = LABEL_TYPES.get(full) or LABEL_TYPES.get(short)
        if kind is not None and kind is not T.SECURITY:  # security labels are read by security_step
            decision.decide(kind, "pr_label", label=full, type=kind.value)
        if full in BREAKING_LABELS or short in BREAKING_LABELS:
            decision.mark_breaking(f"label {full}")
        elif full in RAISING_LABELS or short in RAISING_LABELS:
            decision.signal("label_raises", LABEL_RAISE_WEIGHT, label=full)
        elif full in LOWERING_LABELS or short in LOWERING_LABELS:
            decision.signal("label_lowers", LABEL_LOWER_WEIGHT, label=full)


# Docs that live in source files: comments, docstrings and API doc comments.
_IN_CODE_DOCS_RE = re.compile(r"comment|docstring|javadoc|jsdoc|rustdoc|godoc|doxygen", re.IGNORECASE)


def _object_fits(ctx: Context, kind: ChangeType, noun: str) -> bool:
    """Whether the files allow the type the title's object names: docs with no source changed (or only
    stubs, or only comments), tests with no source changed; comments and type annotations always."""
    files = ctx.files
    if kind in (T.CHORE, T.REFACTOR) or (kind is T.DOCS and _IN_CODE_DOCS_RE.search(noun)):
        return True
    if kind is T.DOCS:
        return not files.source_files or files.stub_only or files.comment_only
    return not files.source_files


def _style_match(ctx: Context) -> re.Match[str] | None:
    """A lint or format word or tool in the title, unless it is the project's own product."""
    if ctx.project_is_tool:  # in a linter, "lint" and "format" are what the project makes
        tools = (m for m in STYLE_RE.finditer(ctx.words) if m.group(0).lower() in TOOL_NAMES)
        return LEADING_FORMAT_RE.match(ctx.words) or next((m for m in tools if m.group(0).lower() != ctx.project), None)
    return STYLE_RE.search(ctx.words) or LEADING_FORMAT_RE.match(ctx.words)


def word_step(ctx: Context) -> None:
    decision, text = ctx.decision, ctx.words
    word = WORD_RE.search(text)
    style = _style_match(ctx)
    # "fix lint", "Fix 1.95.0 Clippy", "run ruff", "chore: fix clippy lints": the style noun says more
    # than the verb (or a chore/fix/refactor prefix); "Add a lint" does not
    styled = style is not None and (
        word is None or word.lastgroup not in ("FEATURE", "PERF") or style.start() < word.start()
    )
    # "fix: --fix with gofmt corrupts files": a real bug in how the tool is run, not a style fix
    styled = styled and SEVERE_RE.search(text) is None
    # "[pre-commit.ci] auto fixes from ... hooks": the bot's tag says CI, its source edits are style
    kinds = (T.CHORE, T.FIX, T.REFACTOR, T.CI) if ctx.files.source_files else (T.CHORE, T.FIX, T.REFACTOR)
    if decision.change_type in kinds and styled and decision.deciding is not None:
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


# "Remove ZooKeeper mode", "Remove legacy DataFrame implementation", "chore: remove page.accessibility":
# a removal whose object is a part of the product users reach (a backend, a mode, an API, a dotted or
# quoted name, something deprecated), not the code's own insides ("Remove unused helpers").
_REMOVAL_RE = re.compile(
    r"^\W*(?:remov(?:e[sd]?|ing)|drop(?:s|ped|ping)?|delet(?:e[sd]?|ing))\s+(?P<object>.+?)"
    r"(?:\s+(?:from|in|inside|within|on|for|since|because|when|if|after|as|now|that)\b.*)?$",
    re.IGNORECASE,
)
_INTERNAL_OBJECT_RE = re.compile(
    r"\b(?:unused|dead|redundant|unnecessary|unneeded|duplicat\w*|leftover|stale|debug\w*|temporary|temp|"
    r"workarounds?|hacks?|todos?|fixmes?|comments?|tests?|imports?|prints?|logs?|logging|dependenc\w+|deps?|"
    r"files?|internal|private|helpers?|code|asserts?|assertions?|lines?|whitespace|typos?|warnings?|"
    r"examples?|docs?|ci|jobs?|workflows?|scripts?|benchmarks?)\b",
    re.IGNORECASE,
)
_PRODUCT_OBJECT_RE = re.compile(
    r"\b(?:deprecated|legacy|backends?|modes?|implementations?|macros?|features?|integrations?|subsystems?|"
    r"plugins?|drivers?|engines?|formats?|providers?|extensions?|apis?|options?|flags?|settings?|"
    r"endpoints?|routes?|commands?|subcommands?|arguments?|parameters?|methods?|functions?|classes)\b"
    r"|`[^`]+`|(?<![\w/.-])[a-z_]\w*(?:\.[a-z_]\w*)+(?![\w/-])|(?<![\w-])--?[a-z][\w-]+|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b",
)


_REMOVAL_MIN_LINES = 10  # net source lines a removal takes away (a retired one-line flag guard is a chore)


def _removes_product(ctx: Context) -> str | None:
    """The object of a removal of something users reach, when the commit's source shrinks."""
    match = _REMOVAL_RE.match(ctx.title.text)
    if match is None:
        return None
    named = match.group("object")
    if _INTERNAL_OBJECT_RE.search(named) or not _PRODUCT_OBJECT_RE.search(named):
        return None
    added = deleted = 0
    for change, category in zip(ctx.commit.files, ctx.files.categories, strict=False):
        if category is FileCategory.SOURCE:
            added, deleted = added + change.additions, deleted + change.deletions
    return named if deleted - added >= _REMOVAL_MIN_LINES else None


def interface_step(ctx: Context) -> None:
    decision, text = ctx.decision, ctx.title.text
    if decision.change_type in (T.REVERT, T.MERGE, T.DEPS, T.SECURITY):
        return
    breaking = INTERFACE_BREAKING_RE.search(text)
    change = breaking or INTERFACE_CHANGE_RE.search(text)
    if change is None and (removed := _removes_product(ctx)) is not None:
        shown = " ".join(f"{text[: text.find(removed)]}{removed}".split())[:80]
        if decision.change_type is None:
            decision.decide(T.FEATURE, "interface_change", change=shown, type=T.FEATURE.value)
        elif decision.change_type in _NOT_INTERFACE_TYPES:
            decision.overrule(T.FEATURE, "interface_change", change=shown, type=T.FEATURE.value)
        decision.mark_breaking(shown)
        return
    if change is None:
        return
    shown = " ".join(change.group(0).split())[:80]
    # "fix(help)!: Wrap help at the terminal width by default": the author marks the new default breaking
    bang_default = decision.change_type is T.FIX and ctx.title.bang and DEFAULT_CHANGE_RE.search(text) is not None
    if decision.change_type is None:
        decision.decide(T.FEATURE, "interface_change", change=shown, type=T.FEATURE.value)
    elif decision.change_type in _NOT_INTERFACE_TYPES or bang_default:
        decision.overrule(T.FEATURE, "interface_change", change=shown, type=T.FEATURE.value)
    if breaking is not None:
        decision.mark_breaking(shown)
    elif default := DEFAULT_CHANGE_RE.search(text):
        weight = DEFAULT_CHANGE_SCOPED_WEIGHT if SCOPED_DEFAULT_RE.search(text) else DEFAULT_CHANGE_WEIGHT
        decision.signal("default_change", weight, change=" ".join(default.group(0).split())[:80])


def signals_step(ctx: Context) -> None:
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
            reason = cite("interface_removed", 0, kind=first.kind, name=first.name)
        elif first.change == "renamed":
            reason = cite("interface_renamed", 0, kind=first.kind, name=first.name, new_name=first.new_name or "")
        else:
            reason = cite("interface_default", 0, kind=first.kind, name=first.name, old=first.old_default or "",
                        new=first.new_default or "")  # fmt: skip
        decision.signals.append(reason)
        shown = f"{first.name} {first.change.replace('_', ' ')}"
        if decision.change_type is None:
            decision.decide(T.FEATURE, "interface_change", change=shown, type=T.FEATURE.value)
        elif decision.change_type in _NOT_INTERFACE_TYPES:
            decision.overrule(T.FEATURE, "interface_change", change=shown, type=T.FEATURE.value)
        if gone:
            decision.mark_breaking(shown)
            raise_floor(ctx, Importance.HIGH, reason)
        else:
            if not any(r.key == "default_change" for r in decision.signals):
                decision.signal("default_change", DEFAULT_CHANGE_WEIGHT, change=shown)
            raise_floor(ctx, Importance.MEDIUM, reason)
    if signals.advisories:
        reason = cite("advisory", 0, id=", ".join(signals.advisories[:3]))
        decision.signals.append(reason)
        raise_floor(ctx, Importance.MEDIUM, reason)
    if signals.performance:
        claim = signals.performance[0]
        decision.signals.append(cite("performance_claim", 0, metric=claim.metric, delta=claim.delta))
        weak = decision.deciding is None or decision.deciding.key in ("title_word", "no_type_signal")
        if decision.change_type in (None, T.OTHER, T.REFACTOR) and weak:
            if decision.change_type is None:
                decision.decide(T.PERF, "performance_claim", metric=claim.metric, delta=claim.delta)
            else:
                decision.overrule(T.PERF, "performance_claim", metric=claim.metric, delta=claim.delta)


def files_step(ctx: Context) -> None:
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
            decision.explained.append(cite(key, 0, files=files.count))
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
            decision.explained.append(cite(key, 0, files=files.count))
    if decision.change_type is None:
        _last_resort(ctx)
    if decision.change_type is None:
        decision.decide(T.OTHER, "no_type_signal")


_MIGRATION_RE = re.compile(r"^\W*(?:#+\s*)?migration(?: guide| notes?)?\W*$", re.IGNORECASE | re.MULTILINE)
_BODY_BUG_RE = re.compile(
    r"\b(?:fix(?:e[sd])?|bug|regression|broke(?:n)?|incorrect(?:ly)?|wrong(?:ly)?|crash\w*|fails?|failed|failing)\b",
    re.IGNORECASE,
)


# "Fixes: #12000", "Fixes #88", "Fixed https://github.com/o/r/issues/9" on a line of its own: the change
# closes a bug report.
_FIXES_TRAILER_RE = re.compile(r"^\s*fix(?:e[sd])?:?\s+(?:#\d+|https?://\S+/issues/\d+)", re.IGNORECASE | re.MULTILINE)


def _last_resort(ctx: Context) -> None:
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
    elif files.source_files and (closes := _FIXES_TRAILER_RE.search(ctx.body)):
        decision.decide(T.FIX, "severe_untyped", word=closes.group(0))  # "Fixes: #12000": it closes a bug report
