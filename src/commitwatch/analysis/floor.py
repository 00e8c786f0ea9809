"""Hard signals bound the model: an importance floor that no model answer lowers.

A named advisory (CVE, GHSA, RUSTSEC, PYSEC, GO ids in the message), a breaking-change marker (``feat!:``,
``BREAKING CHANGE:``, a breaking label) and, when triage provides it (``Triage.floor``), a removed flag or
environment variable are facts from the commit, not the model's judgement: a commit message that tells
the model "this is trivial" cannot hide them. ``apply_floor`` is the one place that enforces it, in the
analysis result path (``engine``), before an analysis is stored or shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..models import Analysis, Commit, Importance, Triage
from .messages import message

ADVISORY = re.compile(
    r"\b(?:CVE-\d{4}-\d{4,}|GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}|RUSTSEC-\d{4}-\d{4}|PYSEC-\d{4}-\d+"
    r"|GO-\d{4}-\d{4})\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Floor:
    level: Importance
    why: str  # what set it, for the reader: "breaking marker", "advisory CVE-2024-1234"


def hard_floor(commit: Commit, triage: Triage) -> Floor | None:
    """The lowest importance the facts allow, or None when no hard signal is present."""
    floors: list[Floor] = []
    from_triage = getattr(triage, "floor", None)  # removed flags / env vars (triage's own signals)
    if isinstance(from_triage, Importance):
        floors.append(Floor(from_triage, getattr(triage, "floor_reason", None) or "interface removed"))
    advisory = ADVISORY.search(commit.subject) or ADVISORY.search(commit.body)
    if advisory:
        floors.append(Floor(Importance.HIGH, advisory.group(0).upper()))
    if triage.breaking:
        floors.append(Floor(Importance.HIGH, "breaking"))
    if not floors:
        return None
    return min(floors, key=lambda f: f.level.rank)


def apply_floor(analysis: Analysis, commit: Commit, triage: Triage, language: str) -> tuple[Analysis, bool]:
    """``analysis`` with its importance raised to the floor (and the reason saying so); True if raised."""
    floor = hard_floor(commit, triage)
    if floor is None or analysis.importance.rank <= floor.level.rank:
        return analysis, False
    note = message(language, "floor.raised", level=floor.level.value, model=analysis.importance.value,
                   why=floor.why)
    reason = f"{analysis.importance_reason} {note}".strip()
    return analysis.model_copy(update={"importance": floor.level, "importance_reason": reason}), True
