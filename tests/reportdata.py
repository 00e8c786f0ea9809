"""Sample ``ReportData`` built in code, with fixed SHAs and dates, for renderer tests.

    report = llm_report("zh-CN")       # LLM analyses at every depth, a fallback, coverage, warnings
    report = rules_report("en")        # rules only, a merge, a local repository (no links)
    report = tricky_report("zh-CN")    # hostile and duplicate subjects, a range window
    report = empty_report("en")        # a day without commits

Reason keys start with ``fixture.``; their texts live in ``tests/golden/locales/<lang>/reasons.toml``
(pass ``translator(lang)`` from here to a renderer to use them). ``fixture.unknown`` has no text on
purpose, to show the fallback.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from commitwatch.i18n import Translator
from commitwatch.models import (
    Analysis,
    ChangeType,
    Commit,
    CommitEntry,
    DirStat,
    FileCategory,
    FileChange,
    Impact,
    Importance,
    Insights,
    Person,
    Reason,
    Recommendation,
    RepoRef,
    ReportData,
    Risk,
    Triage,
    Usage,
    Window,
)

FIXTURE_LOCALES = Path(__file__).parent / "golden" / "locales"
SHANGHAI = timezone(timedelta(hours=8))
GENERATED_AT = datetime(2026, 2, 8, 0, 5, 0, tzinfo=timezone.utc)
DAY = date(2026, 2, 7)
DAY_WINDOW = Window(
    start=datetime(2026, 2, 7, tzinfo=SHANGHAI),
    end=datetime(2026, 2, 8, tzinfo=SHANGHAI),
    tz="Asia/Shanghai",
    day=DAY,
)
RANGE_WINDOW = Window(
    start=datetime(2026, 2, 5, 9, 30, tzinfo=SHANGHAI),
    end=datetime(2026, 2, 7, 18, 0, tzinfo=SHANGHAI),
    tz="Asia/Shanghai",
)
DYNAMO = RepoRef(
    spec="ai-dynamo/dynamo",
    kind="remote",
    name="ai-dynamo/dynamo",
    slug="ai-dynamo-dynamo",
    url="https://github.com/ai-dynamo/dynamo.git",
    github="ai-dynamo/dynamo",
)
LOCAL = RepoRef(spec="/srv/src/engine", kind="local", name="engine", slug="engine", path="/srv/src/engine")


def translator(language: str) -> Translator:
    """The packaged catalogs plus the fixture reason texts."""
    return Translator(language, extra_dirs=[FIXTURE_LOCALES])


def sha(seed: str) -> str:
    """A fixed 40-hex SHA for a seed."""
    return hashlib.sha1(seed.encode()).hexdigest()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def commit(
    seed: str,
    subject: str,
    committed: str,
    *,
    author: str = "Ada Lovelace",
    body: str = "",
    files: tuple[FileChange, ...] = (),
    parents: int = 1,
) -> Commit:
    person = Person(author, f"{author.lower().replace(' ', '.')}@example.com")
    return Commit(
        sha=sha(seed),
        parents=tuple(sha(f"{seed}^{i}") for i in range(parents)),
        author=person,
        authored_at=at(committed) - timedelta(hours=3),
        committer=Person("GitHub", "noreply@github.com"),
        committed_at=at(committed),
        subject=subject,
        body=body,
        files=files,
    )


def triage(
    commit: Commit,
    change_type: ChangeType,
    importance: Importance,
    reasons: tuple[Reason, ...] = (),
    *,
    score: int = 0,
) -> Triage:
    dirs: dict[str, list[int]] = {}
    for f in commit.files:
        top = f.path.split("/", 1)[0] if "/" in f.path else "."
        stat = dirs.setdefault(top, [0, 0, 0])
        stat[0] += 1
        stat[1] += f.additions
        stat[2] += f.deletions
    top_dirs = tuple(DirStat(path, n, a, d) for path, (n, a, d) in sorted(dirs.items(), key=lambda kv: -kv[1][1]))
    categories = tuple(
        FileCategory.DOCS
        if f.path.endswith(".md")
        else FileCategory.LOCKFILE
        if f.path.endswith(".lock")
        else FileCategory.SOURCE
        for f in commit.files
    )
    return Triage(change_type, importance, score, reasons, categories, top_dirs)


def entry(
    commit: Commit,
    change_type: ChangeType,
    importance: Importance,
    *,
    reasons: tuple[Reason, ...] = (),
    analysis: Analysis | None = None,
    analyzer: str = "rules",
    fallback_reason: str | None = None,
    coverage: float | None = None,
    files_left_out: tuple[str, ...] = (),
) -> CommitEntry:
    return CommitEntry(
        commit=commit,
        triage=triage(commit, change_type, importance, reasons, score=sum(r.weight for r in reasons)),
        change_type=change_type,
        importance=importance,
        analyzer=analyzer,  # type: ignore[arg-type]
        fallback_reason=fallback_reason,
        analysis=analysis,
        coverage=coverage,
        files_left_out=files_left_out,
    )


def f(path: str, additions: int = 1, deletions: int = 0, status: str = "M", **kw: object) -> FileChange:
    return FileChange(path, status, additions, deletions, **kw)  # type: ignore[arg-type]


TYPE_REASON = Reason("fixture.type_prefix", (("type", "feat"),), 3)
SOURCE_REASON = Reason("fixture.source_files", (("count", "4"),), 2)
DOCS_REASON = Reason("fixture.docs_only", (), -2)
UNKNOWN_REASON = Reason("fixture.unknown", (("tag", "[Bugfix]"),), 1)

_TEXT = {
    "zh-CN": {
        "mocker.summary": [
            "为 KV 管理器引入可选的分配/回收跟踪日志，由环境变量 `DYN_MOCKER_KV_CACHE_TRACE` 控制。",
            "新增 `dynamo-runtime` 依赖并定义对应的环境变量常量。",
        ],
        "mocker.impact": [("lib/mocker", "核心 KV 管理器"), ("lib/runtime/src/config.rs", "环境变量配置")],
        "mocker.arch": ["通过 LazyLock 在首次使用时读取开关，关闭时几乎零开销。"],
        "mocker.perf": ["开启后每次块分配都会写日志，高吞吐下日志量很大。"],
        "mocker.risk": ("日志量激增", "大规模模拟时开启跟踪可能耗尽磁盘空间。"),
        "mocker.rec": ("运维", "生产环境默认关闭该开关，并配合日志轮转。"),
        "mocker.conclusion": "可观测性改进，默认关闭，风险可控。",
        "mocker.reason": "新增运行时依赖并改动核心路径",
        "nats.summary": ["将 NATS 消费者的 inactive_threshold 从 1 小时降为 2 分钟。"],
        "nats.impact": [("lib/runtime", "消息消费者生命周期")],
        "nats.rec": ("开发者", "检查依赖长时间空闲消费者的代码路径。"),
        "docs.summary": ["在 KVBM 与 Router 指南中新增快速入门章节。"],
        "dp.summary": ["将 DP rank 从 Dynamo 路由器正确传递给 vLLM 引擎。"],
        "warning": "1 个提交的 LLM 分析失败，已回退到规则分析（HTTP 400）。",
        "highlights": ["mocker 新增 KV 缓存跟踪（默认关闭）。", "NATS 消费者空闲阈值大幅缩短，注意行为变化。"],
    },
    "en": {
        "mocker.summary": [
            "Adds optional allocation/eviction trace logs to the KV manager, switched by `DYN_MOCKER_KV_CACHE_TRACE`.",
            "Adds the `dynamo-runtime` dependency and defines the environment variable constant.",
        ],
        "mocker.impact": [("lib/mocker", "core KV manager"), ("lib/runtime/src/config.rs", "environment settings")],
        "mocker.arch": ["The switch is read once through a LazyLock; almost free when off."],
        "mocker.perf": ["When on, every block allocation logs a line; heavy under high throughput."],
        "mocker.risk": ("Log volume", "Tracing in large simulations can fill the disk."),
        "mocker.rec": ("Operators", "Keep the switch off in production and rotate logs."),
        "mocker.conclusion": "An observability improvement, off by default, low risk.",
        "mocker.reason": "new runtime dependency on a core path",
        "nats.summary": ["Lowers the NATS consumer inactive_threshold from 1 hour to 2 minutes."],
        "nats.impact": [("lib/runtime", "message consumer lifetime")],
        "nats.rec": ("Developers", "Check code that relies on consumers idling for long."),
        "docs.summary": ["Adds quick start sections to the KVBM and Router guides."],
        "dp.summary": ["Passes the DP rank from the Dynamo router into the vLLM engine."],
        "warning": "LLM analysis failed for 1 commit; it fell back to rules (HTTP 400).",
        "highlights": [
            "The mocker can trace KV cache allocation (off by default).",
            "NATS consumers now expire after 2 idle minutes: watch for behaviour changes.",
        ],
    },
}


def llm_report(language: str = "zh-CN") -> ReportData:
    """Five commits analysed by an LLM (one fell back to rules), in the sample's style."""
    t = _TEXT[language]
    mocker = commit(
        "mocker",
        "feat(mocker): add optional KV cache allocation/eviction trace (#6052)",
        "2026-02-07T03:02:28+00:00",
        author="Yongming Ding",
        body="Adds a trace.\n\nSigned-off-by: Yongming Ding",
        files=(
            f("lib/mocker/src/kv_manager.rs", 60, 12),
            f("lib/mocker/Cargo.toml", 1, 0),
            f("lib/runtime/src/config.rs", 4, 0),
            f("Cargo.lock", 30, 2),
            f("components/src/dynamo/mocker/README.md", 8, 0),
        ),
    )
    nats = commit(
        "nats",
        "fix: reduce NATS consumer inactive_threshold from 1h to 2min (#5861)",
        "2026-02-06T19:02:45-08:00",  # 11:02:45 in Shanghai
        author="Konstantin Korolev",
        files=(f("lib/runtime/src/transports/nats.rs", 2, 2),),
    )
    migration = commit(
        "migration",
        "docs: full migration of docs/ to fern format in fern/ (#6050)",
        "2026-02-07T11:25:02+08:00",
        author="dagil-nvidia",
        files=(
            f("docs/index.md", 0, 120, "D"),
            f("fern/pages/index.mdx", 130, 0, "A"),
            f("fern/pages/guide.mdx", 90, 0, "R", old_path="docs/guide.md", similarity=88),
        ),
    )
    quickstart = commit(
        "quickstart",
        "docs: add quick start sections to KVBM and Router guides (#6043)",
        "2026-02-07T05:17:21+08:00",
        author="akshatha-k",
        files=(f("docs/kvbm.md", 40, 2), f("docs/router.md", 35, 1)),
    )
    dp_rank = commit(
        "dp-rank",
        "fix: Correctly pass DP rank from Dynamo router into vLLM engine (#6014)",
        "2026-02-07T01:48:53+08:00",
        author="Karen Chung",
        files=(f("components/src/dynamo/vllm/handlers.py", 12, 3),),
    )
    mocker_analysis = Analysis(
        change_type=ChangeType.FEATURE,
        importance=Importance.HIGH,
        importance_reason=t["mocker.reason"],
        summary=t["mocker.summary"],
        impact=[Impact(area=a, detail=d) for a, d in t["mocker.impact"]],
        insights=Insights(architecture=t["mocker.arch"], performance=t["mocker.perf"]),
        risks=[Risk(title=t["mocker.risk"][0], detail=t["mocker.risk"][1], severity="medium")],
        recommendations=[Recommendation(audience=t["mocker.rec"][0], text=t["mocker.rec"][1])],
        conclusion=t["mocker.conclusion"],
    )
    dp_analysis = Analysis(  # high, but the model gave no risks and no conclusion
        change_type=ChangeType.FIX,
        importance=Importance.HIGH,
        summary=t["dp.summary"],
        impact=[Impact(area="components/src/dynamo/vllm", detail="")],
    )
    nats_analysis = Analysis(
        change_type=ChangeType.FIX,
        importance=Importance.MEDIUM,
        summary=t["nats.summary"],
        impact=[Impact(area=a, detail=d) for a, d in t["nats.impact"]],
        recommendations=[Recommendation(audience=t["nats.rec"][0], text=t["nats.rec"][1])],
        conclusion="not shown at medium depth",
    )
    docs_analysis = Analysis(
        change_type=ChangeType.DOCS,
        importance=Importance.LOW,
        summary=t["docs.summary"],
        risks=[Risk(title="not shown", detail="at low depth", severity="low")],
    )
    entries = [
        entry(
            migration,
            ChangeType.DOCS,
            Importance.MEDIUM,
            reasons=(DOCS_REASON,),
            analyzer="rules-fallback",
            fallback_reason="HTTP 400 Bad Request: prompt exceeds the context window",
        ),
        entry(nats, ChangeType.FIX, Importance.MEDIUM, analysis=nats_analysis, analyzer="llm", coverage=1.0),
        entry(
            mocker,
            ChangeType.FEATURE,
            Importance.HIGH,
            reasons=(TYPE_REASON, SOURCE_REASON),
            analysis=mocker_analysis,
            analyzer="llm",
            coverage=0.8234,
            files_left_out=("Cargo.lock", "lib/a.lock", "lib/b.lock", "lib/c.lock", "lib/d.lock", "lib/e.lock"),
        ),
        entry(
            quickstart,
            ChangeType.DOCS,
            Importance.LOW,
            analysis=docs_analysis,
            analyzer="llm",
            coverage=0.5,
            files_left_out=("docs/router.md",),
        ),
        entry(dp_rank, ChangeType.FIX, Importance.HIGH, analysis=dp_analysis, analyzer="llm"),
    ]
    return ReportData(
        repo=DYNAMO,
        branch="main",
        window=DAY_WINDOW,
        language=language,
        analyzer_kind="llm",
        model="deepseek-ai/deepseek-v3.1",
        entries=entries,
        generated_at=GENERATED_AT,
        warnings=[t["warning"]],
        usage=Usage(requests=5, prompt_tokens=123_456, completion_tokens=7_890),
        highlights=t["highlights"],
    )


