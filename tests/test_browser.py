"""The HTML report in a real browser: Debian's Chromium driven by Playwright (no browser download).

- the 31-commit demo day loads with no console error and no request but the page itself; the filters
  work; the page works by keyboard and without scripts; both themes keep text readable; a screenshot is
  taken (``COMMITWATCH_SCREENSHOT_DIR=docs/img`` also copies it there: the README's picture);
- commits whose messages, and model answers (the fake OpenAI server) whose every field, carry
  ``<script>``, ``<img onerror>``, ``javascript:`` links and friends produce no executable markup,
  checked in the live DOM, and no dialog ever opens.

Chromium runs with ``--headless --no-sandbox --disable-gpu --disable-background-networking
--disable-component-update --disable-sync`` and a fresh user-data-dir. Without chromium the tests skip,
except in CI (``CI`` set), where they fail: ``.ci/run`` installs it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from commitwatch.demo import build_demo_repo
from tests.cli import run_cli
from tests.fakes.openai_server import FakeOpenAI, Recorded, Reply, default_answer
from tests.gitrepo import GitRepo
from tests.htmlcheck import HOSTILE

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    reason = None
    if path is None:
        reason = "Debian chromium is not installed (apt-get install chromium; .ci/run does it)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "playwright is not installed (pip install -e '.[dev]')"
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    assert path is not None
    return path


@pytest.fixture(scope="module")
def chromium() -> str:
    return _chromium()


@pytest.fixture(scope="module")
def browser(
    chromium: str, tmp_path_factory: pytest.TempPathFactory, demo: Any, hostile_page: Path
) -> Iterator[Any]:
    """A persistent Chromium context on a fresh user-data-dir (one per test module). The pages are built
    first: Playwright's sync API keeps an event loop running in this thread, and the pipeline runs its
    own (``asyncio.run``)."""
    executable = chromium
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="cw-chromium-", dir=tmp_path_factory.getbasetemp())
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=executable, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1100, "height": 1400}, locale="zh-CN",
        )
        try:
            yield context
        finally:
            context.close()


class Watched:
    """A page with every console message, page error, request and dialog recorded."""

    def __init__(self, context: Any) -> None:
        self.page = context.new_page()
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))

        def dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        self.page.on("dialog", dialog)

    def open(self, path: Path) -> Any:
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")
        return self.page

    def assert_quiet(self, path: Path) -> None:
        assert self.errors == []
        assert [m for m in self.console if m[0] in ("error", "warning")] == []
        assert self.requests == [path.as_uri()]  # the page itself, nothing else
        assert self.dialogs == []


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("browser-demo")
    repo = build_demo_repo(tmp / "cache")
    run_cli("report", "--repo", str(repo), "--date", "2026-02-07", "--no-llm", "--format", "html,json",
            "--output-dir", str(tmp / "out"), env={"COMMITWATCH_DB": str(tmp / "store.db")})
    folder = tmp / "out/2026/dynamo-sample"
    return folder / "2026-02-07.html", json.loads((folder / "2026-02-07.json").read_text(encoding="utf-8"))


def visible(page: Any, selector: str) -> int:
    return int(page.evaluate(f"Array.from(document.querySelectorAll({selector!r})).filter(e => !e.hidden"
                             " && e.offsetParent !== null).length"))


def test_demo_day_loads_quietly_and_the_filters_work(browser, demo, tmp_path: Path) -> None:
    path, doc = demo
    watched = Watched(browser)
    page = watched.open(path)
    assert visible(page, "article") == 31 and page.is_visible("#filters")
    assert page.text_content("#shown") == "31"
    commits = doc["commits"]

    def choose(name: str, value: str) -> None:
        page.select_option(f"select[name={name}]", value)

    choose("imp", "high")
    assert visible(page, "article") == doc["stats"]["high"] == int(page.text_content("#shown") or 0)
    assert visible(page, "tbody tr") == doc["stats"]["high"]
    assert not page.is_visible("#g-low")  # an emptied group hides its heading
    choose("imp", "")
    choose("type", "docs")
    assert visible(page, "article") == sum(1 for c in commits if c["change_type"] == "docs")
    choose("type", "")
    author = page.eval_on_selector("select[name=author] option:nth-child(2)", "o => [o.value, o.textContent]")
    choose("author", author[0])
    assert visible(page, "article") == sum(1 for c in commits if c["author"] == author[1])
    choose("author", "")
    area = page.eval_on_selector("select[name=area] option:nth-child(2)", "o => [o.value, o.textContent]")
    choose("area", area[0])
    expected = sum(1 for c in commits if area[1] in {d["path"] for d in c["triage"]["top_dirs"]})
    assert 0 < visible(page, "article") == expected
    choose("imp", "low")  # filters combine
    assert visible(page, "article") == sum(
        1 for c in commits if c["importance"] == "low" and area[1] in {d["path"] for d in c["triage"]["top_dirs"]}
    )
    page.click("button[type=reset]")
    for _ in range(100):  # the reset applies on the next tick (wait_for_function would eval: the CSP says no)
        if page.text_content("#shown") == "31":
            break
        page.wait_for_timeout(20)
    assert visible(page, "article") == 31
    # a card's analysis folds and unfolds
    details = page.locator("article details").nth(1)
    summary = details.locator("summary")
    was_open = details.evaluate("d => d.open")
    summary.click()
    assert details.evaluate("d => d.open") is not was_open
    shot = tmp_path / "report.png"
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    target = os.environ.get("COMMITWATCH_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(target) / "report.png")
    watched.assert_quiet(path)
    page.close()


def test_keyboard(browser, demo) -> None:
    path, _doc = demo
    watched = Watched(browser)
    page = watched.open(path)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#commits"
    names = []
    for _ in range(8):
        page.keyboard.press("Tab")
        names.append(page.evaluate("document.activeElement.name || document.activeElement.tagName"))
    assert names[:5] == ["imp", "type", "area", "author", "BUTTON"]  # the filters, in order
    page.focus("select[name=imp]")
    page.keyboard.press("ArrowDown")  # the first level present
    assert visible(page, "article") < 31
    watched.assert_quiet(path)
    page.close()


def _contrast(fg: str, bg: str) -> float:
    def channels(css: str) -> list[float]:
        values = [float(v) for v in css[css.index("(") + 1 : css.index(")")].replace(",", " ").split()[:3]]
        out = []
        for v in values:
            c = v / 255
            out.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
        return out

    def luminance(css: str) -> float:
        r, g, b = channels(css)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    a, b = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_both_themes_keep_text_readable(browser, demo, scheme: str) -> None:
    path, _doc = demo
    watched = Watched(browser)
    page = watched.page
    page.emulate_media(color_scheme=scheme)
    watched.open(path)
    pairs = page.evaluate(
        """() => {
          const style = (sel) => { const e = document.querySelector(sel); const s = getComputedStyle(e);
            return [s.color, s.backgroundColor]; };
          const bodyBg = getComputedStyle(document.body).backgroundColor;
          const card = getComputedStyle(document.querySelector('article')).backgroundColor;
          return {
            body: [getComputedStyle(document.body).color, bodyBg],
            meta: [getComputedStyle(document.querySelector('.meta')).color, bodyBg],
            link: [getComputedStyle(document.querySelector('tbody a')).color, bodyBg],
            card_meta: [getComputedStyle(document.querySelector('article .meta')).color, card],
            high: style('.badge.imp-high'), medium: style('.badge.imp-medium'), low: style('.badge.imp-low'),
          };
        }"""
    )
    dark = _contrast("rgb(0, 0, 0)", pairs["body"][1]) < _contrast("rgb(255, 255, 255)", pairs["body"][1])
    assert dark is (scheme == "dark")
    for name, (fg, bg) in pairs.items():
        assert _contrast(fg, bg) >= 4.5, f"{scheme} {name}: {fg} on {bg}"
    watched.assert_quiet(path)
    page.close()


def test_phone_width_has_no_sideways_scroll(browser, demo) -> None:
    path, _doc = demo
    watched = Watched(browser)
    watched.page.set_viewport_size({"width": 360, "height": 800})
    page = watched.open(path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    watched.assert_quiet(path)
    page.close()


def test_readable_without_scripts(browser, demo) -> None:
    path, _doc = demo
    page = browser.new_page()
    cdp = browser.new_cdp_session(page)
    cdp.send("Emulation.setScriptExecutionDisabled", {"value": True})
    page.goto(path.as_uri())
    assert visible(page, "article") == 31
    assert not page.is_visible("#filters")  # nothing to click that would not work
    assert page.is_visible("article h3")
    page.close()


# --- hostile commits and hostile model answers -----------------------------------------------------------


def _hostile(text_index: int) -> str:
    return HOSTILE[text_index % len(HOSTILE)]


def _hostile_answer(request: Recorded) -> Reply:
    answer = default_answer(request, chinese=False)
    if request.is_highlights:
        for i, item in enumerate(answer["highlights"]):
            item["text"] = _hostile(i) + " " + _hostile(i + 3)
        return Reply.json(answer)
    n = len(request.user) % len(HOSTILE)
    answer.update(
        importance="high",
        importance_reason=_hostile(n),
        summary=[_hostile(n + 1), _hostile(n + 2), f"`{_hostile(n + 3)}`"],
        insights={k: [_hostile(n + i)] for i, k in enumerate(("architecture", "performance", "security",
                                                             "compatibility"))},
        risks=[{"title": _hostile(n + 4), "detail": _hostile(n + 5), "severity": "high"}],
        recommendations=[{"audience": _hostile(n + 6), "text": _hostile(n + 7)}],
        conclusion=_hostile(n + 8),
    )
    answer["impact"][0]["detail"] = _hostile(n + 9)
    return Reply.json(answer)


@pytest.fixture(scope="module")
def hostile_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("browser-hostile")
    repo = GitRepo.create(tmp / "repo")
    for i, text in enumerate(HOSTILE):
        repo.write(f"src/mod{i}.py", f"x = {i}\n")
        repo.commit(f"fix: {text} (#{i + 1})\n\n{text}\n{_hostile(i + 1)}",
                    committed=f"2026-02-07T{8 + i:02d}:00:00+08:00", author=(text[:40] or "x", "a@example.com"))
    with FakeOpenAI(responder=_hostile_answer) as server:
        config = tmp / "cw.toml"
        config.write_text(f'[llm]\nbase_url = "{server.base_url}"\nmodel = "fake-model"\n'
                          '[[repos]]\nrepo = "' + str(repo.path) + '"\ngithub = "acme/engine"\n', encoding="utf-8")
        run_cli("report", "--config", str(config), "--date", "2026-02-07", "--format", "html", "--lang", "en",
                "--output-dir", str(tmp / "out"),
                env={"COMMITWATCH_DB": str(tmp / "store.db"), "COMMITWATCH_LLM_API_KEY": "sk-test"})
        assert len(server.analysis_requests()) == len(HOSTILE)
    return next((tmp / "out").rglob("*.html"))


def test_hostile_commits_and_answers_produce_no_executable_markup(browser, hostile_page: Path) -> None:
    watched = Watched(browser)
    page = watched.open(hostile_page)
    folded = page.locator("article details:not([open]) summary")
    if folded.count():  # unfold one: what a click shows is checked too
        folded.first.click()
    found = page.evaluate(
        """() => {
          const all = Array.from(document.querySelectorAll('*'));
          return {
            scripts: document.scripts.length,
            handlers: all.flatMap(e => Array.from(e.attributes).filter(a => a.name.startsWith('on'))
                                              .map(a => e.tagName + '[' + a.name + ']')),
            links: Array.from(document.querySelectorAll('[href],[src],[action],[formaction]'))
                     .map(e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action')
                               || e.getAttribute('formaction')),
            embeds: document.querySelectorAll('img,iframe,object,embed,video,audio,link,base,frame,svg image,' +
                                              'svg use,input,textarea,style:not(head style)').length,
            styled: document.querySelectorAll('[style]').length,
            svgs: document.querySelectorAll('svg').length,
            articles: document.querySelectorAll('article').length,
            text: document.body.innerText,
          };
        }"""
    )
    assert found["scripts"] == 1  # the page's own
    assert found["handlers"] == []
    assert found["embeds"] == 0 and found["styled"] == 0
    assert found["svgs"] == 2  # the two charts, no injected one
    assert all(link.startswith(("#", "https://", "http://")) for link in found["links"]), found["links"]
    assert found["articles"] == len(HOSTILE)
    for text in ("<script>alert(1)</script>", "<img src=x onerror=alert(3)>", "[x](javascript:alert(4))"):
        assert text in found["text"]  # shown as text, to commit and to model text alike
    page.select_option("select[name=imp]", "high")
    page.wait_for_timeout(50)
    watched.assert_quiet(hostile_page)
    page.close()
