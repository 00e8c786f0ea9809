"""The steps that weigh a typed commit: breaking markers, severity and trivial words, size, spread, core
paths and API files (capped together).
"""

from __future__ import annotations

import re

from commitwatch.models import ChangeType, Reason
from commitwatch.triage.decision import (
    ADDITIVE_SHARE,
    API_FILE_WEIGHT,
    BEHAVIOUR_TYPES,
    BREAKING_WEIGHT,
    CODE_TYPES,
    CONTAINED_BUG_WEIGHT,
    CORE_MIN_LINES,
    CORE_PATH_WEIGHT,
    DEPENDENCY_WITH_CODE_WEIGHT,
    DOCS_SIZE_CAP,
    FILE_BONUS_CAPS,
    FILE_BONUS_KEYS,
    MANY_DEPENDENCIES_LINES,
    MANY_DEPENDENCIES_WEIGHT,
    MOVE_SIZE_CAP,
    NARROWED_BUG_WEIGHT,
    NO_SOURCE_WEIGHT,
    OTHER_LINE_WEIGHTS,
    REFACTOR_SIZE_CAP,
    SEVERE_BUG_WEIGHT,
    SOFT_BREAKING_WEIGHT,
    SOURCE_LINE_WEIGHTS,
    SPREAD_MIN_LINES,
    SPREAD_WEIGHTS,
    STYLE_SIZE_CAP,
    TRIVIAL_WORD_WEIGHT,
    Context,
    Decision,
    bucket,
)
from commitwatch.triage.files import OVERRULING
from commitwatch.triage.titles import (
    BREAKING_BODY_RE,
    BREAKING_CHECKBOX_RE,
    BREAKING_FOOTER_RE,
    BREAKING_TITLE_RE,
    HARMFUL_BODY_RE,
    HARMFUL_RE,
    INTERFACE_MENTION_RE,
    NARROWING_RE,
    SEVERE_RE,
    SOFT_BREAKING_RE,
    SOFT_DEPRECATED_RE,
    TRIVIAL_RE,
)

T = ChangeType


def breaking_step(ctx: Context) -> None:
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
    worded = decision.deciding is not None and decision.deciding.key == "title_word"
    if decision.breaking is not None and worded and decision.change_type in (T.REFACTOR, T.STYLE, T.CHORE):
        # "Move `Host` extractor to axum-extra" with "This is a breaking change": users must change their
        # code, so it is no refactor (issue 13: an interface change is typed by its effect); a type the
        # author wrote ("refactor!: split the engine") stays
        shown = decision.breaking[:80]
        decision.overrule(T.FEATURE, "interface_change", change=shown, type=T.FEATURE.value)
    if decision.breaking is not None:
        text = ctx.title.text
        deprecated = SOFT_DEPRECATED_RE.search(text)
        named = deprecated is not None and INTERFACE_MENTION_RE.search(text[deprecated.end() :]) is not None
        soft = SOFT_BREAKING_RE.search(text) or (deprecated and not named)
        soft = soft and not BREAKING_BODY_RE.search(body)
        decision.signal("breaking", SOFT_BREAKING_WEIGHT if soft else BREAKING_WEIGHT, marker=decision.breaking)


_OF_RE = re.compile(r"\b(?:of|inside|within|around|between|across)\s+(?:\S+\s+)?$", re.IGNORECASE)


def wording_step(ctx: Context) -> None:
    decision, kind = ctx.decision, ctx.decision.change_type
    trivial = TRIVIAL_RE.search(ctx.words) if kind in CODE_TYPES else None
    if trivial is not None and _OF_RE.search(ctx.words[: trivial.start()]):
        trivial = None  # "Fix unstable formatting of comments": the comments are what the code handles
    severe = SEVERE_RE.search(ctx.words) if kind is T.FIX else None
    if trivial is not None and severe is not None:
        # the leftmost says what the fix is about: "Fix typo in the crash message" is trivial, "Fix crash on
        # ... with trailing comments" is a crash whose trigger is a comment
        trivial, severe = (trivial, None) if trivial.start() < severe.start() else (None, severe)
    # severity words count in a fix's own title only ("Fix deadlock in ...", not "Ignore nans in ...")
    if severe is not None:
        if narrow := NARROWING_RE.search(f"{ctx.title.scope}: {ctx.words}"):  # the scope may name the platform
            decision.signal("narrowed_bug", NARROWED_BUG_WEIGHT, word=severe.group(0), context=narrow.group(0))
        else:
            files = ctx.files
            wide = files.core_path is not None and files.core_lines >= min(CORE_MIN_LINES, files.source_lines)
            harmful = HARMFUL_RE.search(ctx.words)
            weight = SEVERE_BUG_WEIGHT if harmful or wide else CONTAINED_BUG_WEIGHT
            decision.signal("severe_bug", weight, word=(harmful or severe).group(0))
    elif kind is T.FIX and trivial is None and (harm := HARMFUL_BODY_RE.search(_told(ctx.body))):
        # "Fix `to_parquet` dropping partitions" with "read_parquet silently returned fewer rows"
        if narrow := NARROWING_RE.search(f"{ctx.title.scope}: {ctx.words}"):
            decision.signal("narrowed_bug", NARROWED_BUG_WEIGHT, word=harm.group(0), context=narrow.group(0))
        else:
            decision.signal("severe_bug", SEVERE_BUG_WEIGHT, word=harm.group(0))
    if trivial is not None:
        decision.signal("trivial_word", TRIVIAL_WORD_WEIGHT, word=trivial.group(0))