def rules_report(language: str = "zh-CN") -> ReportData:
    """Rules only, on a local repository without a GitHub identity: no links anywhere."""
    feature = commit(
        "rules-feature",
        "[Feature] add paged attention kernel (#77)",
        "2026-02-07T09:00:00+08:00",
        files=(
            f("csrc/attention/paged.cu", 300, 0, "A"),
            f("csrc/attention/paged.cuh", 40, 0, "A"),
            f("tests/test_paged.py", 80, 0, "A"),
            f("README.md", 3, 1),
            f("logo.png", 0, 0, binary=True),
        ),
    )
    merge = commit(
        "rules-merge",
        "Merge branch 'release/0.9' into main",
        "2026-02-07T08:00:00+08:00",
        author="Grace Hopper",
        parents=2,
        files=(f("VERSION", 1, 1),),
    )
    bump = commit(
        "rules-bump",
        "chore(deps): bump bytes from 1.11.0 to 1.11.1",
        "2026-02-07T07:00:00+08:00",
        author="dependabot[bot]",
        files=(f("Cargo.lock", 2, 2),),
    )
    entries = [
        entry(feature, ChangeType.FEATURE, Importance.HIGH, reasons=(TYPE_REASON, SOURCE_REASON, UNKNOWN_REASON)),
        entry(merge, ChangeType.MERGE, Importance.MEDIUM),
        entry(bump, ChangeType.DEPS, Importance.LOW, reasons=(DOCS_REASON,)),
    ]
    return ReportData(
        repo=LOCAL,
        branch="develop",
        window=DAY_WINDOW,
        language=language,
        analyzer_kind="rules",
        model=None,
        entries=entries,
        generated_at=GENERATED_AT,
    )


