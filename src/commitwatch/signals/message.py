"""The summary a reader wants from a commit message: the body's first paragraph, without sign-offs,
trailers, checklists, HTML comments and pull-request-template boilerplate."""

from __future__ import annotations

import re

SUMMARY_LIMIT = 320

_COMMENT_RE = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_TRAILER_RE = re.compile(r"^[A-Z][\w-]*(?:-[\w]+)*:\s+\S.*$")
_CHECKBOX_RE = re.compile(r"^\s*[-*]\s*\[[ xX]\]")
_HEADING_RE = re.compile(r"^\s{0,3}#{1,6}\s+(?P<text>.*?)\s*#*\s*$")
_REVERTS_RE = re.compile(r"^This reverts commit [0-9a-f]{7,40}\.?$", re.IGNORECASE)
# Headings and lines that pull request templates put in every description.
_BOILERPLATE_RE = re.compile(
    r"^(?:purpose|summary|description|overview|motivation|what does this pr do\??|changes|details"
    r"|test(?:ing)? plan|test result|checklist|related issues?|(?:fixes|closes|resolves) #?\d*"
    r"|fill in the pr description here.*|essential elements of an effective pr description.*"
    r"|before submitting.*|please .*(?:describe|fill|provide).*|pr type|type of change|breaking changes?\??"
    r"|documentation update|co-authored-by.*|signed-off-by.*|cc @.*)[:.]?$",
    re.IGNORECASE,
)


def summary_from_body(body: str) -> str:
    """The first paragraph of real prose in ``body``, as one line (at most ``SUMMARY_LIMIT`` characters);
    empty when the body holds nothing but template and trailers."""
    text = _COMMENT_RE.sub("", body[:20_000])
    paragraphs: list[list[str]] = [[]]
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            paragraphs.append([])
            continue
        heading = _HEADING_RE.match(line)
        if heading is not None:
            paragraphs.append([])  # a heading ends a paragraph and is never the summary itself
            continue
        if _CHECKBOX_RE.match(line) or _TRAILER_RE.match(line) or _REVERTS_RE.match(line):
            continue
        if _BOILERPLATE_RE.match(line.strip("*_ ")) or set(line) <= set("-=*_|: "):
            paragraphs.append([])
            continue
        paragraphs[-1].append(line)
    for paragraph in paragraphs:
        if paragraph:
            summary = " ".join(" ".join(paragraph).split())
            if len(summary) > SUMMARY_LIMIT:
                summary = summary[: SUMMARY_LIMIT - 1].rstrip() + "…"
            return summary
    return ""
