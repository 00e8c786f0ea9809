"""The HTML report: self-contained, escaped, both languages, the same data as the other formats."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commitwatch.demo import build_demo_repo
from commitwatch.models import Analysis, ChangeType, Importance, PullRequest
from commitwatch.render.html import assets, csp_hash, markup, render_html
from tests.cli import run_cli
from tests.htmlcheck import HOSTILE, hostile_report, parse
from tests.reportdata import commit, empty_report, entry, llm_report, rules_report, translator, tricky_report

BUILDERS = [llm_report, rules_report, tricky_report, empty_report, hostile_report]


def page(builder: Callable[[str], Any], lang: str = "zh-CN") -> str:
    return render_html(builder(lang), translator=translator(lang))


def test_golden(golden: Callable[[str, str], None]) -> None:
    golden("report.html", page(llm_report))


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_self_contained_and_nothing_executable_from_data(builder, lang: str) -> None:
    text = page(builder, lang)
    doc = parse(text)
    assert doc.dangers() == []
    style, script = assets()
    assert doc.scripts == [script] and doc.styles == [style]  # the fixed assets, nothing from data
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text)
    assert csp is not None
    policy = html.unescape(csp.group(1))
    assert policy.startswith("default-src 'none';")
    assert f"script-src {csp_hash(script)};" in policy and f"style-src {csp_hash(style)};" in policy
    assert "url(" not in style and "@import" not in style
    assert f'<html lang="{lang}">' in text


def test_hostile_text_is_shown_as_text() -> None:
    text = page(hostile_report, "en")
    shown = "".join(parse(text).text)
    for hostile in ("<script>alert(1)</script>", "<img src=x onerror=alert(3)>", '"><svg onload=alert(7)>'):
        assert hostile in shown  # visible to the reader, as text
    assert "<script>alert" not in text and "<img" not in text and "<svg onload" not in text
    assert "javascript:" not in "".join(v for _t, n, v in parse(text).attrs if n == "href").lower()


def test_model_markdown_is_sanitized() -> None:
    assert markup("[x](javascript:alert(1))") == "[x](javascript:alert(1))"
    assert markup("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    assert markup("**b** `c <d>`") == "<strong>b</strong> <code>c &lt;d&gt;</code>"
    assert markup("[ok](https://a.example/?q=1&r=2)") == (
        '<a href="https://a.example/?q=1&amp;r=2" rel="nofollow noopener noreferrer">ok</a>'
    )
    for href in ("//evil.example/x", "/etc/passwd", "mailto:a@b.c", "data:text/html,x", "file:///etc/passwd"):
        assert "href" not in markup(f"[x]({href})")
    assert "<img" not in markup("![i](https://evil.example/pixel.png)")  # no fetch: at most a link
    assert "<h1" not in markup("# heading") and "<ul" not in markup("- item\n- item")


@given(st.text(max_size=80))
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_any_model_text_gives_only_allowed_inline_markup(text: str) -> None:
    doc = parse(f"<p>{markup(text)}</p>")
    assert set(doc.tags) <= {"p", "a", "code", "em", "strong", "s", "br"}
    assert doc.dangers() == []


@given(st.text(min_size=1, max_size=60).filter(lambda s: s.strip()))
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_any_subject_stays_one_text_node(subject: str) -> None:
    report = rules_report("en")
    c = commit("prop", subject, "2026-02-07T09:30:00+08:00", author=subject)
    report.entries = [entry(c, ChangeType.FIX, Importance.HIGH)]
    doc = parse(render_html(report, translator=translator("en")))
    assert doc.dangers() == []
    assert len(doc.scripts) == 1 and doc.tags.count("article") == 1


def test_header_stats_filters_and_cards() -> None:
    report = llm_report("en")
    text = page(llm_report, "en")
    assert "<h1>Daily update report (2026-02-07)</h1>" in text
    assert '<a href="https://github.com/ai-dynamo/dynamo">ai-dynamo/dynamo</a>' in text
    assert "Time zone: Asia/Shanghai" in text and "Analysis: LLM (deepseek-ai/deepseek-v3.1)" in text
    assert "LLM analysis failed for 1 commit" in text  # the warning
    assert "The mocker can trace KV cache allocation (off by default)." in text  # highlights
    assert "By importance" in text and "By change type" in text and "Busiest areas" in text
    assert text.count("<article ") == 5 and text.count('<tr data-imp="') == 5
    # groups high → medium → low, cards carry what the filters read
    groups = re.findall(r'<section class="group" aria-labelledby="g-(\w+)">', text)
    assert groups == ["high", "medium", "low"]
    mocker = next(e for e in report.entries if e.commit.subject.startswith("feat(mocker)"))
    card = re.search(rf'<article id="c-{mocker.commit.sha[:12]}"[^>]*>', text)
    assert card is not None
    assert 'data-imp="high"' in card.group(0) and 'data-type="feature"' in card.group(0)
    assert f'href="https://github.com/ai-dynamo/dynamo/commit/{mocker.commit.sha}"' in text
    assert 'href="https://github.com/ai-dynamo/dynamo/pull/6052">PR #6052</a>' in text
    assert '<span class="add">+103</span> <span class="del">−14</span>' in text
    assert "<code>lib/mocker</code>: core KV manager" in text  # impact, model text with the area as code
    assert "<code>DYN_MOCKER_KV_CACHE_TRACE</code>" in text  # model Markdown code span
    assert "<details open><summary>📋 Summary</summary>" in text and "<summary>⚠️ Risks</summary>" in text
    assert "not shown at medium depth" not in text  # depth follows importance, as in Markdown
    assert "HTTP 400 Bad Request: prompt exceeds the context window" in text  # the fallback reason
    assert "Generated at 2026-02-08 08:05:00 (Asia/Shanghai)" in text and "LLM usage: 5 requests" in text
    # the filters list what the cards carry, and stay hidden unless the script runs
    assert '<form id="filters" class="filters" hidden' in text
    assert '<option value="feature">Feature</option>' in text and '<option value="high">High</option>' in text
    select = text.split('name="author"')[1].split("</select>")[0]
    authors = re.findall(r'<option value="(\d+)">([^<]+)</option>', select)
    assert [name for _i, name in authors] == sorted(e.commit.author.name for e in report.entries)


def test_chinese_labels_and_rules_sections() -> None:
    text = page(rules_report, "zh-CN")
    assert "<h1>每日更新报告（2026-02-07）</h1>" in text and "最活跃的目录" in text and "按变更类型" in text
    assert "分析方式：规则（未配置 LLM）" in text
    assert "🧭" in text and "📁" in text  # rules sections: reasons and files
    assert "commit/" not in text and "/pull/" not in text  # a local repository without GitHub: no links
    assert "PR #77" in text  # the number is still shown


def test_empty_day() -> None:
    text = page(empty_report, "en")
    assert "No commits in this window." in text and "<article" not in text and 'id="filters"' not in text


def test_range_window_title() -> None:
    assert "<h1>Update report (2026-02-05 09:30 – 2026-02-07 18:00)</h1>" in page(tricky_report, "en")


def test_pull_request_from_enrichment_when_present() -> None:
    report = rules_report("en")
    report.entries[0].pr = PullRequest(5, "<b>title</b>", "https://github.com/acme/engine/pull/5")
    report.entries[1].pr = PullRequest(6, "t", "javascript:alert(1)")
    text = render_html(report, translator=translator("en"))
    assert '<a href="https://github.com/acme/engine/pull/5">PR #5</a>' in text
    assert "PR #6" in text and "javascript:" not in text  # a bad URL is not linked
    assert "PR #77" not in text  # the enrichment wins over the subject's suffix


def test_analysis_without_fields_says_none() -> None:
    report = llm_report("en")
    e = report.entries[-1]
    e.analysis = Analysis(change_type=ChangeType.FIX, importance=Importance.HIGH)
    text = render_html(report, translator=translator("en"))
    assert text.count("(none)") >= 5


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(repository, store, page) of the demo day reported with --format md,html,json."""
    tmp = tmp_path_factory.mktemp("html-demo")
    repo = build_demo_repo(tmp / "cache")
    run_cli("report", "--repo", str(repo), "--date", "2026-02-07", "--no-llm", "--format", "md,html,json",
            "--output-dir", str(tmp / "out"), env={"COMMITWATCH_DB": str(tmp / "store.db")})
    return repo, tmp / "store.db", tmp / "out/2026/dynamo-sample/2026-02-07.html"


def test_the_31_commit_day_fits_300_kb(demo) -> None:
    demo_page = demo[2]
    size = demo_page.stat().st_size
    assert size <= 300 * 1024, f"{size} bytes"
    text = demo_page.read_text(encoding="utf-8")
    assert text.count("<article ") == 31 and parse(text).dangers() == []


def test_render_rebuilds_the_same_page(demo, tmp_path: Path) -> None:
    repo, store, demo_page = demo
    out = tmp_path / "again"
    run_cli("render", "--repo", str(repo), "--date", "2026-02-07", "--format", "html", "--output-dir", str(out),
            env={"COMMITWATCH_DB": str(store)})
    assert (out / "2026/dynamo-sample/2026-02-07.html").read_bytes() == demo_page.read_bytes()


def test_all_hostile_strings_are_covered() -> None:
    assert len(HOSTILE) >= 10
