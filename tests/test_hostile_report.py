"""The hostile corpus end to end: hostile commits (tests/hostile.py) analysed by a hostile model (markup in
every field, huge strings, markup highlights), through the real CLI into Markdown, HTML, JSON and the store.
The Markdown keeps its structure, the HTML runs nothing from data, the JSON validates, sizes stay bounded."""

from __future__ import annotations

import json
import unicodedata
from datetime import date
from urllib.parse import unquote

import pytest

from commitwatch.analysis.output import MAX_ANALYSIS_CHARS
from commitwatch.render.anchors import Slugger
from commitwatch.render.html import assets
from tests.cli import run_cli
from tests.fakes.openai_server import FakeOpenAI, Recorded, Reply, default_answer
from tests.hostile import build_hostile_repo, hostile_commit_count, llm_config, store_text, surviving
from tests.htmlcheck import HOSTILE, parse
from tests.reportdata import headings, inline_children, markdown_parser

MARKUP = " ".join(HOSTILE) + " # Heading\n## Another\n| a | b |\n|---|---|\n---\n[toc](#fake) <details open>"
HUGE = "x" * 30_000


def hostile_model(request: Recorded) -> Reply:
    if request.is_highlights:
        answer = default_answer(request)
        for item in answer["highlights"]:
            item["text"] = MARKUP + HUGE
        return Reply.json(answer)
    answer = default_answer(request)
    answer["importance_reason"] = MARKUP + HUGE
    answer["summary"] = [MARKUP] * 200 + [HUGE]
    answer["impact"] = [{"area": answer["impact"][0]["area"], "detail": MARKUP + HUGE}] * 5
    answer["insights"] = {k: [MARKUP, HUGE] * 2 for k in ("architecture", "performance", "security", "compatibility")}
    answer["risks"] = [{"title": MARKUP, "detail": HUGE, "severity": "high"}] * 8
    answer["recommendations"] = [{"audience": MARKUP, "text": MARKUP + HUGE}] * 8
    answer["conclusion"] = MARKUP + "\u202e" + "\U000e0041" * 30 + HUGE
    return Reply.json(answer)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("hostile-report")
    repo = build_hostile_repo(tmp / "hostile-repo")
    out = tmp / "out"
    with FakeOpenAI() as server:
        server.responder = hostile_model
        config = llm_config(tmp, server.base_url, top='language = "en"', max_retries=1)
        result = run_cli("report", "--config", str(config), "--repo", str(repo.path), "--date", "2026-02-07",
                         "--db", str(tmp / "s.db"), "--allow-degraded",
                         env={"COMMITWATCH_LLM_API_KEY": "sk-t-0123456789"})
    files = {p.suffix: p.read_text(encoding="utf-8") for p in out.rglob("*") if p.is_file()}
    from commitwatch.storage import Store

    with Store.open(tmp / "s.db") as store:
        stored = store.load_report(str(repo.path), language="en", day=date(2026, 2, 7))
    return {"md": files[".md"], "html": files[".html"], "json": files[".json"], "stderr": result.stderr,
            "stored": stored,
            "store": store_text(tmp / "s.db"), "sizes": {p.suffix: p.stat().st_size for p in out.rglob("*.*")}}


def test_every_commit_is_reported(outputs):
    data = json.loads(outputs["json"])
    assert len(data["commits"]) == hostile_commit_count()
    assert "internal error" not in outputs["stderr"]
    assert [c["analyzer"] for c in data["commits"]].count("llm") >= len(data["commits"]) - 2


def test_markdown_keeps_its_structure(outputs):
    md = outputs["md"]
    data = json.loads(outputs["json"])
    n = len(data["commits"])
    tokens = markdown_parser().parse(md)
    assert not [t for t in tokens if t.type == "html_block"]
    children = list(inline_children(md))
    assert not [c for c in children if c.type in ("html_inline", "image")]
    # one table row per commit, three cells each (the first table is the commit table)
    rows, cells, in_first = 0, [], True
    for tok in tokens:
        if tok.type == "table_close":
            in_first = False
        if in_first and tok.type == "tr_open":
            rows += 1
            cells.append(0)
        if in_first and tok.type in ("th_open", "td_open"):
            cells[-1] += 1
    assert rows == 1 + n and set(cells) == {3}
    found = headings(md)
    detailed = sum(1 for c in data["commits"] if c["importance"] != "low")  # low commits are one line each
    assert [level for level, _ in found].count(4) == detailed  # one heading per detailed commit, none from data
    assert [level for level, _ in found][:2] == [1, 2]
    slugger = Slugger()
    anchors = {slugger.slug(text) for _, text in found}
    for c in children:
        if c.type == "link_open":
            href = c.attrs["href"]
            assert href.startswith("#"), href  # no identity: only our own contents links
            assert unquote(href[1:]) in anchors, f"dead link {href}"


def test_html_runs_nothing_from_data(outputs):
    doc = parse(outputs["html"])
    assert doc.dangers() == []
    assert doc.scripts == [assets()[1]]


def test_model_output_is_capped(outputs):
    data = json.loads(outputs["json"])
    for commit in data["commits"]:
        if commit["analysis"] is not None:
            assert len(json.dumps(commit["analysis"], ensure_ascii=False)) <= MAX_ANALYSIS_CHARS
    assert all(len(line) <= 600 for line in data["highlights"])
    n = len(data["commits"])
    for suffix in (".md", ".html", ".json"):
        # the 100 KB subject is the commit's own; everything the model wrote is bounded
        assert outputs["sizes"][suffix] < 250_000 + n * 3 * MAX_ANALYSIS_CHARS, suffix


def test_invisible_model_text_is_shown(outputs):
    data = json.loads(outputs["json"])
    conclusions = [c["analysis"]["conclusion"] for c in data["commits"] if c["analysis"]]
    assert conclusions and all("\u202e" not in c and "\U000e0041" not in c for c in conclusions)


def test_no_secret_anywhere(outputs):
    for name in ("md", "html", "json", "store", "stderr"):
        assert surviving(str(outputs[name])) == [], name


def test_the_notification_digest_keeps_its_structure_and_carries_nothing_hidden(outputs):
    from commitwatch.deliver.message import DigestOptions, build_digest
    from commitwatch.models import Importance

    report = outputs["stored"]
    assert report is not None and len(report.entries) == hostile_commit_count()
    digest = build_digest([report], DigestOptions(language="en", max_items=50, importance=tuple(Importance)))
    structure = [line.kind for line in digest.lines if line.kind in ("title", "heading")]
    for flavour in ("markdown", "slack", "text"):
        text = digest.render(flavour)
        assert surviving(text) == [], flavour
        assert not [ch for ch in text if unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\n\u200d"], flavour
        assert "\U000e0041" not in text and "\u202e" not in text
    md = digest.render("markdown")
    tokens = markdown_parser().parse(md)
    assert not [t for t in tokens if t.type == "html_block"]
    assert not [c for c in inline_children(md) if c.type in ("html_inline", "image")]
    assert len(headings(md)) <= len(structure)  # no heading from data
