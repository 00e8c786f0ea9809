"""Benchmark: wall time of LLM analysis over a day of commits, against a fake server with fixed latency.

    .venv/bin/python bench/bench_llm.py                 # 31 commits, 1 s latency, concurrency 8

It builds synthetic commits (patches included), sends them to the fake OpenAI-compatible server from
``tests/fakes`` running in its own process (real HTTP on 127.0.0.1, like a remote server it shares no
interpreter with the client; every answer after ``--latency`` seconds) and measures ``analyze_commits``
with the LLM minus the same call with the rules. The target is

    LLM - rules <= 1.3 x ceil(requests / concurrency) x latency,   requests = commits + 1 (highlights)

and the script exits 1 when it is missed. Figures are published in docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from commitwatch.analysis import analyze_commits
from commitwatch.config import LLMSettings
from commitwatch.models import ChangeType, Importance

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.fakes

from tests.fakes import REPO, file_change, make_commit, make_triage  # noqa: E402

KINDS = [
    ("feat(router): add policy {i}", ChangeType.FEATURE, Importance.HIGH),
    ("fix(runtime): handle case {i}", ChangeType.FIX, Importance.MEDIUM),
    ("docs: clarify section {i}", ChangeType.DOCS, Importance.LOW),
    ("ci: tune job {i}", ChangeType.CI, Importance.LOW),
]


def synthetic_day(count: int):
    items = []
    for i in range(count):
        subject, change_type, importance = KINDS[i % len(KINDS)]
        files = [
            file_change(f"lib/component{i % 5}/module{i}.rs", 40, 12),
            file_change(f"tests/test_module{i}.py", 25),
            file_change(f"docs/module{i}.md", 10, 3),
        ]
        commit = make_commit(i, subject.format(i=i), files, body=f"Details of change {i}.\n\nSigned-off-by: dev")
        items.append((commit, make_triage(commit, change_type, importance, score=80 - 2 * i)))
    return items


@contextlib.contextmanager
def fake_server(latency: float) -> Iterator[str]:
    """The fake server in a child process; yields its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.openai_server", "--latency", str(latency)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        if process.stdin is not None:
            process.stdin.close()
        process.wait(timeout=10)


def server_stats(base_url: str, *, timeline: bool = False) -> dict[str, Any]:
    """The fake's counters; ``timeline``: also (received, replied, highlights?) per request, monotonic."""
    with urllib.request.urlopen(f"{base_url}/_stats{'?timeline' if timeline else ''}", timeout=5) as response:
        return json.load(response)  # type: ignore[no-any-return]


def measure(items, settings: LLMSettings | None) -> tuple[float, object]:
    started = time.perf_counter()
    outcome = analyze_commits(items, REPO, "zh-CN", settings, environ={"COMMITWATCH_LLM_API_KEY": "bench"})
    return time.perf_counter() - started, outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=31)
    parser.add_argument("--latency", type=float, default=1.0, help="seconds the fake server waits per request")
    parser.add_argument("--concurrency", type=int, default=LLMSettings().concurrency)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    items = synthetic_day(args.commits)
    requests = args.commits + 1
    rounds = math.ceil(requests / args.concurrency)
    target = 1.3 * rounds * args.latency

    rules_times = [measure(items, None)[0] for _ in range(args.runs)]
    llm_times = []
    with fake_server(args.latency) as base_url:
        settings = LLMSettings(base_url=base_url, model="bench-model", concurrency=args.concurrency)
        for _ in range(args.runs):
            before = server_stats(base_url)["requests"]
            elapsed, outcome = measure(items, settings)
            sent = server_stats(base_url)["requests"] - before
            assert sent == requests, f"expected {requests} requests, the server saw {sent}"
            assert all(e.analyzer == "llm" for e in outcome.entries)
            llm_times.append(elapsed)
        peak = server_stats(base_url)["max_active"]

    rules = statistics.median(rules_times)
    llm = statistics.median(llm_times)
    difference = llm - rules
    print(f"commits: {args.commits}, requests per run: {requests} (incl. highlights), latency: {args.latency:g} s, "
          f"concurrency: {args.concurrency} (peak in flight: {peak})")
    print(f"rules analysis: median {rules * 1000:.1f} ms over {args.runs} runs")
    print(f"LLM analysis:   median {llm:.3f} s over {args.runs} runs (all: {', '.join(f'{t:.3f}' for t in llm_times)})")
    print(f"LLM - rules:    {difference:.3f} s; target <= 1.3 x ceil({requests}/{args.concurrency}) x "
          f"{args.latency:g} s = {target:.2f} s: {'met' if difference <= target else 'MISSED'}")
    return 0 if difference <= target else 1


if __name__ == "__main__":
    sys.exit(main())
