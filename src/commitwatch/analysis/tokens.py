"""Token estimates that work offline: CJK text costs about a token per character, ASCII code about one
per three characters. ``TokenEstimator`` is calibrated against the ``usage`` the server reports."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

# Characters that cost about one token each (or more) in common tokenizers.
_CJK = re.compile(r"[\u2e80-\u2fff\u3000-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
                  r"\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]+")
ASCII_CHARS_PER_TOKEN = 3.0
CJK_TOKENS_PER_CHAR = 1.3
OTHER_TOKENS_PER_CHAR = 1.0
MESSAGE_OVERHEAD = 6  # role and separators, per chat message


def raw_estimate(text: str) -> float:
    """Tokens ``text`` costs by our offline rule, before calibration."""
    if not text:
        return 0.0
    if text.isascii():
        return len(text) / ASCII_CHARS_PER_TOKEN
    cjk = sum(len(run) for run in _CJK.findall(text))
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    ascii_chars = len(text) - non_ascii
    return ascii_chars / ASCII_CHARS_PER_TOKEN + cjk * CJK_TOKENS_PER_CHAR + (non_ascii - cjk) * OTHER_TOKENS_PER_CHAR


def estimate_tokens(text: str) -> int:
    """The uncalibrated estimate, rounded up."""
    return math.ceil(raw_estimate(text))


class TokenEstimator:
    """Offline estimate times a factor learnt from the server's ``usage.prompt_tokens``.

    The factor rises at once when the server counts more than we estimated (so the next requests pack
    less) and falls slowly when it counts less. It stays within [0.5, 3].
    """

    MIN_FACTOR = 0.5
    MAX_FACTOR = 3.0

    def __init__(self, factor: float = 1.0) -> None:
        self.factor = factor
        self.observations = 0
        self._memo: dict[str, float] = {}  # the same system prompts and packed commits are measured often

    def count(self, text: str) -> int:
        return math.ceil(raw_estimate(text) * self.factor)

    def raw(self, text: str) -> float:
        value = self._memo.get(text)
        if value is None:
            if len(self._memo) > 512:
                self._memo.clear()
            value = self._memo[text] = raw_estimate(text)
        return value

    def raw_messages(self, messages: Iterable[dict[str, str]]) -> float:
        return sum(self.raw(m.get("content") or "") + MESSAGE_OVERHEAD for m in messages)

    def count_messages(self, messages: Iterable[dict[str, str]]) -> int:
        return math.ceil(self.raw_messages(messages) * self.factor)

    def observe(self, raw: float, prompt_tokens: int) -> None:
        """Learn from one response: we estimated ``raw`` (uncalibrated), the server counted this many."""
        if raw <= 0 or prompt_tokens <= 0:
            return
        ratio = min(max(prompt_tokens / raw, self.MIN_FACTOR), self.MAX_FACTOR)
        self.observations += 1
        self.factor = ratio if ratio > self.factor else 0.8 * self.factor + 0.2 * ratio
