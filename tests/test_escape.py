"""Untrusted text escaped for Markdown renders back to itself as plain text, wherever we put it."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from commitwatch.render.escape import (
    code_span,
    escape_cell,
    escape_inline,
    escape_prose,
    link_destination,
    normalize,
    shorten,
    unescape,
)
from tests.reportdata import inline_text, markdown_parser

# Text that leans on Markdown's special characters, plus anything Unicode.
MARKUPISH = st.lists(
    st.one_of(
        st.sampled_from(list("\\`*_[]<>&#|~$!-+=.():;@/ \t\n\r0123456789abc")),
        st.sampled_from(["http://", "www.", "&amp;", "<b>", "</details>", "```", "---", "1. ", "# ", "> ", "|-|"]),
        st.characters(),
    ),
    max_size=40,
).map("".join)
HOSTILE = [
    "# heading",
    "- item",
    "+ item",
    "* item",
    "1. item",
    "12) item",
    "> quote",
    "    indented code",
    "```\ncode\n```",
    "~~~",
    "---",
    "***",
    "===",
    "<script>alert(1)</script>",
    "<!-- comment -->",
    "&amp; &#x41; &lt;",
    "[link](http://x) ![img](y) <http://z> [ref]: http://r",
    "*a* _b_ **c** __d__ ~e~ ~~f~~ `g` $h$",
    "a | b | c",
    "trailing backslash \\",
    "line\nbreak\r\nand\u2028separators\u0085",
    "bidi \u202eoverride\u202c",
    "[!NOTE] alert",
    "<details><summary>x</summary>",
    "",
    "   ",
]

FORBIDDEN_INLINE = {"link_open", "image", "em_open", "strong_open", "s_open", "html_inline", "code_inline"}


def blocks(markdown: str) -> list[str]:
    return [tok.type for tok in markdown_parser().parse(markdown)]


def rendered(markdown: str) -> tuple[list[str], str]:
    """(block token types, plain text of the one paragraph's inline content)."""
    tokens = markdown_parser().parse(markdown)
    inline = [tok for tok in tokens if tok.type == "inline"]
    text = inline_text(inline[0]) if inline else ""
    kinds = {child.type for tok in inline for child in tok.children or ()}
    return [tok.type for tok in tokens], text if not (kinds & FORBIDDEN_INLINE) else f"MARKUP {kinds}"


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_renders_as_one_plain_paragraph(text: str) -> None:
    md = escape_inline(text)
    if not normalize(text):
        assert md == ""
        return
    types, plain = rendered(md)
    assert types == ["paragraph_open", "inline", "paragraph_close"]
    assert plain == normalize(text)


@given(MARKUPISH)
@settings(max_examples=400)
@example("1) x")
@example("!")
@example("-")
@example("a\\")
def test_escaped_text_is_one_plain_paragraph(text: str) -> None:
    md = escape_inline(text)
    if not normalize(text):
        return
    types, plain = rendered(md)
    assert types == ["paragraph_open", "inline", "paragraph_close"]
    assert plain == normalize(text)


@given(MARKUPISH)
@settings(max_examples=300)
def test_escaped_text_in_a_list_item_or_heading_stays_there(text: str) -> None:
    md = escape_inline(text)
    if not md:
        return
    item = markdown_parser().parse(f"- {md}\n")
    assert [t.type for t in item if t.type.endswith("_open")] == [
        "bullet_list_open",
        "list_item_open",
        "paragraph_open",
    ]
    heading = markdown_parser().parse(f"#### {md}\n")
    assert [t.type for t in heading] == ["heading_open", "inline", "heading_close"]
    assert inline_text(heading[1]) == normalize(text)


@given(MARKUPISH, MARKUPISH)
@settings(max_examples=300)
@example("a\\|b", "|")
@example("\\", "x")
def test_escaped_cells_keep_the_row_shape(left: str, right: str) -> None:
    a, b = escape_cell(left), escape_cell(right)
    table = f"| x | {a} | y |\n|---|---|---|\n| {b} | {a} | z |\n"
    tokens = markdown_parser().parse(table)
    rows = []
    cells: list[str] = []
    for i, tok in enumerate(tokens):
        if tok.type == "tr_open":
            cells = []
        elif tok.type in ("th_open", "td_open"):
            cells.append(inline_text(tokens[i + 1]))
        elif tok.type == "tr_close":
            rows.append(cells)
    assert rows == [["x", normalize(left), "y"], [normalize(right), normalize(left), "z"]]


@given(MARKUPISH)
@settings(max_examples=400)
def test_round_trip_through_unescape(text: str) -> None:
    assert unescape(escape_inline(text)) == normalize(text)
    assert unescape(escape_cell(text)) == normalize(text)


@given(MARKUPISH)
@settings(max_examples=300)
def test_no_unescaped_angle_bracket_or_line_break(text: str) -> None:
    md = escape_inline(text)
    # every "<" is preceded by an odd number of backslashes
    for match in re.finditer("<", md):
        run = len(md[: match.start()]) - len(md[: match.start()].rstrip("\\"))
        assert run % 2 == 1
    assert "\n" not in md and "\r" not in md


@given(MARKUPISH)
@settings(max_examples=300)
def test_never_starts_a_block(text: str) -> None:
    md = escape_inline(text)
    assert not re.match(r"(#{1,6}(\s|$)|[-+*](\s|$)|[0-9]{1,9}[.)](\s|$)|>|\s|=+$|-+$|[*_]{3,}|```|~~~|<)", md)


@given(MARKUPISH)
@settings(max_examples=300)
def test_prose_keeps_code_spans_and_nothing_else(text: str) -> None:
    md = escape_prose(text)
    if not md:
        return
    tokens = markdown_parser().parse(md)
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    kinds = {child.type for child in tokens[1].children or ()}
    assert kinds <= {"text", "code_inline"}


def test_prose_renders_identifiers_as_code() -> None:
    md = escape_prose("set `DYN_TRACE` and ``a`b`` but not `unclosed")
    tokens = markdown_parser().parse(md)
    codes = [c.content for c in tokens[1].children if c.type == "code_inline"]
    assert codes == ["DYN_TRACE", "a`b"]
    assert inline_text(tokens[1]) == "set DYN_TRACE and a`b but not `unclosed"


@given(MARKUPISH)
@settings(max_examples=300)
@example("`")
@example(" `a` ")
@example("``")
def test_code_span_holds_any_text(text: str) -> None:
    md = code_span(text)
    if not normalize(text):
        assert md == ""
        return
    tokens = markdown_parser().parse(f"x {md} y")
    children = tokens[1].children
    assert [c.type for c in children] == ["text", "code_inline", "text"]
    assert children[1].content == normalize(text)


def test_normalize_collapses_controls_and_shows_bidi_overrides() -> None:
    assert normalize("  a\tb\n\nc\x00d\u2028e \u202eevil\u202c ") == "a b c d e <U+202E>evil<U+202C>"
    assert normalize("tag\U000e0049\U000e0067\U000e006e zero\u200bwidth \u200e") == (
        "tag<U+E0049 +2 invisible> zero<U+200B>width <U+200E>")
    assert normalize("family 👨\u200d👩\u200d👧") == "family 👨\u200d👩\u200d👧"  # emoji joiners stay


def test_shorten_caps_with_an_ellipsis() -> None:
    assert shorten("x" * 10, 10) == "x" * 10
    assert shorten("x" * 11, 10) == "x" * 9 + "…"
    assert len(shorten("word " * 100, 120)) <= 120


def test_link_destination_cannot_end_the_link() -> None:
    url = link_destination("https://example.com/a b)(<c>\n")
    assert not set(url) & set(" ()<>\n")
    assert url.startswith("https://example.com/a%20b%29%28%3Cc%3E")
