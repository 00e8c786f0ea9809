"""Reading what the model answered: JSON out of the reply, forgiving normalisation, pydantic validation.

Normalisation only fixes shapes that carry the same meaning (``"feat"`` for ``feature``, a string where
a list of strings is expected, unknown keys); anything else is an error that the one repair request
names.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..models import Analysis
from .prompt import Highlights

T = TypeVar("T", bound=BaseModel)

_FENCE = re.compile(r"^```[a-zA-Z0-9_-]*\s*\n?(.*?)\n?```\s*$", re.DOTALL)

_TYPE_SYNONYMS = {
    "feat": "feature",
    "features": "feature",
    "enhancement": "feature",
    "bugfix": "fix",
    "bug": "fix",
    "hotfix": "fix",
    "doc": "docs",
    "documentation": "docs",
    "tests": "test",
    "testing": "test",
    "performance": "perf",
    "optimization": "perf",
    "dependency": "deps",
    "dependencies": "deps",
    "refactoring": "refactor",
    "maintenance": "chore",
    "misc": "chore",
    "cleanup": "chore",
    "formatting": "style",
    "sec": "security",
}
_IMPORTANCE_SYNONYMS = {
    "高": "high",
    "中": "medium",
    "低": "low",
    "critical": "high",
    "moderate": "medium",
    "minor": "low",
}
_LIST_FIELDS = ("summary",)
_INSIGHT_KEYS = ("architecture", "performance", "security", "compatibility")


class OutputError(ValueError):
    """The reply is not a valid object; ``str()`` is a short description for the repair request."""


def extract_json(text: str | None) -> Any:
    """The JSON value in a reply: the whole text, a fenced block, or the outermost ``{...}``."""
    if text is None or not text.strip():
        raise OutputError("the reply is empty")
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    if fenced:
        stripped = fenced.group(1).strip()
    try:
        return json.loads(stripped)
    except json.JSONDecodeError as first:
        start, end = stripped.find("{"), stripped.rfind("}")
        if start != -1 and end > start:
            try:
                return json.loads(stripped[start : end + 1])
            except json.JSONDecodeError:
                pass
        where = f"line {first.lineno}, column {first.colno}"
        raise OutputError(f"the reply is not valid JSON ({first.msg}: {where})") from first


def _enum_value(value: Any, synonyms: dict[str, str]) -> Any:
    if not isinstance(value, str):
        return value
    key = value.strip().lower()
    return synonyms.get(key, synonyms.get(value.strip(), key))


def _strings(value: Any) -> Any:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if value is None:
        return []
    if isinstance(value, list):
        return [item if isinstance(item, str) else json.dumps(item, ensure_ascii=False) for item in value]
    return value


def normalise_analysis(data: Any) -> Any:
    if not isinstance(data, dict):
        raise OutputError(f"expected a JSON object, got {type(data).__name__}")
    known = set(Analysis.model_fields)
    out: dict[str, Any] = {k: v for k, v in data.items() if k in known}
    if "change_type" in out:
        out["change_type"] = _enum_value(out["change_type"], _TYPE_SYNONYMS)
    if "importance" in out:
        out["importance"] = _enum_value(out["importance"], _IMPORTANCE_SYNONYMS)
    for name in _LIST_FIELDS:
        if name in out:
            out[name] = _strings(out[name])
    for name in ("importance_reason", "conclusion"):
        value = out.get(name)
        if isinstance(value, list):
            out[name] = " ".join(str(v) for v in value)
        elif value is None and name in out:
            out[name] = ""
    insights = out.get("insights")
    if isinstance(insights, dict):
        out["insights"] = {k: _strings(insights.get(k)) for k in _INSIGHT_KEYS if k in insights}
    elif insights is None and "insights" in out:
        out["insights"] = {}
    for name in ("impact", "risks", "recommendations"):
        value = out.get(name)
        if value is None and name in out:
            out[name] = []
        elif isinstance(value, dict):
            out[name] = [value]
    for risk in out.get("risks") or []:
        if isinstance(risk, dict) and isinstance(risk.get("severity"), str):
            risk["severity"] = _enum_value(risk["severity"], _IMPORTANCE_SYNONYMS)
    return out


def _describe(error: ValidationError, limit: int = 6) -> str:
    parts = []
    for item in error.errors()[:limit]:
        where = ".".join(str(p) for p in item["loc"]) or "(object)"
        parts.append(f"{where}: {item['msg']}")
    more = len(error.errors()) - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def parse_analysis(text: str | None) -> Analysis:
    """A validated ``Analysis`` from a reply, within the caps (``cap_analysis``), or ``OutputError``."""
    data = normalise_analysis(extract_json(text))
    try:
        analysis = Analysis.model_validate(data)
    except ValidationError as e:
        raise OutputError(_describe(e)) from e
    return cap_analysis(analysis)  # before anything else reads it: model output is data, its size is ours


def parse_highlights(text: str | None) -> Highlights:
    data = extract_json(text)
    if isinstance(data, list):
        data = {"highlights": data}
    if isinstance(data, dict):
        data = {"highlights": data.get("highlights", [])}
        items = data["highlights"]
        if isinstance(items, list):
            data["highlights"] = [
                {k: v for k, v in item.items() if k in ("sha", "text")} if isinstance(item, dict) else item
                for item in items
            ]
    try:
        highlights = Highlights.model_validate(data)
    except ValidationError as e:
        raise OutputError(_describe(e)) from e
    items = [item.model_copy(update={"text": _cut(item.text, MAX_HIGHLIGHT_CHARS)})
             for item in highlights.highlights[:MAX_HIGHLIGHT_ITEMS]]
    return Highlights(highlights=items)


# --- caps: model output is data, and its size is ours to bound -----------------------------------------

# Characters per field and items per list; an analysis that is still larger than MAX_ANALYSIS_CHARS
# loses list items from the end (insights first, then recommendations, impact, risks, summary).
FIELD_CAPS = {"importance_reason": 600, "conclusion": 600, "summary": 400, "area": 300, "detail": 800,
              "title": 200, "text": 800, "audience": 120, "insight": 500}
LIST_CAPS = {"summary": 6, "impact": 8, "risks": 6, "recommendations": 6, "insight": 5}
MAX_ANALYSIS_CHARS = 12_000
MAX_HIGHLIGHT_CHARS = 500
MAX_HIGHLIGHT_ITEMS = 10
_TRIM_ORDER = ("insights", "recommendations", "impact", "risks", "summary")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"


def _size(data: dict[str, Any]) -> int:
    return len(json.dumps(data, ensure_ascii=False))


def cap_analysis(analysis: Analysis) -> Analysis:
    """``analysis`` within FIELD_CAPS, LIST_CAPS and MAX_ANALYSIS_CHARS (docs/security.md)."""
    data = analysis.model_dump()
    for name in ("importance_reason", "conclusion"):
        data[name] = _cut(data[name], FIELD_CAPS[name])
    data["summary"] = [_cut(s, FIELD_CAPS["summary"]) for s in data["summary"][: LIST_CAPS["summary"]]]
    data["impact"] = [{"area": _cut(i["area"], FIELD_CAPS["area"]), "detail": _cut(i["detail"], FIELD_CAPS["detail"])}
                      for i in data["impact"][: LIST_CAPS["impact"]]]
    data["risks"] = [{**r, "title": _cut(r["title"], FIELD_CAPS["title"]),
                      "detail": _cut(r["detail"], FIELD_CAPS["detail"])}
                     for r in data["risks"][: LIST_CAPS["risks"]]]
    data["recommendations"] = [{"audience": _cut(r["audience"], FIELD_CAPS["audience"]),
                                "text": _cut(r["text"], FIELD_CAPS["text"])}
                               for r in data["recommendations"][: LIST_CAPS["recommendations"]]]
    data["insights"] = {k: [_cut(s, FIELD_CAPS["insight"]) for s in v[: LIST_CAPS["insight"]]]
                        for k, v in data["insights"].items()}
    while _size(data) > MAX_ANALYSIS_CHARS:
        for name in _TRIM_ORDER:
            if name == "insights":
                longest = max(data["insights"], key=lambda k: len(data["insights"][k]))
                if data["insights"][longest]:
                    data["insights"][longest].pop()
                    break
            elif len(data[name]) > (1 if name == "summary" else 0):
                data[name].pop()
                break
        else:
            break
    return Analysis.model_validate(data)


__all__ = ["OutputError", "cap_analysis", "extract_json", "parse_analysis", "parse_highlights"]
