"""The JSON report: the machine contract (``--format json``). ``schema_version`` 1.

Fields may be added; none is renamed or removed without a ``schema_version`` bump. Keys appear in the
order listed; times are ISO 8601 with the offset of the report's time zone (``window.tz``).

Top level:

- ``schema_version``: 1
- ``repo``: the repository name the report shows (``"ai-dynamo/dynamo"`` or a directory name)
- ``branch``: the branch read
- ``window``: ``{start, end, tz}``, the half-open interval ``[start, end)`` of committer time
- ``language``: ``"zh-CN"`` or ``"en"``
- ``analyzer``: ``{kind: "llm" | "rules", model: str | null}``
- ``stats``: ``{total, high, medium, low}``
- ``commits``: list, newest first (the table's order), each:

  - ``sha``, ``short_sha``, ``committed_at``, ``author`` (name), ``subject`` (first line only),
    ``url`` (commit page, or null without a GitHub identity)
  - ``pr``: the pull request the commit landed through, ``{number, title, url, labels: [str]}``, or
    null when it is not known (no GitHub identity, no token, no network, or no pull request); added in
    schema_version 1 (additive)
  - ``change_type``: feature, fix, perf, refactor, docs, test, ci, build, deps, chore, style,
    revert, security, merge, other
  - ``importance``: high, medium, low
  - ``analyzer``: ``"llm"``, ``"rules"`` or ``"rules-fallback"``; ``fallback_reason``: why the LLM
    analysis failed, or null
  - ``files``: ``[{path, status, additions, deletions, old_path, binary, category}]`` where ``status``
    is git's letter (A, M, D, R, C, T), ``old_path`` is set for renames and copies, ``category`` is the
    triage file category (source, test, config, docs, build, ci, lockfile, generated, vendored, binary,
    other) or null when unknown
  - ``analysis``: the LLM's structured analysis, or **null when no LLM analysis exists** (analyzer
    ``rules`` or ``rules-fallback``): ``{change_type, importance, importance_reason, summary: [str],
    impact: [{area, detail}], insights: {architecture, performance, security, compatibility: [str]},
    risks: [{title, detail, severity}], recommendations: [{audience, text}], conclusion}``. What the
    rules decided is always in ``triage``; read it whenever ``analysis`` is null.
  - additions: ``body`` (the rest of the message), ``parents`` (SHAs), ``authored_at``,
    ``author_email``, ``committer``, ``committer_email``, ``additions``, ``deletions`` (totals),
    ``triage`` ``{change_type, importance, score, breaking, bot, reasons: [{key, args, text, weight}],
    top_dirs: [{path, files, additions, deletions}]}`` (``text`` is the reason in the report's
    language), ``coverage`` (share 0..1 of changed lines shown to the model, or null),
    ``files_left_out`` (paths not shown to the model) and ``signals`` (facts from the diff:
    ``{interfaces, dependencies, advisories, reverts, performance, floor, floor_reason}``, see
    docs/json-report.md), ``brought_in_by`` (the SHA of the sync or subtree merge of the report that
    brings the commit in, which Markdown and HTML show it under; else null)

- ``warnings``: list of strings (the report's header warnings)
- ``usage``: ``{requests, prompt_tokens, completion_tokens}``
- additions: ``highlights`` (list of strings), ``generated_at``, ``day`` (``"YYYY-MM-DD"`` for a
  calendar-day window, else null), ``github`` (``"owner/name"`` or null)

    text = render_json(report)          # what --format json writes
    data = report_to_dict(report)       # the same as Python data
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from commitwatch import i18n
from commitwatch.i18n import Translator
from commitwatch.models import CommitEntry, ReportData, Triage
from commitwatch.render.offline import brought_in

SCHEMA_VERSION = 1


def _iso(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).isoformat(timespec="seconds")


def _commit(entry: CommitEntry, report: ReportData, tz: ZoneInfo, tr: Translator) -> dict[str, Any]:
    commit = entry.commit
    triage = entry.triage
    categories = triage.categories if len(triage.categories) == len(commit.files) else ()
    files = [
        {
            "path": f.path,
            "status": f.status,
            "additions": f.additions,
            "deletions": f.deletions,
            "old_path": f.old_path,
            "binary": f.binary,
            "category": categories[i].value if categories else None,
        }
        for i, f in enumerate(commit.files)
    ]
    return {
        "sha": commit.sha,
        "short_sha": commit.short_sha,
        "committed_at": _iso(commit.committed_at, tz),
        "author": commit.author.name,
        "subject": commit.subject,
        "url": report.repo.commit_url(commit.sha),
        "change_type": entry.change_type.value,
        "importance": entry.importance.value,
        "analyzer": entry.analyzer,
        "fallback_reason": entry.fallback_reason,
        "files": files,
        "analysis": entry.analysis.model_dump(mode="json") if entry.analysis is not None else None,
        "rules_importance": entry.triage.importance.value,
        "body": commit.body,
        "parents": list(commit.parents),
        "authored_at": _iso(commit.authored_at, tz),
        "author_email": commit.author.email,
        "committer": commit.committer.name,
        "committer_email": commit.committer.email,
        "additions": commit.additions,
        "deletions": commit.deletions,
        "triage": {
            "change_type": triage.change_type.value,
            "importance": triage.importance.value,
            "score": triage.score,
            "breaking": triage.breaking,
            "bot": triage.bot,
            "reasons": [
                {"key": r.key, "args": r.arg_dict(), "text": tr.reason(r), "weight": r.weight} for r in triage.reasons
            ],
            "top_dirs": [
                {"path": d.path, "files": d.files, "additions": d.additions, "deletions": d.deletions}
                for d in triage.top_dirs
            ],
        },
        "coverage": entry.coverage,
        "files_left_out": list(entry.files_left_out),
        "pr": _pull(entry),
        "notes": list(commit.notes),
        "missing_objects": list(commit.missing_objects),
        "signals": _signals(triage),
    }


def _signals(triage: Triage) -> dict[str, Any]:
    """The facts the diff and message state (see ``commitwatch.signals``), with the floor they set."""
    signals = triage.signals
    return {
        "interfaces": [
            {
                "kind": c.kind,
                "name": c.name,
                "change": c.change,
                "path": c.path,
                "new_name": c.new_name,
                "old_default": c.old_default,
                "new_default": c.new_default,
                "breaking": c.breaking,
            }
            for c in signals.interfaces
        ],
        "dependencies": [
            {"name": d.name, "old": d.old, "new": d.new, "path": d.path, "major": d.major} for d in signals.dependencies
        ],
        "advisories": list(signals.advisories),
        "reverts": signals.reverts,
        "performance": [{"metric": p.metric, "delta": p.delta, "context": p.context} for p in signals.performance],
        "floor": triage.floor.value if triage.floor is not None else None,
        "floor_reason": triage.floor_reason.key if triage.floor_reason is not None else None,
    }


def _pull(entry: CommitEntry) -> dict[str, Any] | None:
    pr = entry.pr
    if pr is None:
        return None
    return {"number": pr.number, "title": pr.title, "url": pr.url, "labels": list(pr.labels)}


def report_to_dict(report: ReportData, *, translator: Translator | None = None) -> dict[str, Any]:
    """The JSON document as Python data (see the module docstring for every field)."""
    tr = translator if translator is not None else i18n.translator(report.language)
    tz = ZoneInfo(report.window.tz)
    stats = report.stats
    synced = brought_in(report.entries)  # commits a sync merge of the window brings in (render/offline.py)
    return {
        "schema_version": SCHEMA_VERSION,
        "repo": report.repo.name,
        "branch": report.branch,
        "window": {
            "start": _iso(report.window.start, tz),
            "end": _iso(report.window.end, tz),
            "tz": report.window.tz,
        },
        "language": report.language,
        "analyzer": {"kind": report.analyzer_kind, "model": report.model},
        "stats": {"total": stats.total, "high": stats.high, "medium": stats.medium, "low": stats.low},
        "commits": [{**_commit(e, report, tz, tr), "brought_in_by": synced.get(e.commit.sha)} for e in report.entries],
        "warnings": list(report.warnings),
        "usage": {
            "requests": report.usage.requests,
            "prompt_tokens": report.usage.prompt_tokens,
            "completion_tokens": report.usage.completion_tokens,
        },
        "highlights": list(report.highlights),
        "generated_at": _iso(report.generated_at, tz),
        "day": report.window.day.isoformat() if report.window.day is not None else None,
        "github": report.repo.github,
    }


def render_json(report: ReportData, *, translator: Translator | None = None) -> str:
    """The JSON document as text: UTF-8 characters unescaped, 2-space indent, one final newline."""
    return json.dumps(report_to_dict(report, translator=translator), ensure_ascii=False, indent=2) + "\n"
