"""Publishing reports as GitHub issues: one per repository and day, long bodies split into comments."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..config import PublishSettings
from ..errors import CommitwatchError
from ..models import ReportData
from ..render.escape import normalize
from .mentions import neutralise_mentions, quiet
from .publication import (
    BODY_LIMIT,
    PART_MARK,
    TITLE_LIMIT,
    Publication,
    Published,
    Publisher,
    content_hash,
    publication_key,
    report_stem,
)

if TYPE_CHECKING:
    from ..sources.github import GitHubClient
    from ..storage import Store

_PART = re.compile(r"<!-- commitwatch: part (\d+) of (\d+) -->")

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


class IssuePublisher(Publisher):
    """One issue per repository and day, continued in marked comments."""

    def __init__(self, settings: PublishSettings, client: GitHubClient, store: Store) -> None:
        super().__init__(settings, client, store)
        self.target = f"github-issue:{self.repo}"

    def deliver(self, item: Publication, run_id: int | None) -> list[Published]:
        report = item.report
        key = publication_key(report)
        body = quiet(item.texts["md"])
        digest = content_hash(body)
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
        self.store.record_delivery(self.target, publication_key(item.report), "failed", detail=error.message,
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
