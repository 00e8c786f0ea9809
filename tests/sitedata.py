"""A synthetic store for the site tests and bench/bench_site.py: many days of reports of several
repositories, built in code with a seeded random generator (the same store every time).

    fill_store(store, days=90, repos=3)   # -> list of the ReportData saved, oldest first
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

from commitwatch.models import (
    Analysis,
    ChangeType,
    Impact,
    Importance,
    Recommendation,
    RepoRef,
    ReportData,
    Risk,
    Usage,
)
from commitwatch.storage import Store
from commitwatch.window import day_window
from tests.reportdata import commit, entry, f

TZ = "Asia/Shanghai"
FIRST_DAY = date(2025, 11, 10)
AREAS = ("lib/runtime", "lib/llm", "lib/mocker", "components/src/dynamo/vllm", "components/src/dynamo/sglang",
         "deploy/cloud", "docs/guides", "tests/router", ".github/workflows", "recipes/llama")
AUTHORS = ("Ada Lovelace", "Grace Hopper", "李雷", "韩梅梅", "Alan Turing", "dependabot[bot]", "Edsger Dijkstra")
TYPES = (ChangeType.FEATURE, ChangeType.FIX, ChangeType.DOCS, ChangeType.CI, ChangeType.REFACTOR, ChangeType.DEPS,
         ChangeType.PERF, ChangeType.TEST)


def repos(count: int) -> list[RepoRef]:
    out = []
    for i in range(count):
        if i % 3 == 2:
            out.append(RepoRef(spec=f"/srv/src/engine{i}", kind="local", name=f"engine{i}", slug=f"engine{i}",
                               path=f"/srv/src/engine{i}"))
        else:
            name = f"acme/project-{i}"
            out.append(RepoRef(spec=name, kind="remote", name=name, slug=f"acme-project-{i}",
                               url=f"https://github.com/{name}.git", github=name))
    return out


def day_report(ref: RepoRef, day: date, rng: random.Random, *, language: str = "zh-CN") -> ReportData:
    window = day_window(day, TZ)
    entries = []
    for n in range(rng.randint(0, 40) if rng.random() < 0.05 else rng.randint(8, 40)):
        change_type = rng.choice(TYPES)
        importance = rng.choices((Importance.HIGH, Importance.MEDIUM, Importance.LOW), (1, 4, 3))[0]
        areas = rng.sample(AREAS, rng.randint(1, 3))
        files = tuple(f(f"{a}/file{k}.py", rng.randint(1, 200), rng.randint(0, 50)) for k, a in enumerate(areas))
        when = window.start + timedelta(minutes=rng.randint(0, 24 * 60 - 1))
        c = commit(f"{ref.slug}-{day}-{n}", f"{change_type.value}: change {n} in {areas[0]} (#{1000 + n})",
                   when.isoformat(), author=rng.choice(AUTHORS), files=files)
        fallback = rng.random() < 0.04
        analysis = None if fallback else Analysis(
            change_type=change_type, importance=importance, importance_reason="synthetic",
            summary=[f"Changes `{areas[0]}`: step {n}.", "Second point."],
            impact=[Impact(area=areas[0], detail="the main area")],
            risks=[Risk(title="risk", detail="a synthetic risk", severity="medium")],
            recommendations=[Recommendation(audience="developers", text="read it")], conclusion="fine",
        )
        entries.append(entry(c, change_type, importance, analysis=analysis,
                             analyzer="rules-fallback" if fallback else "llm",
                             fallback_reason="HTTP 500" if fallback else None, coverage=None if fallback else 0.9))
    entries.sort(key=lambda e: e.commit.committed_at, reverse=True)
    fallbacks = sum(1 for e in entries if e.analyzer == "rules-fallback")
    return ReportData(
        repo=ref, branch="main", window=window, language=language, analyzer_kind="llm", model="fake-model",
        entries=entries, generated_at=datetime.combine(day + timedelta(days=1), datetime.min.time(), timezone.utc),
        warnings=[f"{fallbacks} fallbacks"] if fallbacks else [], usage=Usage(requests=len(entries) + 1),
        highlights=[f"Highlight {i} of {day}" for i in range(3)],
    )


def fill_store(store: Store, *, days: int = 90, repos_count: int = 3, seed: int = 7,
               first_day: date = FIRST_DAY, language: str = "zh-CN") -> list[ReportData]:
    rng = random.Random(seed)
    saved = []
    for i in range(days):
        for ref in repos(repos_count):
            if rng.random() < 0.03:  # a day without a report
                continue
            report = day_report(ref, first_day + timedelta(days=i), rng, language=language)
            store.save_report(None, report)
            saved.append(report)
    return saved
