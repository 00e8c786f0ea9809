"""Hard signals bound the model: an importance floor that no model answer lowers.

The floors come from triage (``Triage.floor``: a removed or renamed flag, environment variable, config
key, symbol or route sets high; a changed default or a named advisory medium) and from a breaking-change
marker (``feat!:``, ``BREAKING CHANGE:``, a breaking label), which sets high. They are facts from the
commit, not the model's judgement: a commit message that tells the model "this is trivial" cannot hide
them. ``apply_hard_floor`` is the one place that enforces them on an LLM answer, in the engine's result
path before an entry is stored or shown (``models.apply_floor`` does the triage part; the rules' own
verdict already respects it).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import i18n
from ..models import Analysis, Importance, Triage, apply_floor
from .messages import message


@dataclass(frozen=True)
class Floor:
    level: Importance
    why: str  # what set it, for the reader: "breaking", the triage reason's text


def hard_floor(triage: Triage, language: str) -> Floor | None:
    """The lowest importance the facts allow, or None when no hard signal is present."""
    floors: list[Floor] = []
    if triage.floor is not None:
        reason = triage.floor_reason
        why = i18n.format_reason(language, reason) if reason is not None else "hard signal"
        floors.append(Floor(apply_floor(Importance.LOW, triage), why))
    if triage.breaking:
        floors.append(Floor(Importance.HIGH, "breaking"))
    return min(floors, key=lambda f: f.level.rank) if floors else None


def apply_hard_floor(analysis: Analysis, triage: Triage, language: str) -> tuple[Analysis, Importance, bool]:
    """The entry's importance: the model's, raised to the floor. The analysis keeps what the model said,
    with a note in its reason when the floor raised it; True if raised."""
    floor = hard_floor(triage, language)
    if floor is None or analysis.importance.rank <= floor.level.rank:
        return analysis, analysis.importance, False
    note = message(language, "floor.raised", level=floor.level.value, model=analysis.importance.value,
                   why=floor.why)
    reason = f"{analysis.importance_reason} {note}".strip()
    return analysis.model_copy(update={"importance_reason": reason}), floor.level, True
