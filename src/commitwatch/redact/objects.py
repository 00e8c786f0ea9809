"""Secret redaction of structured objects: commits (message, author, file names, patches), pull
requests, report data, and what to tell the reader about it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..invisible import has_invisible, reveal
from ..invisible import remove as remove_invisible
from .text import Redaction, redact

if TYPE_CHECKING:
    from ..models import Commit, FileChange, PullRequest, ReportData


def redact_path(path: str) -> Redaction:
    """A file name with its secrets replaced segment by segment: directories stay, so it still groups."""
    if "/" not in path:
        return redact(path)
    found: Counter[str] = Counter()
    whole = redact(path)
    if not whole.found:
        return whole
    parts = []
    for segment in path.split("/"):
        r = redact(segment)
        found.update(r.found)
        parts.append(r.text)
    joined = "/".join(parts)
    if redact(joined).found:  # a secret that spans a slash (a URL in a file name): redact the whole
        return whole
    return Redaction(joined, found)


def sanitize(text: str, redactor: Callable[[str], Redaction] | None = None) -> Redaction:
    """``text`` with secrets redacted and invisible characters made visible (``invisible.reveal``).

    A secret split by invisible characters (``ghp_abc\u200bdef…``) is still found: when dropping them
    uncovers more secrets, the text without them is used."""
    redactor = redactor or redact
    if not has_invisible(text):
        return redactor(text)
    shown = redactor(reveal(text))
    bare = redactor(remove_invisible(text))
    return bare if bare.count > shown.count else shown


def _redact_file(change: FileChange, found: Counter[str]) -> FileChange:
    def clean(text: str | None, redactor: Callable[[str], Redaction] = redact) -> str | None:
        if text is None:
            return None
        r = sanitize(text, redactor)
        found.update(r.found)
        return r.text

    path = clean(change.path, redact_path) or ""
    old_path = clean(change.old_path, redact_path)
    patch = clean(change.patch)
    if (path, old_path, patch) == (change.path, change.old_path, change.patch):
        return change
    return replace(change, path=path, old_path=old_path, patch=patch)


def redact_commit(commit: Commit) -> tuple[Commit, Counter[str]]:
    """The commit with secrets removed from its message, author, file names, old paths and patches, and
    invisible characters made visible there (the counter holds only the secrets)."""
    from ..models import Person

    found: Counter[str] = Counter()

    def clean(text: str) -> str:
        r = sanitize(text)
        found.update(r.found)
        return r.text

    subject, body = clean(commit.subject), clean(commit.body)
    author = Person(clean(commit.author.name), clean(commit.author.email))
    committer = Person(clean(commit.committer.name), clean(commit.committer.email))
    files = tuple(_redact_file(f, found) for f in commit.files)
    changed = (subject, body, author, committer, files) != (
        commit.subject, commit.body, commit.author, commit.committer, commit.files)
    if not changed:
        return commit, found
    return replace(commit, subject=subject, body=body, author=author, committer=committer, files=files), found


@dataclass
class CommitRedaction:
    """Redacted commits and what was removed from them."""

    commits: list[Commit]
    found: Counter[str] = field(default_factory=Counter)
    commits_redacted: int = 0


def redact_commits(commits: Iterable[Commit]) -> CommitRedaction:
    """``redact_commit`` over a list: the pipeline's one redaction stage, right after git."""
    result = CommitRedaction([])
    for commit in commits:
        clean, found = redact_commit(commit)
        result.commits.append(clean)
        if found:
            result.found.update(found)
            result.commits_redacted += 1
    return result


def redaction_warning(language: str, redaction: CommitRedaction) -> str:
    """The report-header line that says what was redacted (kinds and counts, never the values)."""
    from ..analysis.messages import message

    kinds = ", ".join(f"{kind} ×{n}" for kind, n in sorted(redaction.found.items()))
    return message(language, "warn.redacted_commits", count=sum(redaction.found.values()), kinds=kinds,
                   commits=redaction.commits_redacted)


def redact_pull(pull: PullRequest | None) -> PullRequest | None:
    """A pull request with its title, body, labels and author redacted (invisible characters shown)."""
    if pull is None:
        return None
    labels = tuple(sanitize(label).text for label in pull.labels)
    author = sanitize(pull.author).text if pull.author else pull.author
    return replace(pull, title=sanitize(pull.title).text, body=sanitize(pull.body).text, labels=labels,
                   author=author)


def redact_pull_text(title: str, body: str) -> tuple[str, str]:
    """A pull request's title and body, redacted and with invisible characters made visible (for the
    GitHub enrichment and anything built on it)."""
    return sanitize(title).text, sanitize(body).text


def redact_data(value: Any) -> Any:
    """``value`` (str, list, tuple, dict or pydantic model, nested) with every string redacted."""
    if isinstance(value, str):
        return sanitize(value).text
    if isinstance(value, list):
        return [redact_data(v) for v in value]
    if isinstance(value, tuple):
        return tuple(redact_data(v) for v in value)
    if isinstance(value, dict):
        return {k: redact_data(v) for k, v in value.items()}
    if isinstance(value, BaseModel):
        return type(value).model_validate(redact_data(value.model_dump()))
    return value


def redact_report(report: ReportData) -> ReportData:
    """The output gate: the report with warnings, highlights, fallback reasons and every analysis
    string redacted and invisible characters made visible (commits are cleaned when read; this catches
    what a model, a server's error message or a stored analysis adds). Returns ``report``, changed in
    place."""
    report.warnings = [sanitize(w).text for w in report.warnings]
    report.highlights = [sanitize(h).text for h in report.highlights]
    for entry in report.entries:
        if entry.fallback_reason:
            entry.fallback_reason = sanitize(entry.fallback_reason).text
        if entry.analysis is not None:
            entry.analysis = redact_data(entry.analysis)
    return report
