"""Performance claims in the message or the pull request body: the metric, the change as written and the
model or hardware it was measured on.

A claim is a sentence (or line) that names a metric (throughput, latency, TTFT, tokens/s, allocations,
compile time …) and a change: a percentage ("-6%", "+8%"), a factor ("2x", "3.4x faster"), or a
before -> after pair ("7.9 ms to 7.4 ms", "120 ms -> 35 ms", "tg128 78.1 -> 84.6 t/s").
"""

from __future__ import annotations

import re

from commitwatch.models import PerformanceClaim

MAX_CLAIMS = 3

_METRIC_RE = re.compile(
    r"\b(?:(?:decode|prefill|serving|output|request|end-to-end|e2e|p\d\d)\s+(?:throughput|latency)|throughput|latency|ttft|tpot|itl|tokens?/s|tok/s|t/s|qps|rps|ops/s|requests?/s|speed(?:up)?|faster|slower"
    r"|memory(?: usage)?|peak memory|allocs?/op|ns/op|b/op|p50|p90|p95|p99|compile time|startup|cold start|runtime"
    r"|wall[- ]clock|time to first token|bandwidth|utili[sz]ation|overhead|prefill|decode|tg\d+|pp\d+|lock\b"
    r"|goes from|drops from|improves)\b",
    re.IGNORECASE,
)
_NUMBER = r"\d+(?:[.,]\d+)?"
_UNIT = r"(?:\s*(?:ms|us|µs|ns|s|sec|seconds|minutes|min|t/s|tok/s|tokens/s|gb|gib|mb|mib|kb|qps|rps|%|x))?"
_DELTA_RE = re.compile(
    rf"(?P<pair>{_NUMBER}{_UNIT}\s*(?:->|→|=>|to)\s*{_NUMBER}{_UNIT}(?:\s*\([^)]*\))?)"
    rf"|(?P<pct>[+-−]?\s?{_NUMBER}\s?%(?:\s*(?:faster|slower|lower|higher|less|more|improvement|reduction))?)"
    rf"|(?P<factor>{_NUMBER}\s?x(?:\s*(?:faster|slower|speedup|throughput))?)\b",
    re.IGNORECASE,
)
_CONTEXT_RE = re.compile(
    r"\b(?:\d+\s?x\s?)?(?:H100|H200|H20|A100|A10G?|L4|L40S?|B200|GB200|B300|MI300X?|MI325X|MI355X?|RTX\s?\d{4}|"
    r"M[1-4](?: Pro| Max| Ultra)?|TPU\s?v\d\w*|Gaudi\d?|Xeon|EPYC|Graviton\d?)\b"
    r"|\b(?:Llama|Qwen|DeepSeek|Mistral|Mixtral|Gemma|Phi|GPT|Kimi|GLM)[-\w.]*",
)
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])|\n+")


def performance_claims(*texts: str) -> tuple[PerformanceClaim, ...]:
    claims: list[PerformanceClaim] = []
    for text in texts:
        for sentence in _SENTENCE_RE.split(text[:20_000]):
            sentence = sentence.strip(" -*\t")
            if not sentence or len(sentence) > 400:
                continue
            metric = _METRIC_RE.search(sentence)
            delta = _DELTA_RE.search(sentence)
            if metric is None or delta is None:
                continue
            context = ", ".join(dict.fromkeys(m.group(0).strip() for m in _CONTEXT_RE.finditer(sentence)))
            claims.append(PerformanceClaim(metric.group(0).lower(), " ".join(delta.group(0).split()), context))
            if len(claims) >= MAX_CLAIMS:
                return tuple(claims)
    return tuple(claims)
