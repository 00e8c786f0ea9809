"""Publishing reports as files through the GitHub contents API, and the index README over them."""

from __future__ import annotations

import base64
import json
import posixpath
from collections.abc import Iterable, Sequence
from typing import Any

from ..errors import CommitwatchError, GitHubError
from ..models import ReportData
from ..render.escape import escape_inline, link_destination
from .mentions import neutralise_mentions
from .publication import (
    INDEX_MARK,
    Publication,
    Published,
    Publisher,
    check_path,
    content_hash,
    publication_key,
    published_path,
    quote_path,
    report_stem,
    target_prefix,
)


class ContentsPublisher(Publisher):
    """Report files (and the index) through the contents API."""

    def target(self, path: str) -> str:
        return f"github:{self.repo}@{self.settings.branch}:{path}"

    def deliver(self, item: Publication, run_id: int | None) -> list[Published]:
        report = item.report
        key = publication_key(report)
        done = []
        for fmt, text in item.texts.items():
            path = published_path(self.settings, report, fmt)
            body = neutralise_mentions(text) if fmt == "md" else text
            target, digest = self.target(path), content_hash(body)
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
        key = publication_key(item.report)
        for fmt in item.texts:
            try:
                target = self.target(published_path(self.settings, item.report, fmt))
            except GitHubError:
                target = target_prefix(self.settings)
            self.store.record_delivery(target, key, "failed", detail=error.message, run_id=run_id)

    def read(self, path: str) -> tuple[str | None, bytes | None]:
        """The blob sha and bytes of ``path`` on the branch, or (None, None) when it does not exist."""
        answer = self.client.request(
            "GET", f"repos/{self.repo}/contents/{quote_path(path)}", params={"ref": self.settings.branch},
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
                "PUT", f"repos/{self.repo}/contents/{quote_path(path)}", json_body=body,
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
            self.store.record_delivery(target, self.INDEX_KEY, "ok", content_hash=content_hash(text), run_id=run_id,
                                       detail=json.dumps({"action": "unchanged", "path": index_path}))
            return None
        action, url = self.write(index_path, text, f"Report index: {len(entries)} reports")
        self.store.record_delivery(target, self.INDEX_KEY, "ok", content_hash=content_hash(text), run_id=run_id,
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
