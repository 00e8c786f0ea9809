"""Language discipline: is an answer written in the report's language?

For ``zh-CN`` the prose must be mostly Chinese; identifiers, paths, code spans, URLs and acronyms are
left out of the count (they stay verbatim in any language). For ``en`` it must be mostly Latin script.
Chinese characters are weighed as words (about 1.5 characters a word) against English words (about 5
letters a word), so "新增 KV cache 路由支持" counts as Chinese.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..models import Analysis

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CODE = re.compile(r"`[^`]*`")
_URL = re.compile(r"https?://\S+")
# snake_case, dotted.names, paths/with/slashes, --flags, camelCase, ACRONYMS, words with digits.
# Linear time: a token that starts with a letter, digit or _ is tried only where such a run starts (the
# look-behind), never from inside it, where it cannot match if it did not at the run's start; without
# that, one long word without a separator cost a scan to its end from each of its characters.
_IDENTIFIER = re.compile(
    r"(?<![A-Za-z0-9_])[A-Za-z0-9_]+[_./\\:#@=-][A-Za-z0-9_./\\:#@=-]*|[_./\\:#@=-][A-Za-z0-9_./\\:#@=-]*"
    r"|\b[a-z]+[A-Z][A-Za-z0-9]*\b|\b[A-Z][a-z]+[A-Z][A-Za-z0-9]*\b|\b[A-Z0-9]{2,}s?\b|\b\w*\d\w*\b"
)
_LATIN = re.compile(r"[A-Za-z]")
MIN_WORDS = 4  # below this there is too little prose to judge


def prose(analysis: Analysis) -> list[str]:
    """The free-text fields of an analysis (everything a reader reads as sentences)."""
    parts = [analysis.importance_reason, analysis.conclusion, *analysis.summary]
    parts += [i.detail for i in analysis.impact]
    insights = analysis.insights
    parts += [*insights.architecture, *insights.performance, *insights.security, *insights.compatibility]
    parts += [p for r in analysis.risks for p in (r.title, r.detail)]
    parts += [r.text for r in analysis.recommendations]
    return [p for p in parts if p]


def chinese_share(texts: Iterable[str]) -> tuple[float, float]:
    """(share of Chinese among the words of ``texts``, number of words counted)."""
    text = " ".join(texts)
    text = _URL.sub(" ", _CODE.sub(" ", text))
    text = _IDENTIFIER.sub(" ", text)
    chinese_words = len(_CJK.findall(text)) / 1.5
    latin_words = len(_LATIN.findall(text)) / 5.0
    total = chinese_words + latin_words
    return (chinese_words / total if total else 0.0), total


def in_language(texts: Iterable[str], language: str) -> bool:
    share, words = chinese_share(texts)
    if words < MIN_WORDS:
        return True
    if language == "zh-CN":
        return share >= 0.5
    return share <= 0.2
