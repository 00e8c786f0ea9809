"""Hostile text for the HTML tests, and a stdlib parser that lists what a page would run or fetch.

    page = parse(html_text)
    page.tags            # every element name, in order
    page.scripts         # the text of each <script>
    page.dangers()       # event handlers, javascript:/data: links, elements that fetch or embed
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

HOSTILE = (
    "<script>alert(1)</script>",
    "</script><script>alert(2)</script>",
    "<img src=x onerror=alert(3)>",
    "[x](javascript:alert(4))",
    "[y](JaVaScRiPt:alert(5)) [z](data:text/html,<b>6</b>) [v](vbscript:x)",
    '"><svg onload=alert(7)>',
    "<a href=\"javascript:alert(8)\">a</a>",
    "![img](https://evil.example/pixel.png)",
    "<style>body{display:none}</style><link rel=stylesheet href=https://evil.example/x.css>",
    "<iframe src=https://evil.example/></iframe>",
    "{{ 7*7 }} {% raw %} ${7*7}",
    "\u202egnp.exe",
    "<!-- comment --><![CDATA[x]]>",
)

# tags a page may contain; anything else came from data
PAGE_TAGS = frozenset({
    "html", "head", "meta", "title", "style", "body", "a", "main", "header", "h1", "h2", "h3", "p", "span", "div",
    "strong", "ul", "li", "section", "svg", "text", "rect", "form", "label", "select", "option", "button", "table",
    "thead", "tbody", "tr", "th", "td", "article", "code", "time", "details", "summary", "footer", "br", "em", "s",
    "script", "nav", "ol", "small", "abbr", "g", "line", "path", "polyline", "circle",
})
FETCHING = frozenset({"img", "iframe", "object", "embed", "link", "video", "audio", "source", "frame", "base", "image",
                      "use", "input"})


@dataclass
class Page:
    tags: list[str] = field(default_factory=list)
    attrs: list[tuple[str, str, str]] = field(default_factory=list)  # (tag, name, value)
    scripts: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def dangers(self, *, site: bool = False) -> list[str]:
        """What would run or fetch. ``site``: pages of the static site, which may link relatively
        (``../../2026/x.html``, no scheme) and name their feed with ``<link rel="alternate">``."""
        alternates = site and ("link", "rel", "alternate") in self.attrs
        found = [f"<{t}>" for t in self.tags if (t in FETCHING and not (t == "link" and alternates))
                 or t not in PAGE_TAGS | {"link"}]
        for tag, name, value in self.attrs:
            low = value.strip().lower()
            if name.startswith("on"):
                found.append(f"{tag}[{name}]")
            relative = site and ":" not in low.split("/", 1)[0] and not low.startswith("//")
            if name in ("href", "src", "action", "formaction", "xlink:href") and not (
                low.startswith(("https://", "http://", "#")) or low == "" or relative
            ):
                found.append(f"{tag}[{name}={value}]")
            if name == "style":
                found.append(f"{tag}[style]")
        return found


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.tags.append(tag)
        self.page.attrs += [(tag, name, value or "") for name, value in attrs]
        if tag in ("script", "style"):
            self._in = tag
            (self.page.scripts if tag == "script" else self.page.styles).append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            self.page.scripts[-1] += data
        elif self._in == "style":
            self.page.styles[-1] += data
        else:
            self.page.text.append(data)


def parse(text: str) -> Page:
    parser = _Parser()
    parser.feed(text)
    parser.close()
    return parser.page


def hostile_report(language: str = "en"):  # -> ReportData
    """Every text field of a report (commit and model) set to hostile strings."""
    from commitwatch.models import (
        Analysis,
        ChangeType,
        Impact,
        Importance,
        Insights,
        Recommendation,
        ReportData,
        Risk,
        Usage,
    )
    from tests.reportdata import DAY_WINDOW, DYNAMO, GENERATED_AT, commit, entry, f

    entries = []
    levels = (Importance.HIGH, Importance.MEDIUM, Importance.LOW)
    for i, text in enumerate(HOSTILE):
        c = commit(f"hostile-{i}", f"fix: {text} (#{i + 1})", f"2026-02-07T{10 + i % 10:02d}:00:00+08:00",
                   author=text, body=text, files=(f(f"src/{text}/x.py", 3, 1), f(f"{text}.md", 1, 0)))
        analysis = Analysis(
            change_type=ChangeType.FIX, importance=levels[i % 3], importance_reason=text, summary=[text, f"`{text}`"],
            impact=[Impact(area=text, detail=text)],
            insights=Insights(architecture=[text], performance=[text], security=[text], compatibility=[text]),
            risks=[Risk(title=text, detail=text, severity="high")],
            recommendations=[Recommendation(audience=text, text=text)], conclusion=text,
        )
        entries.append(entry(c, ChangeType.FIX, levels[i % 3], analysis=analysis if i % 4 else None,
                             analyzer="llm" if i % 4 else "rules-fallback", fallback_reason=None if i % 4 else text,
                             files_left_out=(text,)))
    return ReportData(repo=DYNAMO, branch=HOSTILE[0], window=DAY_WINDOW, language=language, analyzer_kind="llm",
                      model=HOSTILE[2], entries=entries, generated_at=GENERATED_AT, warnings=list(HOSTILE),
                      usage=Usage(requests=1), highlights=list(HOSTILE))