TRICKY_SUBJECTS = (
    "fix: same subject (#1)",
    "fix: same subject (#1)",
    "foo-1",
    "foo",
    "foo",
    "🎉 feat: emoji 🚀 everywhere ✨",
    "修复：中文标点（括号）、顿号。“引号”",
    "# not a heading",
    "- not a list",
    "1. not a list either",
    "<script>alert(1)</script> <b>bold</b> &amp; &lt;",
    "[link](https://evil.example/) ![img](x.png) <https://auto.example/>",
    "*emph* _under_ **strong** ~~strike~~ `code` $x$ a | b || c \\| d \\",
    "line one\nline two\r\n=== \t tabs",
    "",
    "...",
    "!!!",
    "📊 统计摘要",
    "ai-dynamo/dynamo",
    "x" * 300 + " (#42)",
    "ends with backslash \\",
    "---",
    "> quote",
    "[!NOTE] alert",
)


def tricky_report(language: str = "zh-CN") -> ReportData:
    """Subjects and model text that try to break the Markdown; a range window; duplicate subjects."""
    levels = (Importance.HIGH, Importance.MEDIUM, Importance.LOW)
    entries = []
    for i, subject in enumerate(TRICKY_SUBJECTS):
        c = commit(
            f"tricky-{i}",
            subject,
            (datetime(2026, 2, 7, 12, 0, tzinfo=SHANGHAI) - timedelta(minutes=7 * i)).isoformat(),
            author="Mallory | <b>Evil</b> *Author*" if i % 2 else "李雷",
            files=(f(f"src/{'`weird` | path' if i == 3 else 'mod'}/file{i}.py", i + 1, i),),
        )
        level = levels[i % 3]
        analysis = None
        if i % 2 == 0:
            analysis = Analysis(
                change_type=ChangeType.FIX,
                importance=level,
                importance_reason="# heading\n---",
                summary=["# injected heading", "line\n\n## second heading", "| a | b |\n|---|---|", "</details>"],
                impact=[Impact(area="src/`mod`", detail="[click](javascript:alert(1))")],
                insights=Insights(security=["<img src=x onerror=alert(1)>"], compatibility=[""]),
                risks=[
                    Risk(title="**bold** title", detail="detail\n- item", severity="high"),
                    Risk(title="", detail="untitled risk", severity="low"),
                ],
                recommendations=[
                    Recommendation(audience="@team", text="ping #123"),
                    Recommendation(audience="", text="no audience"),
                ],
                conclusion="1. done\n2. twice",
            )
        entries.append(
            entry(
                c,
                ChangeType.FIX,
                level,
                analysis=analysis,
                analyzer="llm" if analysis else "rules-fallback",
                fallback_reason=None if analysis else "timeout | <b>",
                reasons=(TYPE_REASON,),
                files_left_out=("a|b.lock", "`x`.lock") if i == 4 else (),
            )
        )
    return ReportData(
        repo=DYNAMO,
        branch="feature/`x`|y",
        window=RANGE_WINDOW,
        language=language,
        analyzer_kind="llm",
        model="evil/*model*|x",
        entries=entries,
        generated_at=GENERATED_AT,
        warnings=["# warning heading\n- list", "<b>html</b> | pipe"],
        usage=Usage(requests=1),
        highlights=["# highlight", "[x](y)"],
    )


