"""Benchmark: the store's share of a cached rerun of a 31-commit day.

    .venv/bin/python bench/bench_cache.py                    # a fresh database in a temp dir
    .venv/bin/python bench/bench_cache.py --history-days 365 --repeat 21

It first fills a database with ``--history-days`` days of 31 LLM-analysed commits each (a year of daily
cron runs by default: commits, analyses, runs and report snapshots), then measures, as medians over
``--repeat`` rounds on a new day of 31 commits:

* ``open``: ``Store.open`` of the existing database (schema check, WAL, no pending migration)
* ``save_31``: the first run's writes: ``save_entry`` for each commit, one committed transaction each
  (``synchronous=FULL``: each is on disk when it returns)
* ``claim_31``: ``claim_many`` over the day's 31 SHAs (one transaction)
* ``read_31``: the rerun's cache lookup: ``get_entries`` for the 31 SHAs and rebuilding each ``CommitEntry``
* ``reported``: ``reported_shas`` for ``--since-last-run`` over the 31 candidates
* ``snapshot``: ``save_report`` + ``load_report`` of the day's 31-commit report

The end-to-end figure (a cached rerun through the CLI, git included, in ≤ 2 s) is measured separately
with the CLI; this isolates what the database costs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from commitwatch.models import (  # noqa: E402
    Analysis,
    ChangeType,
    Commit,
    CommitEntry,
    FileChange,
    Impact,
    Importance,
    Insights,
    Person,
    Recommendation,
    RepoRef,
    ReportData,
    Risk,
    Usage,
    Window,
)
from commitwatch.storage import AnalysisKey, Store  # noqa: E402
from commitwatch.triage import triage  # noqa: E402

TZ = timezone(timedelta(hours=8))
PER_DAY = 31
FIRST_DAY = date(2025, 1, 1)
REPO = RepoRef(spec="ai-dynamo/dynamo", kind="remote", name="ai-dynamo/dynamo", slug="ai-dynamo-dynamo",
               url="https://github.com/ai-dynamo/dynamo.git", github="ai-dynamo/dynamo")
KEY = AnalysisKey("deepseek-ai/deepseek-v3.1", "1", "zh-CN", "0123456789abcdef")
SENTENCE = "为 KV 管理器引入可选的分配与回收跟踪日志，由环境变量控制，关闭时几乎零开销。"


def _day_entries(day: date) -> list[CommitEntry]:
    entries = []
    for i in range(PER_DAY):
        sha = f"{day.toordinal():08x}{i:08x}".ljust(40, "0")
        files = tuple(
            FileChange(f"lib/component{j % 4}/src/module_{i}_{j}.rs", "M", 20 + j * 3, j) for j in range(8)
        )
        person = Person(f"Author {i}", f"author{i}@example.com")
        when = datetime(day.year, day.month, day.day, tzinfo=TZ) + timedelta(minutes=45 * i)
        subject = f"feat(component{i % 4}): change {i} (#{6000 + i})"
        commit = Commit(sha, (sha[::-1],), person, when, person, when, subject, "A body.\n\nSigned-off-by: A", files)
        analysis = Analysis(
            change_type=ChangeType.FEATURE,
            importance=Importance.HIGH,
            importance_reason=SENTENCE,
            summary=[SENTENCE, SENTENCE],
            impact=[Impact(area=f"lib/component{i % 4}", detail=SENTENCE)],
            insights=Insights(architecture=[SENTENCE], performance=[SENTENCE]),
            risks=[Risk(title="日志量激增", detail=SENTENCE, severity="medium")],
            recommendations=[Recommendation(audience="运维", text=SENTENCE)],
            conclusion=SENTENCE,
        )
        entries.append(CommitEntry(commit, triage(commit), ChangeType.FEATURE, Importance.HIGH, "llm", None,
                                   analysis, 0.93, ()))
    return entries


def _report(day: date, entries: list[CommitEntry]) -> ReportData:
    start = datetime(day.year, day.month, day.day, tzinfo=TZ)
    return ReportData(REPO, "main", Window(start, start + timedelta(days=1), "Asia/Shanghai", day), "zh-CN", "llm",
                      KEY.model, entries, datetime.now(timezone.utc), usage=Usage(32, 250_000, 20_000))


def _fill(store: Store, days: int) -> None:
    repo_id = store.repo_id(REPO)
    for n in range(days):
        day = FIRST_DAY + timedelta(days=n)
        entries = _day_entries(day)
        report = _report(day, entries)
        run_id = store.start_run(repo_id, "main", report.window, "fp")
        for entry in entries:
            store.save_entry(repo_id, entry, KEY, Usage(1, 8000, 600), run_id=run_id)
        store.save_report(run_id, report)
        store.finish_run(run_id, "ok", counts={"llm": PER_DAY}, usage=report.usage,
                         reported=[e.commit.sha for e in entries])


def _time(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def _round(path: Path, day: date) -> dict[str, float]:
    """One rerun's store work on a new day, each step timed in milliseconds."""
    entries = _day_entries(day)
    shas = [e.commit.sha for e in entries]
    report = _report(day, entries)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    store = Store.open(path)
    timings["open"] = (time.perf_counter() - start) * 1000
    try:
        repo_id = store.repo_id(REPO)
        run_id = store.start_run(repo_id, "main", report.window, "fp")

        def save() -> None:
            for entry in entries:
                store.save_entry(repo_id, entry, KEY, Usage(1, 8000, 600))

        def read() -> None:
            cached = store.get_entries(repo_id, shas, KEY)
            rebuilt = [cached[e.commit.sha].entry(e.commit, e.triage) for e in entries]
            assert rebuilt == entries

        def snapshot() -> None:
            store.save_report(run_id, report)
            assert store.load_report(repo_id, language="zh-CN", day=day) is not None

        timings["claim_31"] = _time(lambda: store.claim_many(repo_id, shas, KEY, run_id))
        timings["save_31"] = _time(save)
        timings["read_31"] = _time(read)
        timings["reported"] = _time(lambda: store.reported_shas(repo_id, "main", among=shas))
        timings["snapshot"] = _time(snapshot)
        store.finish_run(run_id, "ok", counts={"llm": PER_DAY}, usage=Usage(), reported=shas)
    finally:
        store.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--history-days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--dir", type=Path, default=None, help="where to create the database (default: a temp dir)")
    args = parser.parse_args()

    folder = args.dir or Path(tempfile.mkdtemp(prefix="commitwatch-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench.db"
    fill_start = time.perf_counter()
    with Store.open(path) as store:
        _fill(store, args.history_days)
    fill_s = time.perf_counter() - fill_start

    results: dict[str, list[float]] = {}
    for n in range(args.repeat):
        for name, ms in _round(path, FIRST_DAY + timedelta(days=args.history_days + n)).items():
            results.setdefault(name, []).append(ms)

    size_mb = path.stat().st_size / 1e6
    print(f"database: {path} ({size_mb:.1f} MB after {args.history_days} days of history; filled in {fill_s:.1f} s)")
    print(f"{'step':<10} {'median ms':>10} {'min ms':>8} {'max ms':>8}   ({args.repeat} rounds)")
    for name, values in results.items():
        print(f"{name:<10} {statistics.median(values):>10.2f} {min(values):>8.2f} {max(values):>8.2f}")


if __name__ == "__main__":
    main()
