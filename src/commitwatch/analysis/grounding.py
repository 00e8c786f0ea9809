"""Grounding: what git knows comes from git, not from the model.

- ``impact[].area`` must be a path the commit touched or one of its directories; other areas are
  dropped and counted (the report says how many).
- CVE ids that appear nowhere in the commit text sent to the model are removed (a made-up CVE id is
  worse than none).
- A merge commit is a ``merge``; a commit that is not a merge is never called one.
- Depth follows the final importance: low keeps a short summary, medium summary, impact and
  recommendations, high everything.

Counts, paths and line statistics are never taken from the model: the report reads them from ``Commit``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..models import Analysis, ChangeType, Commit, Importance, Insights, Triage

_CVE = re.compile(r"\bCVE-\d{4}-\d{4,}\b", re.IGNORECASE)
CVE_REMOVED = "CVE-(unverified)"


@dataclass
class Grounded:
    analysis: Analysis
    dropped_areas: int = 0
    dropped_cves: int = 0


def touched(commit: Commit) -> set[str]:
    """Every path the commit touched (old and new names) and every directory above them."""
    out: set[str] = set()
    for f in commit.files:
        for path in (f.path, f.old_path):
            if not path:
                continue
            out.add(path)
            parts = path.split("/")
            for depth in range(1, len(parts)):
                out.add("/".join(parts[:depth]))
    return out


def normalise_area(area: str) -> str:
    """``"`./lib/mocker/`"`` → ``"lib/mocker"``; wildcards and a git ``a/``/``b/`` prefix are removed."""
    text = area.strip().strip("`'\"").strip()
    text = re.sub(r"(?:/\*\*?)+$", "", text)
    while text.startswith("./"):
        text = text[2:]
    return text.strip("/")


def _ground_area(area: str, paths: set[str]) -> str | None:
    candidate = normalise_area(area)
    if candidate in paths:
        return candidate
    if candidate[:2] in ("a/", "b/") and candidate[2:] in paths:
        return candidate[2:]
    return None


def ground(analysis: Analysis, commit: Commit, triage: Triage, sent_text: str) -> Grounded:
    """The analysis with ungrounded areas and CVE ids removed, type fixed for merges, depth applied."""
    paths = touched(commit)
    impacts = []
    dropped_areas = 0
    for impact in analysis.impact:
        area = _ground_area(impact.area, paths)
        if area is None:
            dropped_areas += 1
            continue
        impacts.append(impact.model_copy(update={"area": area}))

    known_cves = {m.upper() for m in _CVE.findall(sent_text)}
    dropped_cves = 0

    def clean(text: str) -> str:
        nonlocal dropped_cves

        def sub(match: re.Match[str]) -> str:
            nonlocal dropped_cves
            if match.group(0).upper() in known_cves:
                return match.group(0)
            dropped_cves += 1
            return CVE_REMOVED

        return _CVE.sub(sub, text)

    change_type = analysis.change_type
    if commit.is_merge:
        change_type = ChangeType.MERGE
    elif change_type is ChangeType.MERGE:
        change_type = triage.change_type if triage.change_type is not ChangeType.MERGE else ChangeType.OTHER

    grounded = analysis.model_copy(
        update={
            "change_type": change_type,
            "importance_reason": clean(analysis.importance_reason),
            "summary": [clean(s) for s in analysis.summary],
            "impact": [i.model_copy(update={"detail": clean(i.detail)}) for i in impacts],
            "insights": Insights(
                architecture=[clean(s) for s in analysis.insights.architecture],
                performance=[clean(s) for s in analysis.insights.performance],
                security=[clean(s) for s in analysis.insights.security],
                compatibility=[clean(s) for s in analysis.insights.compatibility],
            ),
            "risks": [
                r.model_copy(update={"title": clean(r.title), "detail": clean(r.detail)}) for r in analysis.risks
            ],
            "recommendations": [r.model_copy(update={"text": clean(r.text)}) for r in analysis.recommendations],
            "conclusion": clean(analysis.conclusion),
        }
    )
    return Grounded(apply_depth(grounded), dropped_areas, dropped_cves)


def apply_depth(analysis: Analysis) -> Analysis:
    """Keep the fields the final importance calls for (DESIGN.md "Analysis")."""
    if analysis.importance is Importance.HIGH:
        return analysis
    if analysis.importance is Importance.MEDIUM:
        return analysis.model_copy(update={"insights": Insights(), "risks": [], "conclusion": ""})
    return analysis.model_copy(
        update={
            "summary": analysis.summary[:2],
            "impact": [],
            "insights": Insights(),
            "risks": [],
            "recommendations": [],
            "conclusion": "",
        }
    )
