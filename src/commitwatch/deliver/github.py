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

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import PublishSettings, Settings
from ..errors import CommitwatchError, GitHubError
from ..models import ReportData
from .contents import ContentsPublisher, parse_index, render_index
from .issues import IssuePublisher, issue_title, split_body
from .publication import (
    BODY_LIMIT,
    Publication,
    PublishOutcome,
    publication_key,
    published_path,
    report_stem,
    target_prefix,
)

if TYPE_CHECKING:
    from ..sources.github import GitHubClient
    from ..storage import Store

# Re-exported: callers and tests import these from here.
__all__ = [
    "BODY_LIMIT",
    "Publication",
    "PublishOutcome",
    "issue_title",
    "parse_index",
    "publish",
    "publish_run",
    "published_path",
    "render_index",
    "retry_failed",
    "split_body",
    "target_prefix",
]


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
    publisher: ContentsPublisher | IssuePublisher
    if settings.issue:
        publisher = IssuePublisher(settings, client, store)
    else:
        publisher = ContentsPublisher(settings, client, store)
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
    if isinstance(publisher, ContentsPublisher) and published and (changed or not publisher.index_current()):
        try:
            index = publisher.update_index([p.report for p in published], run_id)
            if index is not None:
                outcome.done.append(index)
        except CommitwatchError as e:
            publisher.index_failed(e, run_id)
            outcome.failures.append(f"updating the index {settings.index_path} in {settings.github_repo}: "
                                    + e.message)
    if isinstance(publisher, IssuePublisher) and settings.close_previous:
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
            key = publication_key(item.report)
            store.record_delivery(target_prefix(publish_settings), key, "failed", detail=error.message, run_id=run_id)
            failures.append(f"{item.report.repo.name} {report_stem(item.report)}: {error.message}")
        return failures
    with GitHubClient(settings.github, token, cache=GitHubCache(store, settings.github.api_url)) as client:
        retried = retry_failed(publish_settings, client, store, lambda report, fmt: RENDERERS[fmt](report),
                               skip=[publication_key(item.report) for item in items], run_id=run_id)
        outcome = publish(publish_settings, client, store, items, run_id=run_id, say=say)
    return [*retried.failures, *outcome.failures]
