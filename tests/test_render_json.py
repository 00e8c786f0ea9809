"""The JSON report: the DESIGN.md minimum, exactly, plus additions that rename nothing."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from commitwatch.models import Analysis
from commitwatch.render import SCHEMA_VERSION, render_json, report_to_dict
from tests.reportdata import empty_report, llm_report, rules_report, translator, tricky_report

# DESIGN.md "CLI contract": fields that must exist from the first version on, in this order.
MINIMUM_TOP = ["schema_version", "repo", "branch", "window", "language", "analyzer", "stats", "commits"]
MINIMUM_TAIL = ["warnings", "usage"]
MINIMUM_COMMIT = [
    "sha",
    "short_sha",
    "committed_at",
    "author",
    "subject",
    "url",
    "change_type",
    "importance",
    "analyzer",
    "fallback_reason",
    "files",
    "analysis",
]


def data(builder: Callable[[str], object], lang: str = "zh-CN") -> dict:
    return report_to_dict(builder(lang), translator=translator(lang))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "builder", "lang"),
    [
        ("report.json", llm_report, "zh-CN"),
        ("report-rules-en.json", rules_report, "en"),
        ("report-empty.json", empty_report, "zh-CN"),
    ],
)
def test_golden(golden: Callable[[str, str], None], name: str, builder: Callable, lang: str) -> None:
    golden(name, render_json(builder(lang), translator=translator(lang)))


def test_design_minimum() -> None:
    doc = data(llm_report)
    keys = list(doc)
    assert keys[: len(MINIMUM_TOP)] == MINIMUM_TOP
    assert keys[len(MINIMUM_TOP) : len(MINIMUM_TOP) + 2] == MINIMUM_TAIL
    assert doc["schema_version"] == SCHEMA_VERSION == 1
    assert doc["repo"] == "ai-dynamo/dynamo" and doc["branch"] == "main"
    assert doc["window"] == {
        "start": "2026-02-07T00:00:00+08:00",
        "end": "2026-02-08T00:00:00+08:00",
        "tz": "Asia/Shanghai",
    }
    assert doc["language"] == "zh-CN"
    assert doc["analyzer"] == {"kind": "llm", "model": "deepseek-ai/deepseek-v3.1"}
    assert doc["stats"] == {"total": 5, "high": 2, "medium": 2, "low": 1}
    assert doc["usage"] == {"requests": 5, "prompt_tokens": 123456, "completion_tokens": 7890}
    assert doc["warnings"] == ["1 个提交的 LLM 分析失败，已回退到规则分析（HTTP 400）。"]
    for commit in doc["commits"]:
        assert list(commit)[: len(MINIMUM_COMMIT)] == MINIMUM_COMMIT
        assert len(commit["sha"]) == 40 and commit["short_sha"] == commit["sha"][:7]
        assert commit["importance"] in ("high", "medium", "low")
        assert commit["analyzer"] in ("llm", "rules", "rules-fallback")
        for f in commit["files"]:
            assert list(f)[:4] == ["path", "status", "additions", "deletions"]


def test_commits_in_table_order_with_times_in_the_report_zone() -> None:
    doc = data(llm_report)
    times = [c["committed_at"] for c in doc["commits"]]
    assert times == sorted(times, reverse=True)
    nats = next(c for c in doc["commits"] if "NATS" in c["subject"])
    assert nats["committed_at"] == "2026-02-07T11:02:45+08:00"  # 2026-02-06T19:02:45-08:00
    assert nats["url"] == f"https://github.com/ai-dynamo/dynamo/commit/{nats['sha']}"
    assert all(t.endswith("+08:00") for t in times)


def test_llm_analysis_round_trips_and_rules_entries_have_null_analysis() -> None:
    report = llm_report("en")
    doc = report_to_dict(report, translator=translator("en"))
    for entry, commit in zip(report.entries, doc["commits"], strict=True):
        if entry.analysis is None:
            assert commit["analysis"] is None
            assert commit["analyzer"] == "rules-fallback"
            assert commit["fallback_reason"].startswith("HTTP 400")
        else:
            assert Analysis.model_validate(commit["analysis"]) == entry.analysis
        assert commit["triage"]["importance"] == entry.triage.importance.value
    fallback = doc["commits"][0]
    assert fallback["triage"]["reasons"] == [
        {"key": "fixture.docs_only", "args": {}, "text": "documentation only", "weight": -2}
    ]


def test_additions() -> None:
    doc = data(llm_report)
    mocker = next(c for c in doc["commits"] if c["subject"].startswith("feat(mocker)"))
    assert mocker["body"] == "Adds a trace.\n\nSigned-off-by: Yongming Ding"
    assert mocker["authored_at"] == "2026-02-07T08:02:28+08:00"
    assert mocker["author_email"] == "yongming.ding@example.com"
    assert len(mocker["parents"]) == 1
    assert mocker["coverage"] == 0.8234 and mocker["files_left_out"][0] == "Cargo.lock"
    assert mocker["additions"] == 103 and mocker["deletions"] == 14
    lock = next(f for f in mocker["files"] if f["path"] == "Cargo.lock")
    assert lock == {
        "path": "Cargo.lock",
        "status": "M",
        "additions": 30,
        "deletions": 2,
        "old_path": None,
        "binary": False,
        "category": "lockfile",
    }
    assert mocker["triage"]["top_dirs"][0] == {"path": "lib", "files": 3, "additions": 65, "deletions": 12}
    migration = doc["commits"][0]
    renamed = next(f for f in migration["files"] if f["status"] == "R")
    assert renamed["old_path"] == "docs/guide.md"
    assert doc["highlights"][0].startswith("mocker")
    assert doc["generated_at"] == "2026-02-08T08:05:00+08:00"
    assert doc["day"] == "2026-02-07" and doc["github"] == "ai-dynamo/dynamo"


def test_rules_report_and_empty_report() -> None:
    doc = data(rules_report, "en")
    assert doc["analyzer"] == {"kind": "rules", "model": None}
    assert doc["github"] is None
    assert all(c["url"] is None and c["analysis"] is None for c in doc["commits"])
    assert len(doc["commits"][1]["parents"]) == 2
    assert doc["commits"][0]["triage"]["reasons"][2]["text"] == "fixture.unknown (tag=[Bugfix])"
    empty = data(empty_report)
    assert empty["commits"] == [] and empty["stats"] == {"total": 0, "high": 0, "medium": 0, "low": 0}


def test_range_window() -> None:
    doc = data(tricky_report, "en")
    assert doc["day"] is None
    assert doc["window"]["start"] == "2026-02-05T09:30:00+08:00"
    assert doc["commits"][14]["subject"] == ""  # the raw subject, untouched


def test_text_format_is_stable() -> None:
    report = llm_report("zh-CN")
    text = render_json(report, translator=translator("zh-CN"))
    assert text == render_json(report, translator=translator("zh-CN"))
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert "每日" not in text and "功能" not in text  # no labels: data only
    assert "已回退到规则分析" in text  # non-ASCII written as is
    assert text.startswith('{\n  "schema_version": 1,\n  "repo": "ai-dynamo/dynamo",')
    assert json.loads(text) == report_to_dict(report, translator=translator("zh-CN"))
