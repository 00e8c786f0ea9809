"""The decision: the steps that read a commit's title, labels and files, the change type they settle on,
and the score (with its reasons) that gives the importance. See the package docstring for the scale.

The steps live in ``history`` (merges, syncs, reverts), ``security``, ``kinds`` (title, labels, interface
words, signals, files) and ``weighing`` (breaking markers, wording, size); ``decision`` holds the weights
and the bookkeeping they share. This module runs them in order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from commitwatch.models import Commit, Triage
from commitwatch.triage.decision import (
    BASE_SCORE,
    HIGH_THRESHOLD,
    MEDIUM_THRESHOLD,
    REASON_KEYS,
    Context,
    T,
    importance_for,
)
from commitwatch.triage.files import TOP_DIRS_LIMIT, dir_stats, summarise_files
from commitwatch.triage.history import history_step
from commitwatch.triage.kinds import (
    dependency_step,
    files_step,
    interface_step,
    label_step,
    signals_step,
    title_step,
    word_step,
)
from commitwatch.triage.security import security_step
from commitwatch.triage.titles import TOOL_NAMES, bot_kind, label_key, parse_title, project_name
from commitwatch.triage.weighing import breaking_step, size_step, wording_step

__all__ = ["BASE_SCORE", "HIGH_THRESHOLD", "MEDIUM_THRESHOLD", "REASON_KEYS", "importance_for", "triage"]

_UNCHECKED_RE = re.compile(r"^\s*[-*]\s*\[ \].*$", re.MULTILINE)

_STEPS = (
    history_step,
    security_step,
    dependency_step,
    title_step,
    label_step,
    word_step,
    interface_step,
    signals_step,
    files_step,
    breaking_step,
    wording_step,
    size_step,
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
    ctx = Context(
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
