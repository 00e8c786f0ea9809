"""Benchmark the whole `commitwatch report` command on a 31-commit day, side by side in one run:

    .venv/bin/python bench/bench_report.py --runs 3

1. ``--no-llm`` (rules) against the same command with an LLM: the fake OpenAI-compatible server from
   ``tests/fakes`` in its own process answers every request after 1 s, default concurrency 8. Each LLM
   run starts with an empty store, so every commit is analysed. Target (issue "LLM analysis"):
   ``LLM - rules <= 1.3 x ceil(requests / 8) x 1 s``.
2. A cached rerun: the same command again on the store of a finished LLM run. It must make zero
   requests (checked on the server) and finish in at most 2 s (issue "Persistent store").

Every run is a fresh process (`python -m commitwatch`), as from cron: Python start-up, imports, git,
SQLite and file writes are all in the times. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_llm import fake_server, server_stats  # noqa: E402

LATENCY = 1.0
CONCURRENCY = 8


def timed_report(work: Path, repo: Path, db: Path, *extra: str, env: dict[str, str] | None = None) -> float:
    command = [sys.executable, "-m", "commitwatch", "--quiet", "report", "--config", str(work / "cw.toml"),
               "--repo", str(repo), "--date", "2026-02-07", "--db", str(db), *extra]
    started = time.perf_counter()
    done = subprocess.run(command, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"report failed ({done.returncode}):\n{done.stderr}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from commitwatch.demo import build_demo_repo

    with tempfile.TemporaryDirectory() as tmp, fake_server(LATENCY) as base_url:
        work = Path(tmp)
        repo = build_demo_repo(work / "cache")
        (work / "cw.toml").write_text(
            f'output_dir = "{work / "out"}"\ncache_dir = "{work / "cache"}"\n'
            f'[llm]\nbase_url = "{base_url}"\nmodel = "fake-model"\nconcurrency = {CONCURRENCY}\n',
            encoding="utf-8",
        )
        env = {"COMMITWATCH_LLM_API_KEY": "sk-bench"}
        rules, llm, cached = [], [], []
        for i in range(args.runs):
            rules.append(timed_report(work, repo, work / f"rules-{i}.db", "--no-llm"))
            before = server_stats(base_url)["requests"]
            llm.append(timed_report(work, repo, work / f"llm-{i}.db", env=env))
            requests = server_stats(base_url)["requests"] - before
            if requests != 32:
                raise SystemExit(f"expected 32 requests for 31 commits, the server saw {requests}")
            before = server_stats(base_url)["requests"]
            cached.append(timed_report(work, repo, work / f"llm-{i}.db", env=env))
            if server_stats(base_url)["requests"] != before:
                raise SystemExit("the cached rerun made LLM requests")

    target = 1.3 * math.ceil(32 / CONCURRENCY) * LATENCY
    extra = statistics.median(llm) - statistics.median(rules)
    rows = [
        ("report --no-llm (rules), 31 commits", rules),
        ("report with LLM, 32 requests at 1 s, empty store", llm),
        ("report with LLM again, cached (0 requests)", cached),
    ]
    print(f"{'what':52} {'median':>8}  all runs")
    for name, values in rows:
        print(f"{name:52} {statistics.median(values):7.2f}s  " + ", ".join(f"{v:.2f}" for v in values))
    print(f"LLM - rules: {extra:.2f} s (target <= {target:.2f} s)")
    print(f"cached rerun: {statistics.median(cached):.2f} s (target <= 2.00 s)")
    return 0 if extra <= target and statistics.median(cached) <= 2.0 else 1


if __name__ == "__main__":
    sys.exit(main())
