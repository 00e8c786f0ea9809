"""A lossless snapshot of a ``ReportData`` as JSON-able data, so ``render`` can rebuild a stored report.

    data = report_to_data(report)      # dict of str, int, float, bool, None, lists and dicts
    report = report_from_data(data)    # equal to the original, without patches

Everything a renderer could read is kept: every ``Commit`` and ``FileChange`` field except the patch
text (a decoded commit has ``patches_collected=False`` and every ``FileChange.patch`` is None), the
``Triage`` with its reasons, categories and top directories, the ``Analysis``, times with their own UTC
offsets (ISO 8601, microseconds included), warnings, usage and highlights.

The snapshot carries ``"codec": CODEC_VERSION``. When a field is added to one of these models, teach both
directions here (``tests/test_storage_codec.py`` fails until you do) and keep reading older snapshots:
a missing key takes the field's default.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

from ..models import (
    Analysis,
    ChangeType,
    Commit,
    CommitEntry,
    DependencyChange,
    DirStat,
    FileCategory,
    FileChange,
    Importance,
    InterfaceChange,
    PerformanceClaim,
    Person,
    PullRequest,
    Reason,
    RepoRef,
    ReportData,
    Signals,
    Triage,
    Usage,
    Window,
)

CODEC_VERSION = 1


class CodecError(ValueError):
    """A snapshot this code cannot read (newer codec version or damaged data)."""


# --- small values ------------------------------------------------------------------------------------


def _time(moment: datetime) -> str:
    return moment.isoformat()


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _person(person: Person) -> list[str]:
    return [person.name, person.email]


def usage_to_data(usage: Usage) -> dict[str, int]:
    return {
        "requests": usage.requests,
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
    }


def usage_from_data(data: dict[str, Any]) -> Usage:
    return Usage(int(data["requests"]), int(data["prompt_tokens"]), int(data["completion_tokens"]))


def window_to_data(window: Window) -> dict[str, Any]:
    return {
        "start": _time(window.start),
        "end": _time(window.end),
        "tz": window.tz,
        "day": window.day.isoformat() if window.day is not None else None,
    }


def window_from_data(data: dict[str, Any]) -> Window:
    day = data.get("day")
    return Window(
        start=_parse_time(data["start"]),
        end=_parse_time(data["end"]),
        tz=data["tz"],
        day=date.fromisoformat(day) if day else None,
    )


def repo_to_data(ref: RepoRef) -> dict[str, Any]:
    return {
        "spec": ref.spec,
        "kind": ref.kind,
        "name": ref.name,
        "slug": ref.slug,
        "url": ref.url,
        "path": ref.path,
        "github": ref.github,
    }


def repo_from_data(data: dict[str, Any]) -> RepoRef:
    return RepoRef(
        spec=data["spec"],
        kind=data["kind"],
        name=data["name"],
        slug=data["slug"],
        url=data.get("url"),
        path=data.get("path"),
        github=data.get("github"),
    )


# --- commits -----------------------------------------------------------------------------------------


def file_to_data(change: FileChange) -> dict[str, Any]:
    return {
        "path": change.path,
        "status": change.status,
        "additions": change.additions,
        "deletions": change.deletions,
        "old_path": change.old_path,
        "binary": change.binary,
        "similarity": change.similarity,
    }


def file_from_data(data: dict[str, Any]) -> FileChange:
    return FileChange(
        path=data["path"],
        status=data["status"],
        additions=data.get("additions", 0),
        deletions=data.get("deletions", 0),
        old_path=data.get("old_path"),
        binary=data.get("binary", False),
        similarity=data.get("similarity"),
    )


def commit_to_data(commit: Commit) -> dict[str, Any]:
    return {
        "sha": commit.sha,
        "parents": list(commit.parents),
        "author": _person(commit.author),
        "authored_at": _time(commit.authored_at),
        "committer": _person(commit.committer),
        "committed_at": _time(commit.committed_at),
        "subject": commit.subject,
        "body": commit.body,
        "files": [file_to_data(f) for f in commit.files],
        "notes": list(commit.notes),
        "missing_objects": list(commit.missing_objects),
    }


def commit_from_data(data: dict[str, Any]) -> Commit:
    return Commit(
        sha=data["sha"],
        parents=tuple(data["parents"]),
        author=Person(*data["author"]),
        authored_at=_parse_time(data["authored_at"]),
        committer=Person(*data["committer"]),
        committed_at=_parse_time(data["committed_at"]),
        subject=data["subject"],
        body=data["body"],
        files=tuple(file_from_data(f) for f in data.get("files", ())),
        patches_collected=False,
        notes=tuple(data.get("notes", ())),
        missing_objects=tuple(data.get("missing_objects", ())),
    )


# --- triage and analysis -----------------------------------------------------------------------------


def triage_to_data(triage: Triage) -> dict[str, Any]:
    return {
        "change_type": triage.change_type.value,
        "importance": triage.importance.value,
        "score": triage.score,
        "reasons": [
            {"key": r.key, "args": [list(pair) for pair in r.args], "weight": r.weight} for r in triage.reasons
        ],
        "categories": [c.value for c in triage.categories],
        "top_dirs": [[d.path, d.files, d.additions, d.deletions] for d in triage.top_dirs],
        "breaking": triage.breaking,
        "bot": triage.bot,
        "signals": _signals_to_data(triage.signals),
        "floor": triage.floor.value if triage.floor is not None else None,
        "floor_reason": _reason_to_data(triage.floor_reason) if triage.floor_reason is not None else None,
    }


def _reason_to_data(r: Reason) -> dict[str, Any]:
    return {"key": r.key, "args": [list(pair) for pair in r.args], "weight": r.weight}


def _reason_from_data(r: dict[str, Any]) -> Reason:
    return Reason(r["key"], tuple((k, v) for k, v in r.get("args", ())), r.get("weight", 0))


def _signals_to_data(signals: Signals) -> dict[str, Any]:
    return {
        "interfaces": [dataclasses.asdict(c) for c in signals.interfaces],
        "dependencies": [dataclasses.asdict(d) for d in signals.dependencies],
        "advisories": list(signals.advisories),
        "reverts": signals.reverts,
        "performance": [dataclasses.asdict(p) for p in signals.performance],
    }


def _signals_from_data(data: dict[str, Any] | None) -> Signals:
    """Signals from a snapshot; a snapshot written before signals existed has none."""
    if not data:
        return Signals()
    return Signals(
        interfaces=tuple(InterfaceChange(**c) for c in data.get("interfaces", ())),
        dependencies=tuple(DependencyChange(**d) for d in data.get("dependencies", ())),
        advisories=tuple(data.get("advisories", ())),
        reverts=data.get("reverts"),
        performance=tuple(PerformanceClaim(**p) for p in data.get("performance", ())),
    )


def triage_from_data(data: dict[str, Any]) -> Triage:
    return Triage(
        change_type=ChangeType(data["change_type"]),
        importance=Importance(data["importance"]),
        score=data["score"],
        reasons=tuple(
            Reason(r["key"], tuple((k, v) for k, v in r.get("args", ())), r.get("weight", 0)) for r in data["reasons"]
        ),
        categories=tuple(FileCategory(c) for c in data["categories"]),
        top_dirs=tuple(DirStat(*d) for d in data["top_dirs"]),
        breaking=data.get("breaking", False),
        bot=data.get("bot", False),
        signals=_signals_from_data(data.get("signals")),
        floor=Importance(data["floor"]) if data.get("floor") else None,
        floor_reason=_reason_from_data(data["floor_reason"]) if data.get("floor_reason") else None,
    )


def analysis_to_data(analysis: Analysis | None) -> dict[str, Any] | None:
    return analysis.model_dump(mode="json") if analysis is not None else None


def analysis_from_data(data: dict[str, Any] | None) -> Analysis | None:
    return Analysis.model_validate(data) if data is not None else None


def entry_to_data(entry: CommitEntry) -> dict[str, Any]:
    return {
        "commit": commit_to_data(entry.commit),
        "triage": triage_to_data(entry.triage),
        "change_type": entry.change_type.value,
        "importance": entry.importance.value,
        "analyzer": entry.analyzer,
        "fallback_reason": entry.fallback_reason,
        "analysis": analysis_to_data(entry.analysis),
        "coverage": entry.coverage,
        "files_left_out": list(entry.files_left_out),
        "usage": usage_to_data(entry.usage) if entry.usage is not None else None,
        "pr": pull_to_data(entry.pr),
    }


def pull_to_data(pr: PullRequest | None) -> dict[str, Any] | None:
    if pr is None:
        return None
    return {"number": pr.number, "title": pr.title, "url": pr.url, "body": pr.body, "labels": list(pr.labels),
            "author": pr.author}


def pull_from_data(data: dict[str, Any] | None) -> PullRequest | None:
    if not data:
        return None
    return PullRequest(number=int(data["number"]), title=str(data["title"]), url=str(data["url"]),
                       body=str(data.get("body") or ""), labels=tuple(str(x) for x in data.get("labels") or ()),
                       author=data.get("author"))


def entry_from_data(data: dict[str, Any]) -> CommitEntry:
    return CommitEntry(
        commit=commit_from_data(data["commit"]),
        triage=triage_from_data(data["triage"]),
        change_type=ChangeType(data["change_type"]),
        importance=Importance(data["importance"]),
        analyzer=data["analyzer"],
        fallback_reason=data.get("fallback_reason"),
        analysis=analysis_from_data(data.get("analysis")),
        coverage=data.get("coverage"),
        files_left_out=tuple(data.get("files_left_out", ())),
        usage=usage_from_data(data["usage"]) if data.get("usage") else None,
        pr=pull_from_data(data.get("pr")),
    )


# --- the report --------------------------------------------------------------------------------------


def report_to_data(report: ReportData) -> dict[str, Any]:
    return {
        "codec": CODEC_VERSION,
        "repo": repo_to_data(report.repo),
        "branch": report.branch,
        "window": window_to_data(report.window),
        "language": report.language,
        "analyzer_kind": report.analyzer_kind,
        "model": report.model,
        "entries": [entry_to_data(e) for e in report.entries],
        "generated_at": _time(report.generated_at),
        "warnings": list(report.warnings),
        "usage": usage_to_data(report.usage),
        "highlights": list(report.highlights),
    }


def report_from_data(data: dict[str, Any]) -> ReportData:
    """Raises ``CodecError`` for a snapshot of a newer codec or one that does not parse."""
    version = data.get("codec") if isinstance(data, dict) else None
    if not isinstance(version, int) or version < 1:
        raise CodecError("not a report snapshot")
    if version > CODEC_VERSION:
        raise CodecError(f"report snapshot version {version} is newer than this commitwatch reads ({CODEC_VERSION})")
    try:
        return ReportData(
            repo=repo_from_data(data["repo"]),
            branch=data["branch"],
            window=window_from_data(data["window"]),
            language=data["language"],
            analyzer_kind=data["analyzer_kind"],
            model=data.get("model"),
            entries=[entry_from_data(e) for e in data["entries"]],
            generated_at=_parse_time(data["generated_at"]),
            warnings=list(data.get("warnings", ())),
            usage=usage_from_data(data["usage"]) if "usage" in data else Usage(),
            highlights=list(data.get("highlights", ())),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise CodecError(f"damaged report snapshot: {type(e).__name__}: {e}") from e