_TEMPLATE_LINE_RE = re.compile(r"^\s*(?:#|<!--|[-*]\s*\[[ xX]\]|\*\*?(?:Test|Checklist)).*$", re.MULTILINE)


def _told(body: str) -> str:
    """The part of a body that tells what went wrong: its first 800 characters, headings and checklists out."""
    return _TEMPLATE_LINE_RE.sub("", body)[:800]


def size_step(ctx: Context) -> None:
    files, decision, kind = ctx.files, ctx.decision, ctx.decision.change_type
    if ctx.sync_merge:  # another branch's work, reported where it was committed
        return
    if kind is T.DEPS:
        if files.source_files:
            decision.signal("dependency_with_code", DEPENDENCY_WITH_CODE_WEIGHT, files=files.source_files)
        if files.manifest_lines >= MANY_DEPENDENCIES_LINES:
            decision.signal("many_dependencies", MANY_DEPENDENCIES_WEIGHT, lines=files.manifest_lines)
    if files.source_files:
        weight = bucket(files.source_lines, SOURCE_LINE_WEIGHTS)
        if kind is T.STYLE:
            weight = min(weight, STYLE_SIZE_CAP)
        elif kind in (T.DOCS, T.TEST):
            weight = min(weight, DOCS_SIZE_CAP)
        elif kind is T.REFACTOR:
            weight = min(weight, MOVE_SIZE_CAP if _pure_move(ctx) else REFACTOR_SIZE_CAP)
        decision.signal("source_lines", weight, lines=files.source_lines, files=files.source_files)
        spread = bucket(len(files.source_areas), SPREAD_WEIGHTS)
        if spread and files.source_lines >= SPREAD_MIN_LINES and kind is not T.STYLE:
            areas = ", ".join(files.source_areas[:3])
            decision.signal("source_spread", spread, count=len(files.source_areas), areas=areas)
        core_enough = files.core_lines >= min(CORE_MIN_LINES, files.source_lines)
        # a core tag or scope ("fix(core):", "[Kernel]") already said the change is on a core path
        tagged = any(reason.key == "tag_raises" and reason.weight >= CORE_PATH_WEIGHT for reason in decision.signals)
        if files.core_path is not None and core_enough and kind in BEHAVIOUR_TYPES - {T.REFACTOR}:
            decision.signal("core_path", 0 if tagged else CORE_PATH_WEIGHT, path=files.core_path)
    elif files.count and kind in BEHAVIOUR_TYPES - {T.SECURITY, T.REVERT} and files.composition not in OVERRULING:
        decision.signal("no_source_changes", NO_SOURCE_WEIGHT, files=files.count)
    if files.api_path is not None and kind not in (T.DOCS, T.TEST, T.CI, T.STYLE, T.DEPS, T.REFACTOR):
        decision.signal("api_file", API_FILE_WEIGHT, path=files.api_path)
    if other := bucket(files.other_lines, OTHER_LINE_WEIGHTS):
        decision.signal("large_change", other, lines=files.other_lines, files=files.other_files)
    cap = bucket(files.source_lines, FILE_BONUS_CAPS)
    if kind is T.FEATURE and files.source_lines and files.new_source_lines >= ADDITIVE_SHARE * files.source_lines:
        cap = min(cap, FILE_BONUS_CAPS[-1][1])
    if _regenerated(ctx):  # "Regenerate CRDs and clientset": a tool's output, however long
        cap = min(cap, STYLE_SIZE_CAP)
    _cap_file_bonus(decision, cap)


_REGENERATE_RE = re.compile(r"^\W*re-?generat", re.IGNORECASE)


def _regenerated(ctx: Context) -> bool:
    """A chore that reruns a generator ("Regenerate CRDs ...", "Regenerate protos")."""
    return ctx.decision.change_type is T.CHORE and _REGENERATE_RE.match(ctx.words) is not None


# "Move X into its own module", "Rename helpers", "Split foo.rs into ...": code changes place, not behaviour.
_MOVE_RE = re.compile(r"^\W*(?:mov(?:e[sd]?|ing)|renam(?:e[sd]?|ing)|split(?:s|ting)?|extract\w*)\b", re.IGNORECASE)


def _pure_move(ctx: Context) -> bool:
    """A move, rename, split or extraction whose code lands in new files (or renamed ones)."""
    if (move := _MOVE_RE.match(ctx.words)) is None:
        return False
    renamed = move.group(0).lower().lstrip(" \t([").startswith("renam")
    return renamed or any(change.status in ("A", "R") for change in ctx.commit.files)


def _cap_file_bonus(decision: Decision, cap: int) -> None:
    """Cut the size, spread, core-path and API-file weights down to ``cap`` together."""
    bonus = [reason for reason in decision.signals if reason.key in FILE_BONUS_KEYS and reason.weight > 0]
    excess = sum(reason.weight for reason in bonus) - cap
    if excess <= 0:
        return
    for index, reason in enumerate(decision.signals):
        if excess > 0 and reason in bonus:
            cut = min(excess, reason.weight)
            decision.signals[index] = Reason(reason.key, reason.args, reason.weight - cut)
            excess -= cut
