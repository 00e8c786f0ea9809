"""Heading anchors follow github-slugger, so links into a report resolve on GitHub."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commitwatch.render.anchors import Slugger, slugify


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Hello World", "hello-world"),
        ("heading with a - dash", "heading-with-a---dash"),
        ("heading with an _ underscore", "heading-with-an-_-underscore"),
        ("heading with a period.txt", "heading-with-a-periodtxt"),
        (
            "exchange.bind_headers(exchange, routing [, bindCallback])",
            "exchangebind_headersexchange-routing--bindcallback",
        ),
        (" a ", "-a-"),
        ("apostrophe’s should be trimmed", "apostrophes-should-be-trimmed"),
        ("I ♥ unicode", "i--unicode"),
        ("en–dash em—dash", "endash-emdash"),
        ("😄 - an emoji", "---an-emoji"),
        (":ok_hand: Single", "ok_hand-single"),
        ("Привет non-latin 你好", "привет-non-latin-你好"),
        # the report's own headings
        ("每日更新报告（2026-02-07）", "每日更新报告2026-02-07"),
        ("ai-dynamo/dynamo", "ai-dynamodynamo"),
        ("📊 统计摘要", "-统计摘要"),
        ("🔴 高重要度变更 (9)", "-高重要度变更-9"),
        (
            "feat(mocker): add optional KV cache allocation/eviction trace (#6052)",
            "featmocker-add-optional-kv-cache-allocationeviction-trace-6052",
        ),
        ("修复：中文标点（括号）、顿号。“引号”", "修复中文标点括号顿号引号"),
        # categories: other numbers, separators and controls go; letter numbers, marks and Ⓐ stay
        ("a² ½ ①b", "a--b"),
        ("Ⅻ x", "ⅻ-x"),
        ("e\u0301", "e\u0301"),
        ("Ⓐ🄰🅊", "ⓐ🄰"),
        ("a\u00a0b\u3000c\td\u2028e", "abcde"),
        ("a$+<=>^`|~b", "ab"),
        ("...", ""),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_duplicates_get_numbered_in_document_order() -> None:
    slugger = Slugger()
    got = [slugger.slug(t) for t in ["echo", "echo", "echo 1", "echo-1", "echo", "foxtrot-1", "foxtrot", "foxtrot"]]
    assert got == ["echo", "echo-1", "echo-1-1", "echo-1-2", "echo-2", "foxtrot-1", "foxtrot", "foxtrot-2"]


def test_generated_suffix_never_collides_with_a_literal_heading() -> None:
    slugger = Slugger()
    assert [slugger.slug(t) for t in ["foo-1", "foo", "foo", "foo"]] == ["foo-1", "foo", "foo-2", "foo-3"]
    slugger.reset()
    assert [slugger.slug(t) for t in [" a ", "-a-"]] == ["-a-", "-a--1"]


def test_empty_slugs_are_numbered_too() -> None:
    slugger = Slugger()
    assert [slugger.slug(t) for t in ["...", "!!!", "🎉"]] == ["", "-1", "-2"]


@given(st.lists(st.text(max_size=20), max_size=30))
@settings(max_examples=300)
def test_slugger_slugs_are_unique(texts: list[str]) -> None:
    slugger = Slugger()
    slugs = [slugger.slug(t) for t in texts]
    assert len(set(slugs)) == len(slugs)


@given(st.text())
@settings(max_examples=500)
def test_slug_has_no_spaces_or_ascii_punctuation_but_dash_and_underscore(text: str) -> None:
    slug = slugify(text)
    assert not set(slug) & (set(string.punctuation + string.whitespace) - {"-", "_"})


@given(st.text())
@settings(max_examples=300)
def test_slugify_is_idempotent(text: str) -> None:
    assert slugify(slugify(text)) == slugify(text)
