"""Publishing reports to GitHub: files through the contents API, or one issue per repository and day.

    outcome = publish(settings.publish, client, store, [Publication(report, {"md": text})])
    outcome.failures      # messages of the deliveries that failed (recorded; the next run retries them)

Files (``[publish] github_repo``, ``branch``, ``path_template``): each report is written to
``path_template`` (placeholders ``{year}``, ``{repo_slug}``, ``{repo}``, ``{date}``, ``{ext}``; other formats
than md swap the extension) with the commit message ``Report: <repo> - <date>``: created when absent,
updated with the blob sha GitHub gave otherwise, left alone when GitHub already has the same bytes. Then
``index_path`` (a README listing every published report, newest first by repository) is updated in the
same run.

Issues (``issue = true``): one issue per repository and day, titled ``Report: <repo> - <date>`` and
labelled ``labels``. A body over GitHub's 65,536 characters is split at line ends into the issue and
continuation comments (each marked, so a rerun edits them in place and never touches people's comments).
``close_previous = true`` closes the earlier report issues of the same repository.

Idempotent: every attempt is recorded in the store's ``deliveries`` (target, report key, content hash,
detail with the issue number and comment ids); a delivery of identical content is skipped without a
request, a changed one updates the same file or issue. A failed delivery is recorded as such and retried
by the next run (``retry_failed``). Published Markdown never pings anyone (``mentions``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import PublishSettings, Settings
from ..errors import CommitwatchError, GitHubError
from ..models import ReportData
from ..render.escape import escape_inline, link_destination, normalize
from ..window import zone
from .mentions import neutralise_mentions, quiet

if TYPE_CHECKING:
    from ..sources.github import GitHubClient
    from ..storage import Store

BODY_LIMIT = 65_536  # characters GitHub accepts in an issue or comment body
PART_MARK = "<!-- commitwatch: part {n} of {total} -->"
_PART = re.compile(r"<!-- commitwatch: part (\d+) of (\d+) -->")
INDEX_MARK = "<!-- commitwatch-index:"
TITLE_LIMIT = 256


@dataclass
class Publication:
    """One report and its rendered texts by format (what was written to the files)."""

    report: ReportData
    texts: dict[str, str]


@dataclass
class Published:
    target: str
    action: str  # created, updated, unchanged
    url: str | None = None


@dataclass
class PublishOutcome:
    done: list[Published] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def report_stem(report: ReportData) -> str:
    from ..reportfiles import report_stem as stem  # one naming rule for files and published copies

    return stem(report.window)


def report_day(report: ReportData) -> date:
    window = report.window
    return window.day or window.start.astimezone(zone(window.tz)).date()


def published_path(settings: PublishSettings, report: ReportData, fmt: str) -> str:
    """Where a report is published in the repository; raises ``GitHubError`` for a template that leaves
    the repository or names no file."""
    ext = fmt
    try:
        path = settings.path_template.format(
            year=f"{report_day(report).year:04d}", repo_slug=report.repo.slug, repo=report.repo.name,
            date=report_stem(report), ext=ext,
        )
    except (KeyError, IndexError, ValueError) as e:
        raise GitHubError(
            f"publish.path_template {settings.path_template!r} is invalid: {e}",
            hint="Use the placeholders {year}, {repo_slug}, {repo}, {date} and {ext}.",
        ) from e
    if "{ext}" not in settings.path_template and fmt != "md":
        path = path[: -len(".md")] + f".{fmt}" if path.endswith(".md") else f"{path}.{fmt}"
    return check_path(path, "publish.path_template")


def check_path(path: str, key: str) -> str:
    parts = path.split("/")
    if not path or path.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in path:
        raise GitHubError(f"{key} gives the path {path!r}, which is not a file inside the repository",
                          hint="Use a relative path such as reports/{year}/{repo_slug}/{date}.md.")
    return path


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _report_key(report: ReportData) -> str:
    from ..storage import report_key

    return report_key(report)


# --- the run ---------------------------------------------------------------------------------------------


def publish(
    settings: PublishSettings,
    client: GitHubClient,
    store: Store,
    publications: Sequence[Publication],
    *,
    run_id: int | None = None,
    say: Callable[[str], None] | None = None,
) -> PublishOutcome:
    """Publish every report (files or issues), then the index; record each attempt. Never raises for a
    delivery that fails: its message is in ``outcome.failures``."""
    say = say or (lambda _m: None)
    outcome = PublishOutcome()
    if settings.github_repo is None:
        return outcome
    publisher = _Issues(settings, client, store) if settings.issue else _Files(settings, client, store)
    published: list[Publication] = []
    changed = False
    for item in publications:
        try:
            done = publisher.deliver(item, run_id)
            outcome.done += done
            published.append(item)
            changed |= any(d.action != "unchanged" for d in done)
        except CommitwatchError as e:
            message = f"publishing {item.report.repo.name} {report_stem(item.report)} to {settings.github_repo}: "
            outcome.failures.append(message + e.message)
            publisher.failed(item, e, run_id)
            continue
        for one in done:
            say(f"published {one.target} ({one.action})")
    if isinstance(publisher, _Files) and published and (changed or not publisher.index_current()):
        try:
            index = publisher.update_index([p.report for p in published], run_id)
            if index is not None:
                outcome.done.append(index)
        except CommitwatchError as e:
            publisher.index_failed(e, run_id)
            outcome.failures.append(f"updating the index {settings.index_path} in {settings.github_repo}: "
                                    + e.message)
    if isinstance(publisher, _Issues) and settings.close_previous:
        for item in published:
            try:
                publisher.close_previous(item.report)
            except CommitwatchError as e:
                outcome.failures.append(f"closing the previous report issue of {item.report.repo.name}: {e.message}")
    return outcome


def retry_failed(
    settings: PublishSettings,
    client: GitHubClient,
    store: Store,
    render: Callable[[ReportData, str], str],
    *,
    skip: Iterable[str] = (),
    run_id: int | None = None,
) -> PublishOutcome:
    """Publish again the stored reports whose last delivery to this target failed (rendered from their
    snapshots with ``render(report, fmt)``), except the report keys in ``skip`` (published just now)."""
    if settings.github_repo is None:
        return PublishOutcome()
    skipped = set(skip)
    items = []
    for key in store.failed_report_keys(target_prefix(settings)):
        report = store.load_report_by_key(key) if key not in skipped else None
        if report is None:
            continue
        texts = {}
        for fmt in ["md"] if settings.issue else list(settings.formats):
            try:
                texts[fmt] = render(report, fmt)
            except KeyError:  # a format only the run writes (a feed): nothing to publish again
                continue
        items.append(Publication(report, texts))
    return publish(settings, client, store, items, run_id=run_id)


def target_prefix(settings: PublishSettings) -> str:
    if settings.issue:
        return f"github-issue:{settings.github_repo}"
    return f"github:{settings.github_repo}@{settings.branch}:"


# --- files -----------------------------------------------------------------------------------------------


class _Files:
    def __init__(self, settings: PublishSettings, client: GitHubClient, store: Store) -> None:
        assert settings.github_repo is not None
        self.settings = settings
        self.client = client
        self.store = store
        self.repo = settings.github_repo

    def target(self, path: str) -> str:
        return f"github:{self.repo}@{self.settings.branch}:{path}"

    def deliver(self, item: Publication, run_id: int | None) -> list[Published]:
        report = item.report
        key = _report_key(report)
        done = []
        for fmt, text in item.texts.items():
            path = published_path(self.settings, report, fmt)
            body = neutralise_mentions(text) if fmt == "md" else text
            target, digest = self.target(path), _hash(body)
            if self.store.was_delivered(target, key, digest):
                done.append(Published(target, "unchanged"))
                continue
            message = f"Report: {report.repo.name} - {report_stem(report)}"
            action, url = self.write(path, body, message)
            self.store.record_delivery(target, key, "ok", content_hash=digest, run_id=run_id,
                                       detail=json.dumps({"action": action, "path": path, "url": url}))
            done.append(Published(target, action, url))
        return done

    def failed(self, item: Publication, error: CommitwatchError, run_id: int | None) -> None:
        key = _report_key(item.report)
        for fmt in item.texts:
            try:
                target = self.target(published_path(self.settings, item.report, fmt))
            except GitHubError:
                target = target_prefix(self.settings)
            self.store.record_delivery(target, key, "failed", detail=error.message, run_id=run_id)

    def read(self, path: str) -> tuple[str | None, bytes | None]:
        """The blob sha and bytes of ``path`` on the branch, or (None, None) when it does not exist."""
        answer = self.client.request(
            "GET", f"repos/{self.repo}/contents/{_quote(path)}", params={"ref": self.settings.branch},
            conditional=True, what=f"{path} in {self.repo}@{self.settings.branch}", ok=(404,),
        )
        data = answer.data if isinstance(answer.data, dict) else {}
        if answer.status == 404 or not data:
            return None, None
        if data.get("type") not in (None, "file"):
            raise GitHubError(f"{path} in {self.repo} is a {data.get('type')}, not a file",
                              hint="Change publish.path_template.")
        try:
            content = base64.b64decode(str(data.get("content") or ""))
        except ValueError:
            content = None
        return str(data.get("sha") or "") or None, content

    def write(self, path: str, text: str, message: str) -> tuple[str, str | None]:
        """Create or update ``path``; "unchanged" when GitHub already has these bytes."""
        raw = text.encode("utf-8")
        for attempt in range(2):
            sha, current = self.read(path)
            if current == raw:
                return "unchanged", None
            body: dict[str, Any] = {"message": message, "content": base64.b64encode(raw).decode("ascii"),
                                    "branch": self.settings.branch}
            if sha:
                body["sha"] = sha
            answer = self.client.request(
                "PUT", f"repos/{self.repo}/contents/{_quote(path)}", json_body=body,
                what=f"writing {path} to {self.repo}@{self.settings.branch}", ok=(409,) if attempt == 0 else (),
            )
            if answer.status == 409:  # someone wrote the file since we read it: read its new sha, once
                continue
            content = (answer.data or {}).get("content") or {}
            return ("created" if answer.status == 201 else "updated"), content.get("html_url")
        raise GitHubError(f"{path} in {self.repo} keeps changing under us", hint="Run again.")

    # --- the index ---------------------------------------------------------------------------------------
    INDEX_KEY = "index"  # the report key of the index's deliveries

    def index_current(self) -> bool:
        """True when the last attempt to update the index succeeded."""
        target = self.target(self.settings.index_path)
        rows = [r for r in self.store.deliveries(self.INDEX_KEY) if r.target == target]
        return bool(rows) and rows[-1].status == "ok"

    def index_failed(self, error: CommitwatchError, run_id: int | None) -> None:
        self.store.record_delivery(self.target(self.settings.index_path), self.INDEX_KEY, "failed",
                                   detail=error.message, run_id=run_id)

    def update_index(self, reports: Sequence[ReportData], run_id: int | None = None) -> Published | None:
        index_path = check_path(self.settings.index_path, "publish.index_path")
        _sha, current = self.read(index_path)
        entries = parse_index(current.decode("utf-8", "replace") if current else "")
        for report in reports:
            path = published_path(self.settings, report, "md")
            entries[path] = {"repo": report.repo.name, "date": report_stem(report), "path": path}
        text = render_index(entries.values(), index_path)
        target = self.target(index_path)
        if current is not None and current.decode("utf-8", "replace") == text:
            self.store.record_delivery(target, self.INDEX_KEY, "ok", content_hash=_hash(text), run_id=run_id,
                                       detail=json.dumps({"action": "unchanged", "path": index_path}))
            return None
        action, url = self.write(index_path, text, f"Report index: {len(entries)} reports")
        self.store.record_delivery(target, self.INDEX_KEY, "ok", content_hash=_hash(text), run_id=run_id,
                                   detail=json.dumps({"action": action, "path": index_path, "url": url}))
        return Published(target, action, url)


def parse_index(text: str) -> dict[str, dict[str, str]]:
    """The entries recorded in an index this module wrote (its last line); {} for anything else."""
    for line in reversed(text.splitlines()):
        if line.startswith(INDEX_MARK) and line.endswith("-->"):
            try:
                data = json.loads(base64.b64decode(line[len(INDEX_MARK):-3].strip()))
            except ValueError:
                return {}
            if isinstance(data, list):
                return {str(e["path"]): {k: str(e[k]) for k in ("repo", "date", "path")}
                        for e in data if isinstance(e, dict) and {"repo", "date", "path"} <= set(e)}
    return {}


def render_index(entries: Iterable[dict[str, str]], index_path: str) -> str:
    """A README: per repository (by name), its reports newest first, linked relative to the index."""
    by_repo: dict[str, list[dict[str, str]]] = {}
    for entry in entries:
        by_repo.setdefault(entry["repo"], []).append(entry)
    base = posixpath.dirname(index_path) or "."
    lines = ["# Published reports", "", "Written by commitwatch; every run updates this list.", ""]
    ordered: list[dict[str, str]] = []
    for repo in sorted(by_repo, key=str.lower):
        lines += [f"## {escape_inline(repo) or '-'}", ""]
        for entry in sorted(by_repo[repo], key=lambda e: e["date"], reverse=True):
            link = posixpath.relpath(entry["path"], base)
            lines.append(f"- [{escape_inline(entry['date'])}]({link_destination(link)})")
            ordered.append(entry)
        lines.append("")
    blob = base64.b64encode(json.dumps(ordered, ensure_ascii=False, sort_keys=True).encode()).decode()
    lines.append(f"{INDEX_MARK} {blob} -->")
    return neutralise_mentions("\n".join(lines)) + "\n"


# --- issues ----------------------------------------------------------------------------------------------


def split_body(text: str, limit: int = BODY_LIMIT) -> list[str]:
    """``text`` in parts of at most ``limit`` characters (marker included), cut at line ends where
    possible; one part when it fits."""
    if len(text) <= limit:
        return [text]
    room = limit - len(PART_MARK.format(n=999, total=999)) - 2
    parts: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > room:  # one huge line: cut it
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:room])
            line = line[room:]
        if len(current) + len(line) > room:
            parts.append(current)
            current = ""
        current += line
    if current:
        parts.append(current)
    total = len(parts)
    return [PART_MARK.format(n=i + 1, total=total) + "\n\n" + part for i, part in enumerate(parts)]


def issue_title(report: ReportData) -> str:
    title = normalize(f"Report: {report.repo.name} - {report_stem(report)}")
    return neutralise_mentions(title[:TITLE_LIMIT])


class _Issues:
    def __init__(self, settings: PublishSettings, client: GitHubClient, store: Store) -> None:
        assert settings.github_repo is not None
        self.settings = settings
        self.client = client
        self.store = store
        self.repo = settings.github_repo
        self.target = f"github-issue:{self.repo}"

    def deliver(self, item: Publication, run_id: int | None) -> list[Published]:
        report = item.report
        key = _report_key(report)
        body = quiet(item.texts["md"])
        digest = _hash(body)
        if self.store.was_delivered(self.target, key, digest):
            return [Published(self.target, "unchanged")]
        title = issue_title(report)
        parts = split_body(body)
        number, comments = self.find(key, title)
        if number is None:
            answer = self.client.request("POST", f"repos/{self.repo}/issues", what=f"creating an issue in {self.repo}",
                                         json_body={"title": title, "body": parts[0],
                                                    "labels": list(self.settings.labels)})
            number, action = int(answer.data["number"]), "created"
            url = answer.data.get("html_url")
        else:
            answer = self.client.request("PATCH", f"repos/{self.repo}/issues/{number}",
                                         what=f"editing issue #{number} in {self.repo}",
                                         json_body={"title": title, "body": parts[0]})
            action, url = "updated", answer.data.get("html_url") if isinstance(answer.data, dict) else None
        comments = self.sync_comments(number, parts[1:], comments)
        self.store.record_delivery(self.target, key, "ok", content_hash=digest, run_id=run_id,
                                   detail=json.dumps({"issue": number, "comments": comments, "action": action}))
        return [Published(f"{self.target}#{number}", action, url)]

    def failed(self, item: Publication, error: CommitwatchError, run_id: int | None) -> None:
        self.store.record_delivery(self.target, _report_key(item.report), "failed", detail=error.message,
                                   run_id=run_id)

    def find(self, key: str, title: str) -> tuple[int | None, list[int]]:
        """The issue of this report: from the store, else by its title among the labelled issues."""
        for row in reversed(self.store.deliveries(key)):
            if row.target == self.target and row.status == "ok" and row.detail:
                try:
                    detail = json.loads(row.detail)
                    return int(detail["issue"]), [int(c) for c in detail.get("comments", [])]
                except (ValueError, KeyError, TypeError):
                    continue
        for issue in self.labelled("all"):
            if issue.get("title") == title and "pull_request" not in issue:
                number = int(issue["number"])
                return number, self.our_comments(number)
        return None, []

    def labelled(self, state: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for page in range(1, 11):
            answer = self.client.request(
                "GET", f"repos/{self.repo}/issues", what=f"the report issues of {self.repo}",
                params={"state": state, "labels": ",".join(self.settings.labels), "per_page": 100, "page": page},
            )
            batch = [i for i in (answer.data or []) if isinstance(i, dict)]
            found += batch
            if len(batch) < 100:
                break
        return found

    def our_comments(self, number: int) -> list[int]:
        answer = self.client.request("GET", f"repos/{self.repo}/issues/{number}/comments",
                                     params={"per_page": 100}, what=f"the comments of #{number} in {self.repo}")
        ours = [(int(m.group(1)), int(c["id"])) for c in (answer.data or []) if isinstance(c, dict)
                for m in [_PART.match(str(c.get("body") or ""))] if m]
        return [cid for _n, cid in sorted(ours)]

    def sync_comments(self, number: int, parts: Sequence[str], existing: list[int]) -> list[int]:
        """Continuation comments 2..n: edited in place, added, or deleted when the body got shorter."""
        kept: list[int] = []
        for i, part in enumerate(parts):
            if i < len(existing):
                self.client.request("PATCH", f"repos/{self.repo}/issues/comments/{existing[i]}",
                                    json_body={"body": part}, what=f"editing a comment on #{number}")
                kept.append(existing[i])
            else:
                answer = self.client.request("POST", f"repos/{self.repo}/issues/{number}/comments",
                                             json_body={"body": part}, what=f"commenting on #{number}")
                kept.append(int(answer.data["id"]))
        for cid in existing[len(parts):]:
            self.client.request("DELETE", f"repos/{self.repo}/issues/comments/{cid}", ok=(404,),
                                what=f"deleting a comment on #{number}")
        return kept

    def close_previous(self, report: ReportData) -> None:
        """Close the other open report issues of the same repository (earlier days)."""
        prefix = neutralise_mentions(normalize(f"Report: {report.repo.name} - "))
        current = issue_title(report)
        for issue in self.labelled("open"):
            title = str(issue.get("title") or "")
            if title.startswith(prefix) and title != current and title < current and "pull_request" not in issue:
                self.client.request("PATCH", f"repos/{self.repo}/issues/{int(issue['number'])}",
                                    json_body={"state": "closed", "state_reason": "completed"},
                                    what=f"closing #{issue['number']} in {self.repo}")


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


def publish_run(
    settings: Settings,
    store: Store,
    written: Sequence[tuple[ReportData, Sequence[Path]]],
    environ: Mapping[str, str],
    *,
    run_id: int | None = None,
    say: Callable[[str], None] | None = None,
) -> list[str]:
    """What ``commitwatch run`` does after writing: publish again the reports whose last delivery failed,
    then this run's reports (the text of the files just written). Returns the failures' messages."""
    from ..reportfiles import RENDERERS
    from ..sources.github import GitHubClient, github_token
    from ..storage.github import GitHubCache

    publish_settings = settings.publish
    formats = ["md"] if publish_settings.issue else list(publish_settings.formats)
    items = []
    for report, paths in written:
        by_ext = {path.suffix[1:]: path for path in paths}
        texts = {}
        for fmt in formats:
            path = by_ext.get(fmt)
            if path is not None and path.exists():
                texts[fmt] = path.read_text(encoding="utf-8")
            elif fmt in RENDERERS:
                texts[fmt] = RENDERERS[fmt](report)
        items.append(Publication(report, texts))
    token = github_token(settings.github, environ)
    if token is None:
        error = GitHubError(f"publishing to {publish_settings.github_repo} needs a token: "
                            f"${settings.github.token_env} is not set",
                            hint=f"Export {settings.github.token_env} with a token that can write there.")
        failures = []
        for item in items:
            key = _report_key(item.report)
            store.record_delivery(target_prefix(publish_settings), key, "failed", detail=error.message, run_id=run_id)
            failures.append(f"{item.report.repo.name} {report_stem(item.report)}: {error.message}")
        return failures
    with GitHubClient(settings.github, token, cache=GitHubCache(store, settings.github.api_url)) as client:
        retried = retry_failed(publish_settings, client, store, lambda report, fmt: RENDERERS[fmt](report),
                               skip=[_report_key(item.report) for item in items], run_id=run_id)
        outcome = publish(publish_settings, client, store, items, run_id=run_id, say=say)
    return [*retried.failures, *outcome.failures]
