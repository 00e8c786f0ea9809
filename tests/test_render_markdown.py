"""The Markdown report: layout, escaping, working links, languages, and the locale catalogs behind it."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

import pytest

from commitwatch import i18n
from commitwatch.i18n import Translator, fill, normalize_language
from commitwatch.models import Importance, Reason, ReportData
from commitwatch.render import environment, render_markdown
from commitwatch.render.anchors import Slugger
from commitwatch.render.environment import autoescape_for
from commitwatch.render.escape import normalize, shorten
from commitwatch.render.markdown import SUBJECT_LIMIT, split_subject
from tests.reportdata import (
    TRICKY_SUBJECTS,
    empty_report,
    headings,
    inline_children,
    llm_report,
    markdown_parser,
    rules_report,
    translator,
    tricky_report,
)

LANGS = ("zh-CN", "en")
BUILDERS: dict[str, Callable[[str], ReportData]] = {
    "llm": llm_report,
    "rules": rules_report,
    "tricky": tricky_report,
    "empty": empty_report,
}
LOCALES = Path(i18n.__file__).parent / "locales"


def render(kind: str, lang: str) -> str:
    return render_markdown(BUILDERS[kind](lang), translator=translator(lang))


# --- golden files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "lang"),
    [
        ("report-zh-CN.md", "llm", "zh-CN"),
        ("report-en.md", "llm", "en"),
        ("report-rules-zh-CN.md", "rules", "zh-CN"),
        ("report-rules-en.md", "rules", "en"),
        ("report-tricky-en.md", "tricky", "en"),
        ("report-empty.md", "empty", "zh-CN"),
        ("report-empty-en.md", "empty", "en"),
    ],
)
def test_golden(golden: Callable[[str, str], None], name: str, kind: str, lang: str) -> None:
    golden(name, render(kind, lang))


# --- links and anchors ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_every_contents_link_resolves_to_a_heading(kind: str, lang: str) -> None:
    md = render(kind, lang)
    slugger = Slugger()
    anchors = [slugger.slug(text) for _level, text in headings(md)]
    assert len(set(anchors)) == len(anchors)
    targets = re.findall(r"\]\(#([^)]*)\)", md)
    hrefs = [c.attrs["href"] for c in inline_children(md) if c.type == "link_open"]
    local = [unquote(h[1:]) for h in hrefs if h.startswith("#")]  # the parser percent-encodes
    assert targets == local  # the regex and the parser agree on what is a link
    for target in targets:
        assert target, "empty anchor"
        assert target in anchors, f"dead link #{target}"
    if kind != "empty":
        # the contents link every heading but the title, the repository's own and itself
        assert len(set(targets)) == len(anchors) - 2


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_headings_are_ours_only(kind: str, lang: str) -> None:
    report = BUILDERS[kind](lang)
    found = headings(render(kind, lang))
    levels = [level for level, _ in found]
    groups = sum(1 for _, entries in report.grouped() if entries)
    full = [e for e in report.entries if e.importance is not Importance.LOW]  # low ones are one line each
    if report.entries:
        fixed = 2 + 2 + (1 if report.highlights else 0)  # title, repo, stats, contents, highlights
        assert len(found) == fixed + groups + len(full)
        assert levels.count(4) == len(full)
    else:
        assert levels == [1, 2]
    assert levels[:2] == [1, 2]
    # nesting never skips a level downwards
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1


def test_commit_headings_show_the_subject_in_group_order() -> None:
    report = tricky_report("en")
    found = [text for level, text in headings(render("tricky", "en")) if level == 4]
    expected = []
    for level, entries in report.grouped():
        for e in entries if level is not Importance.LOW else []:
            title, number = split_subject(e.commit.subject)
            text = (shorten(title, SUBJECT_LIMIT) + (f" (#{number})" if number else "")).strip() or "(no message)"
            if text in ("...", "!!!"):
                text += " " + e.commit.short_sha
            expected.append(text)
    assert found == expected


def test_no_html_and_only_our_links() -> None:
    for kind in BUILDERS:
        for lang in LANGS:
            md = render(kind, lang)
            tokens = markdown_parser().parse(md)
            assert not [t for t in tokens if t.type == "html_block"]
            children = list(inline_children(md))
            assert not [c for c in children if c.type in ("html_inline", "image")]
            for c in children:
                if c.type == "link_open":
                    href = c.attrs["href"]
                    assert href.startswith(("#", "https://github.com/ai-dynamo/dynamo/")), href


# --- the commit table -------------------------------------------------------------------------------


def table_rows(md: str) -> list[list[str]]:
    tokens = markdown_parser().parse(md)
    rows: list[list[str]] = []
    for i, tok in enumerate(tokens):
        if tok.type == "tr_open":
            rows.append([])
        elif tok.type in ("th_open", "td_open"):
            rows[-1].append("".join(c.content for c in tokens[i + 1].children if c.type in ("text", "code_inline")))
    return rows


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", ["llm", "rules", "tricky"])
def test_table_has_one_three_cell_row_per_commit(kind: str, lang: str) -> None:
    report = BUILDERS[kind](lang)
    rows = table_rows(render(kind, lang))
    assert len(rows) == 1 + len(report.entries)
    assert all(len(row) == 3 for row in rows)
    for row, e in zip(rows[1:], report.entries, strict=True):
        assert row[1] == normalize(e.commit.author.name)
        title, number = split_subject(e.commit.subject)
        if title or number:
            assert row[2].startswith(shorten(title, SUBJECT_LIMIT))
            if number:
                assert row[2].endswith(f"(#{number})")


def test_table_time_is_in_the_report_time_zone() -> None:
    rows = table_rows(render("llm", "zh-CN"))
    nats = next(r for r in rows if "NATS" in r[2])
    assert nats[0] == "2026-02-07 11:02:45"  # committed 2026-02-06T19:02:45-08:00


def test_table_shows_subject_only_and_caps_long_ones() -> None:
    md = render("llm", "en")
    assert "Signed-off-by" not in md  # the body is never shown
    rows = table_rows(render("tricky", "en"))
    long_row = next(r for r in rows if r[2].startswith("xxx"))
    assert long_row[2] == "x" * (SUBJECT_LIMIT - 1) + "… (#42)"


def test_pull_request_numbers_link_only_with_a_github_identity() -> None:
    md = render("llm", "en")
    assert "([#6052](https://github.com/ai-dynamo/dynamo/pull/6052))" in md
    assert "](https://github.com/ai-dynamo/dynamo/commit/" in md
    local = render("rules", "en")
    assert "](http" not in local
    assert "(\\#77)" in local


# --- per-commit content -----------------------------------------------------------------------------


def section_of(md: str, heading_start: str) -> str:
    """The Markdown of one commit, from its heading to the next rule."""
    start = md.index(f"#### {heading_start}")
    return md[start : md.index("\n---\n", start)]


def test_high_llm_commit_shows_every_section_in_order() -> None:
    block = section_of(render("llm", "en"), "feat(mocker)")
    labels = re.findall(r"^\*\*(.+?)\*\*", block, re.M)
    assert labels == [
        "SHA",
        "🎯 Type",
        "📐 Diff coverage",
        "📋 Summary",
        "🎯 Impact",
        "🔍 Technical insights",
        "⚠️ Risks",
        "💡 Recommendations",
        "📝 Conclusion",
    ]
    assert "**Architecture**" in block and "**Performance**" in block
    assert "**Security**" not in block and "**Compatibility**" not in block  # empty dimensions are left out
    assert "- 🟡 **Log volume** — Tracing in large simulations can fill the disk." in block
    assert "`DYN_MOCKER_KV_CACHE_TRACE`" in block  # model code spans survive as code
    assert "82% of changed lines shown to the model; 6 files left out: `Cargo.lock`, " in block
    assert "`lib/d.lock`…" in block and "lib/e.lock" not in block


def test_depth_follows_importance() -> None:
    md = render("llm", "en")
    medium = section_of(md, "fix: reduce NATS")
    assert "**💡 Recommendations**" in medium and "**🔍 Technical insights**" not in medium
    assert "not shown at medium depth" not in medium
    low = next(line for line in md.splitlines() if line.startswith("- docs: add quick start"))
    # a low commit is one line: subject, SHA link, type, areas; never a section
    shape = r"- docs: add quick start .* · \[`[0-9a-f]{7}`\]\(https://github\.com/\S+\) · Documentation · `docs\S*`.*"
    assert re.fullmatch(shape, low)
    assert "#### docs: add quick start" not in md
    empty_high = section_of(md, "fix: Correctly pass DP rank")
    assert "**⚠️ Risks**: (none)" in empty_high and "**📝 Conclusion**: (none)" in empty_high


def test_rules_commit_shows_reasons_files_and_fallback() -> None:
    md = render("llm", "zh-CN")
    block = section_of(md, "docs: full migration")
    assert "⚠️ 规则（LLM 分析失败后回退：HTTP 400 Bad Request: prompt exceeds the context window）" in block
    # the offline analysis replaces the score breakdown: areas on one line, the deciding reason on one line
    assert "**📁 涉及范围**：3 个文件，+220 / −120：`fern`、`docs`" in block
    assert "**🧭 判定依据**：只改动了文档 · 评分 -2" in block
    assert "(-2)" not in block


def test_rules_report_reasons_merges_and_unknown_reason_keys() -> None:
    md = render("rules", "en")
    assert md.splitlines()[2].startswith("Analysis: rules (no LLM configured)")
    block = section_of(md, "\\[Feature\\]")
    assert "**🧭 Why**: subject type is feat · score 6" in block  # the deciding reason, not every weight
    assert "fixture.unknown" not in block
    assert "**📁 Areas touched**: 5 files, +423 / −1: `csrc`, `tests`, (repository root)" in block
    merge = section_of(md, "Merge branch")
    assert "🔀 Merge commit (2 parents); its diff is summarised by statistics only" in merge
    assert "**🧭 Why**: score 0" in merge  # no reasons: the score alone
    assert "LLM usage" not in md


def test_header_warnings_and_footer() -> None:
    md = render("llm", "zh-CN")
    lines = md.splitlines()
    assert lines[0] == "# 每日更新报告（2026-02-07）"
    assert lines[2] == "分析方式：LLM（deepseek-ai/deepseek-v3.1） · 分支：main · 时区：Asia/Shanghai"
    assert md.index("> **⚠️ 警告**") < md.index("## ai-dynamo/dynamo")
    assert "> 本日共 5 个提交 | 🔴高 2 | 🟡中 2 | 🟢低 1" in md
    assert lines[-3:] == [
        "生成时间：2026-02-08 08:05:00（Asia/Shanghai）",
        "",
        "LLM 用量：5 次请求，输入 123,456 tokens，输出 7,890 tokens",
    ]


def test_range_window_title_and_stats() -> None:
    md = render("tricky", "en")
    assert md.startswith("# Update report (2026-02-05 09:30 – 2026-02-07 18:00)\n")
    assert "> 24 commits in this window | 🔴 High 8 | 🟡 Medium 8 | 🟢 Low 8" in md
    assert "LLM usage: 1 request, 0 prompt tokens, 0 completion tokens" in md


def test_empty_day_is_short() -> None:
    md = render("empty", "zh-CN")
    assert md.splitlines()[:5] == [
        "# 每日更新报告（2026-02-07）",
        "",
        "分析方式：规则（未配置 LLM） · 分支：main · 时区：Asia/Shanghai",
        "",
        "## ai-dynamo/dynamo",
    ]
    assert "此时间窗口内没有提交。" in md
    assert "|" not in md and "📋" not in md and "📊" not in md
    assert "No commits in this window." in render("empty", "en")


def test_languages_share_one_structure() -> None:
    def shape(md: str) -> list[str]:
        return [f"{t.type}:{t.tag}:{t.level}" for t in markdown_parser().parse(md)]

    for kind in BUILDERS:
        assert shape(render(kind, "zh-CN")) == shape(render(kind, "en")), kind


def test_hostile_subjects_stay_plain_text() -> None:
    md = render("tricky", "zh-CN")
    texts = [text for level, text in headings(md) if level == 4]
    texts += ["".join(c.content for c in t.children or [] if c.type in ("text", "code_inline"))
              for t in markdown_parser().parse(md) if t.type == "inline"]  # fmt: skip
    texts += [part for text in texts[:] for part in text.split(" · ")]  # one-line entries
    for subject in TRICKY_SUBJECTS:
        plain = normalize(subject)
        if plain and plain not in ("...", "!!!") and len(plain) < SUBJECT_LIMIT:
            assert plain in texts
    tokens = markdown_parser().parse(md)
    kinds = {t.type for t in tokens}
    assert "blockquote_open" in kinds  # the warnings and the statistics line, nothing more
    assert sum(1 for t in tokens if t.type == "blockquote_open") == 2
    assert "fence" not in kinds and "code_block" not in kinds and "hr" in kinds
    assert sum(1 for t in tokens if t.type == "table_open") == 1


def test_default_translator_follows_the_report_language() -> None:
    report = rules_report("en")
    assert render_markdown(report).startswith("# Daily update report (2026-02-07)\n")


# --- locale catalogs ---------------------------------------------------------------------------------


def test_label_catalogs_have_the_same_keys() -> None:
    zh = set(i18n.load_catalog("zh-CN", "labels"))
    en = set(i18n.load_catalog("en", "labels"))
    assert zh and {k for k in en if not k.endswith("_one")} == zh
    assert (LOCALES / "zh-CN" / "labels.toml").is_file()


def test_every_change_type_and_importance_has_a_name() -> None:
    from commitwatch.models import ChangeType

    for lang in LANGS:
        tr = Translator(lang)
        for ct in ChangeType:
            assert tr.has_label(f"change_type.{ct.value}")
        for level in Importance:
            assert tr.has_label(f"importance.{level.value}")
    assert Translator("zh-CN").label("change_type.feature") == "功能增强"
    assert Translator("en").label("change_type.feature") == "Feature"
    assert Translator("zh-CN").label("report.analyzer_rules") == "分析方式：规则（未配置 LLM）"
    assert Translator("en").label("report.analyzer_rules") == "Analysis: rules (no LLM configured)"


def test_punctuation_labels_need_no_escaping() -> None:
    for lang in LANGS:
        tr = Translator(lang)
        for key in ("colon", "list_separator", "semicolon", "open_paren", "close_paren"):
            assert not set(tr.label(f"punct.{key}")) & set("\\`*_[]<>&#|~$!")


def test_label_lookup_falls_back_to_english_then_the_key(tmp_path: Path) -> None:
    (tmp_path / "zh-CN").mkdir()
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "labels.toml").write_text('[extra]\nonly_en = "English {x}"\n', encoding="utf-8")
    tr = Translator("zh-CN", extra_dirs=[tmp_path])
    assert tr.label("extra.only_en", x=1) == "English 1"
    assert tr.label("no.such.key") == "no.such.key"
    assert tr.label("report.title_day", date="D") == "每日更新报告（D）"


def test_reasons_load_from_catalog_files_and_fall_back(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "reasons.toml").write_text(
        'demo_key = "touches {count} files in {dir} {{literally}}"\n"dotted.key" = "quoted dotted"\n',
        encoding="utf-8",
    )
    tr = Translator("en", extra_dirs=[tmp_path])
    assert tr.reason(Reason("demo_key", (("count", "3"), ("dir", "lib")))) == "touches 3 files in lib {literally}"
    assert tr.reason(Reason("demo_key", (("count", "3"),))) == "touches 3 files in {dir} {literally}"
    assert tr.reason(Reason("dotted.key")) == "quoted dotted"
    assert tr.reason(Reason("missing", (("a", "1"), ("b", "x")))) == "missing (a=1, b=x)"
    assert tr.reason(Reason("missing")) == "missing"
    zh = Translator("zh-CN", extra_dirs=[tmp_path])  # no Chinese text: the English one
    assert zh.reason(Reason("dotted.key")) == "quoted dotted"


def test_module_shortcuts_and_language_tags() -> None:
    assert i18n.label("zh", "importance.high") == "高"
    assert i18n.label("en-US", "importance.high") == "High"
    assert i18n.format_reason("en", Reason("no_such_reason_key", (("x", "1"),))) == "no_such_reason_key (x=1)"
    assert normalize_language("zh_cn") == "zh-CN" and normalize_language("EN") == "en"
    assert fill("{a} {b} {{c}}", {"a": 1}) == "1 {b} {c}"


def test_plural_labels() -> None:
    en, zh = Translator("en"), Translator("zh-CN")
    assert en.plural("rules.files_summary", 1, additions=1, deletions=0) == "1 file, +1 / −0"
    assert en.plural("rules.files_summary", 2, additions=1, deletions=0) == "2 files, +1 / −0"
    assert zh.plural("rules.files_summary", 1, additions=1, deletions=0) == "1 个文件，+1 / −0"


def test_environment_autoescapes_by_template_extension() -> None:
    assert autoescape_for("report.html.j2") and autoescape_for("index.xml.j2") and autoescape_for(None)
    assert not autoescape_for("report.md.j2") and not autoescape_for("report.txt.j2")
    env = environment()
    assert env is environment()
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
