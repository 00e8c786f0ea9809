"""The rules analyzer: the report entry from triage alone, and the rules' daily overview.

It runs when no LLM is configured (``analyzer="rules"``), for bot commits, and as the fallback when an
LLM analysis fails (``analyzer="rules-fallback"`` with the reason).
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import i18n
from ..models import Commit, CommitEntry, Importance, Triage
from .messages import message

MIN_HIGHLIGHTS = 3
MAX_HIGHLIGHTS = 5
SUBJECT_CHARS = 72


def rules_entry(commit: Commit, triage: Triage, *, fallback_reason: str | None = None) -> CommitEntry:
    """A report entry from triage: the rules' type and importance, no model analysis."""
    return CommitEntry(
        commit=commit,
        triage=triage,
        change_type=triage.change_type,
        importance=triage.importance,
        analyzer="rules-fallback" if fallback_reason is not None else "rules",
        fallback_reason=fallback_reason,
        analysis=None,
    )


def _short_subject(subject: str) -> str:
    subject = " ".join(subject.split())
    return subject if len(subject) <= SUBJECT_CHARS else subject[: SUBJECT_CHARS - 1] + "…"


def rules_highlights(entries: Sequence[CommitEntry], language: str) -> list[str]:
    """The 3–5 entries that matter most by importance then triage score, each with its main reason.

    Fewer than three only when the report has fewer commits; low-importance commits are named only to
    reach three.
    """
    ranked = sorted(
        range(len(entries)),
        key=lambda i: (entries[i].importance.rank, -entries[i].triage.score, i),
    )
    notable = sum(1 for e in entries if e.importance is not Importance.LOW)
    count = min(len(entries), max(MIN_HIGHLIGHTS, min(MAX_HIGHLIGHTS, notable)))
    lines = []
    for i in ranked[:count]:
        entry = entries[i]
        params = {
            "sha": entry.commit.short_sha,
            "subject": _short_subject(entry.commit.subject),
            "change_type": i18n.label(language, f"change_type.{entry.change_type.value}"),
            "importance": i18n.label(language, f"importance.{entry.importance.value}"),
        }
        reasons = [r for r in entry.triage.reasons if r.weight > 0] or list(entry.triage.reasons)
        if reasons:
            top = max(reasons, key=lambda r: r.weight)
            lines.append(message(language, "highlight.rules", reason=i18n.format_reason(language, top), **params))
        else:
            lines.append(message(language, "highlight.rules_no_reason", **params))
    return lines
