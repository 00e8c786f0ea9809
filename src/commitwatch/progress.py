"""What a run tells whoever watches it. The pipeline calls these hooks; ``display`` shows them.

Calls come from the run's event loop thread (never from two threads at once), so an implementation needs
no locking of its own. Every method is a no-op here: a run without a watcher uses this class as is.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .models import Usage


class RunProgress:
    """Hooks for a run's events, per repository (by display name) and for the run as a whole."""

    def started(self, repos: Sequence[str]) -> None:
        """The run begins with these repositories (display names, in configuration order)."""

    def collected(self, repo: str, commits: int, branch: str) -> None:
        """The repository's commits for the window are read."""

    def planned(self, repo: str, from_store: int, to_analyse: int, analyzer: str) -> None:
        """How many analyses the store had, and how many go to ``analyzer`` (a model, or "rules")."""

    def analysed(self, repo: str, done: int, total: int) -> None:
        """One more of the repository's commits is analysed (``done`` of ``total``)."""

    def written(self, repo: str, paths: Sequence[Path]) -> None:
        """The repository's report files are written and the run recorded."""

    def failed(self, repo: str, message: str) -> None:
        """The repository could not be reported (the others go on)."""

    def usage(self, usage: Usage, cost: float | None) -> None:
        """The run's LLM requests and tokens so far (all repositories), and their cost when known."""

    def finished(self) -> None:
        """Every repository is done (written or failed)."""
