"""Splitting messages to service limits: bytes, characters and UTF-16 units; never inside a link, a
construct, a grapheme cluster or a multi-byte character; parts numbered."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from commitwatch.deliver.split import label, measure, split_message

LINK = re.compile(r"!?\[(?:\\.|[^\\\]\n])*\]\((?:\\.|[^\\()\n\s])*\)")
LABEL = re.compile(r"^\(\d+/\d+\)\n")


def strip_labels(parts: list[str]) -> list[str]:
    return [LABEL.sub("", part, count=1) for part in parts] if len(parts) > 1 else parts


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_measure_counts_like_the_services():
    assert measure("中a", "bytes") == 4
    assert measure("中a", "chars") == 2
    assert measure("😀a", "utf16") == 3  # Telegram counts UTF-16 units: an emoji is two
    assert measure("😀a", "chars") == 2


def test_text_that_fits_is_one_part_without_a_number():
    assert split_message("hello\n\nworld", 100, "bytes") == ["hello\n\nworld"]


def test_parts_are_numbered_and_within_the_limit_in_bytes():
    text = "\n".join(f"- 第 {i} 项：修复了调度器中的竞争条件" for i in range(200))
    parts = split_message(text, 500, "bytes")
    assert len(parts) > 5
    assert all(measure(part, "bytes") <= 500 for part in parts)
    assert [part.split("\n", 1)[0] for part in parts] == [label(i, len(parts)) for i in range(1, len(parts) + 1)]
    # lines are kept whole: every list item is in one part
    kept = [line for part in strip_labels(parts) for line in part.split("\n")]
    assert kept == text.split("\n")


def test_paragraph_breaks_are_preferred_over_line_breaks():
    paragraphs = ["\n".join(f"p{p} line {i}" for i in range(5)) for p in range(6)]
    parts = strip_labels(split_message("\n\n".join(paragraphs), 120, "chars"))
    for part in parts:  # each part is made of whole paragraphs
        assert all(block in paragraphs for block in part.split("\n\n"))


def test_a_long_chinese_line_is_cut_between_characters_and_stays_valid_utf8():
    text = "这是一段没有空格的中文" * 400
    parts = split_message(text, 2048, "bytes")
    assert all(measure(p, "bytes") <= 2048 for p in parts)
    assert all(p.encode("utf-8").decode("utf-8") == p for p in parts)
    assert squash("".join(strip_labels(parts))) == squash(text)


def test_links_and_constructs_are_never_cut():
    items = [
        "[中文链接文本很长很长](https://github.com/ai-dynamo/dynamo/commit/" + "a" * 40 + ")",
        "<https://example.com/a/b/c?d=e>",
        "<https://hooks.example.com/x|Slack 链接>",
        "`some code span with spaces`",
        "**bold words here**",
        '<font color="warning">橙红色 文字</font>',
        "https://example.com/bare/url/that/is/long",
        "\\*escaped\\*",
        "&amp;&lt;",
    ]
    line = " ".join(items * 30)
    parts = split_message(line, 300, "bytes")
    joined = "\n".join(strip_labels(parts))
    for item in items:
        assert joined.count(item) == 30, item


def test_grapheme_clusters_stay_whole():
    family = "👨\u200d👩\u200d👧\u200d👦"
    flag = "🇨🇳"
    accented = "e\u0301"
    text = (family + flag + accented) * 200
    parts = strip_labels(split_message(text, 64, "utf16", number=False))
    for part in parts:
        assert not part.startswith(("\u200d", "\u0301", "\U0001F1F3"))
        assert not part.endswith("\u200d")
    assert "".join(parts) == text


def test_a_fenced_code_block_cut_in_two_is_closed_and_reopened():
    code = "```python\n" + "\n".join(f"value_{i} = {i}" for i in range(100)) + "\n```"
    parts = strip_labels(split_message("intro\n\n" + code, 400, "chars"))
    fenced = [p for p in parts if "value_" in p]
    assert len(fenced) > 1
    for part in fenced:
        body = part[part.index("```python"):]
        assert body.startswith("```python\n") and body.endswith("\n```")


def test_the_number_label_grows_with_the_part_count():
    parts = split_message("字" * 20000, 100, "bytes")
    assert len(parts) >= 100
    assert parts[-1].startswith(f"({len(parts)}/{len(parts)})\n")
    assert all(measure(p, "bytes") <= 100 for p in parts)


def test_a_limit_too_small_is_refused():
    with pytest.raises(ValueError):
        split_message("x" * 100, 8)


# --- properties --------------------------------------------------------------------------------------

_words = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="[]()`*_<>\\&"),
    min_size=1, max_size=30,
)
_links = st.builds(
    lambda text, path: f"[{text}](https://example.com/{path})",
    st.text(alphabet="abc 中文xyz😀", min_size=1, max_size=20).filter(lambda t: t.strip()),
    st.text(alphabet="abcdef0123456789/-", max_size=40),
)
_pieces = st.lists(st.one_of(_words, _links, st.sampled_from(["\n", "\n\n", " ", "- ", "## "])), max_size=120)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(pieces=_pieces, limit=st.integers(min_value=100, max_value=600),
       unit=st.sampled_from(["bytes", "chars", "utf16"]))
def test_property_parts_fit_are_valid_utf8_and_keep_links_and_content(pieces, limit, unit):
    text = "".join(pieces)
    parts = split_message(text, limit, unit)
    for part in parts:
        assert measure(part, unit) <= limit
        assert part.encode("utf-8").decode("utf-8") == part  # no lone surrogate, no cut character
    body = strip_labels(parts)
    links = LINK.findall(text)
    found = [link for part in body for link in LINK.findall(part)]
    assert found == links  # every link whole, in order, in exactly one part
    assert squash("".join(body)) == squash(text.strip("\n"))


@example(text="\x80\u0800\u0800\u093a\u093a\u093a", limit=16)  # one cluster over the part budget
@settings(max_examples=200, deadline=None)
@given(text=st.text(min_size=0, max_size=3000).filter(lambda t: "\ud800" not in t),
       limit=st.integers(min_value=16, max_value=400))
def test_property_any_text_fits_in_bytes(text, limit):
    parts = split_message(text, limit, "bytes")
    assert all(measure(part, "bytes") <= limit for part in parts)
    assert squash("".join(strip_labels(parts))) == squash(text.strip("\n"))
