"""Benchmark: the LLM client's CPU per request, in one process, against the fake server:

    .venv/bin/python bench/bench_client.py              # 300 commits, concurrency 32, 50 ms latency; --runs 3

CPU time (``time.process_time``: this process only; the fake OpenAI-compatible server of
``tests/fakes/openai_server.py`` runs in its own process) per request, for:

- ``sdk``: the bare SDK call the pool makes (``AsyncOpenAI.post`` of a prepared body, reply read as text);
- ``pool``: one repository's commits through the shared pool (``AnalysisPool.repo(...).analyse`` of
  redacted commits, then its highlights): packing, prompt rendering, the request, parsing and validating
  the answer, grounding, the hard-signal floor;

so ``pool − sdk`` is what commitwatch itself adds per request. The LLM stack is imported and the
client built before timing (``load_client_code``); the first pass of each is a warm-up. Machine load
moves these figures far less than wall times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_llm import REPO, fake_server, synthetic_day  # noqa: E402

from commitwatch.analysis import AnalysisPool, load_client_code  # noqa: E402
from commitwatch.config import LLMSettings  # noqa: E402


async def _concurrently(send: Callable[[], Awaitable[object]], count: int, concurrency: int) -> float:
    slots = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with slots:
            await send()

    started = time.process_time()
    await asyncio.gather(*(one() for _ in range(count)))
    return (time.process_time() - started) / count


async def sdk_cpu(base_url: str, count: int, concurrency: int) -> float:
    import openai

    client = openai.AsyncOpenAI(api_key="sk-bench", base_url=base_url, max_retries=0)
    body = json.dumps({"model": "bench-model", "max_tokens": 800, "response_format": {"type": "json_object"},
                       "messages": [{"role": "system", "content": "Analyse the commit. " * 60},
                                    {"role": "user", "content": "diff line\n" * 400}]})
    payload = json.loads(body)
    try:
        await _concurrently(lambda: client.post("/chat/completions", cast_to=str, body=payload), 40, concurrency)
        return await _concurrently(lambda: client.post("/chat/completions", cast_to=str, body=payload), count,
                                   concurrency)
    finally:
        await client.close()


async def pool_cpu(base_url: str, count: int, concurrency: int) -> float:
    items = synthetic_day(count)
    settings = LLMSettings(base_url=base_url, model="bench-model", concurrency=concurrency)
    async with AnalysisPool(settings, "sk-bench") as pool:
        for batch in (items[:40], items):  # a warm-up, then the measured pass
            job = pool.repo(REPO, "en", redacted=True)
            started = time.process_time()
            entries = await job.analyse(batch)
            await job.highlights(entries)
            cpu = (time.process_time() - started) / (len(batch) + 1)
            assert all(e.analyzer == "llm" for e in entries), "the fake server must answer every commit"
    return cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    load_client_code("en")
    sdk: list[float] = []
    pool: list[float] = []
    with fake_server(args.latency) as base_url:
        for _ in range(args.runs):
            sdk.append(asyncio.run(sdk_cpu(base_url, args.commits, args.concurrency)))
            pool.append(asyncio.run(pool_cpu(base_url, args.commits, args.concurrency)))
    median_sdk, median_pool = statistics.median(sdk), statistics.median(pool)
    print(f"{args.commits} commits, concurrency {args.concurrency}, latency {args.latency:g} s, {args.runs} runs")
    print(f"sdk  (AsyncOpenAI.post):   {median_sdk * 1000:.2f} ms CPU / request "
          f"({', '.join(f'{x * 1000:.2f}' for x in sdk)})")
    print(f"pool (the whole analysis): {median_pool * 1000:.2f} ms CPU / request "
          f"({', '.join(f'{x * 1000:.2f}' for x in pool)})")
    print(f"commitwatch's own share:   {(median_pool - median_sdk) * 1000:.2f} ms CPU / request")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