def empty_report(language: str = "zh-CN") -> ReportData:
    """A day without commits."""
    return ReportData(
        repo=DYNAMO,
        branch="main",
        window=DAY_WINDOW,
        language=language,
        analyzer_kind="rules",
        model=None,
        entries=[],
        generated_at=GENERATED_AT,
    )


# --- reading rendered Markdown back ---------------------------------------------------------------


def markdown_parser():  # type: ignore[no-untyped-def]
    """CommonMark with GFM tables and strikethrough, raw HTML recognised (so a leak shows as HTML tokens)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def inline_text(inline) -> str:  # type: ignore[no-untyped-def]
    """The plain text an inline token renders to (text and code, in order)."""
    parts: list[str] = []
    for child in inline.children or ():
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts)


def headings(markdown: str) -> list[tuple[int, str]]:
    """Every heading of a document as (level, rendered text), in order."""
    tokens = markdown_parser().parse(markdown)
    return [(int(tok.tag[1]), inline_text(tokens[i + 1])) for i, tok in enumerate(tokens) if tok.type == "heading_open"]


def inline_children(markdown: str):  # type: ignore[no-untyped-def]
    """Every inline child token of a document, flattened."""
    for tok in markdown_parser().parse(markdown):
        if tok.type == "inline":
            yield from tok.children or ()
