"""Which commits a repository's report covers: a window's commits, or every commit since the last run."""

from __future__ import annotations

from datetime import datetime, timezone

from .config import Settings
from .models import Window
from .sources import Repository, undated_warning
from .storage import Store
from .window import day_window, yesterday, zone


def select(
    settings: Settings,
    window: Window | None,
    since_last_run: bool,
    repository: Repository,
    store: Store,
    repo_id: int,
    branch: str,
    now: datetime | None,
) -> tuple[Window, list[str], list[str]]:
    """The window, the SHAs to report (newest first) and notes for the report header."""
    undated = undated_warning(repository.undated(branch), branch)
    notes = [undated] if undated else []
    if not since_last_run:
        assert window is not None
        return window, repository.select(branch, window), notes
    tz = settings.timezone
    end = (now or datetime.now(timezone.utc)).astimezone(zone(tz))
    last = store.last_successful_run(repo_id, branch)
    if last is None:  # first run: start at yesterday's midnight
        start = day_window(yesterday(tz, end), tz).start
        window = Window(start=start, end=end, tz=tz)
        return window, repository.select(branch, window), notes
    window = Window(start=last.window_end.astimezone(zone(tz)), end=max(end, last.window_end), tz=tz)
    candidates = repository.select(branch, window)
    if last.head_sha and repository.has_commit(last.head_sha):
        # late arrivals: commits that landed since the last run's head, whatever their committer date
        candidates += [sha for sha in repository.arrived_since(branch, last.head_sha) if sha not in candidates]
    elif last.head_sha:
        notes.append(
            f"the previous run's head {last.head_sha[:7]} is no longer on {branch} (history was rewritten); "
            "commits dated before the window may be missing"
        )
    reported = store.reported_shas(repo_id, branch, among=candidates)
    return window, [sha for sha in candidates if sha not in reported], notes
