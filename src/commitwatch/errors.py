"""One error hierarchy. Library code raises only these; ``cli.main`` maps them to exit codes.

Every error carries a ``hint`` that tells the user how to fix the problem.
"""

from __future__ import annotations


class ExitCode:
    OK = 0
    INTERNAL = 1
    USAGE = 2
    SOURCE = 3
    DEGRADED = 4
    DELIVERY = 5
    OUTPUT = 6


class CommitwatchError(Exception):
    """Base of every error commitwatch reports to the user."""

    exit_code: int = ExitCode.INTERNAL

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(CommitwatchError):
    """A flag or argument is malformed (bad date, unknown time zone, ...)."""

    exit_code = ExitCode.USAGE


class ConfigError(CommitwatchError):
    """The configuration file or environment is invalid. Names the file and the key."""

    exit_code = ExitCode.USAGE


class SourceError(CommitwatchError):
    """git or the network failed: missing path, not a repository, unknown branch, unreachable remote."""

    exit_code = ExitCode.SOURCE


class ReportError(CommitwatchError):
    """Writing or rendering a report failed (for example the output directory is not writable)."""

    exit_code = ExitCode.INTERNAL


class GitHubError(CommitwatchError):
    """The GitHub API refused or failed a request (bad token, missing scope, not found, rate limit,
    network). Enrichment turns it into a report warning; publishing records it as a failed delivery."""

    exit_code = ExitCode.SOURCE

    def __init__(self, message: str, hint: str | None = None, *, status: int | None = None) -> None:
        super().__init__(message, hint)
        self.status = status


class RateLimited(GitHubError):
    """GitHub's primary or secondary rate limit would need a longer wait than ``github.max_wait`` allows."""


class DeliveryError(CommitwatchError):
    """Reports were written and stored, but a notification could not be delivered (after its retries).
    The failure is recorded; the next run (or ``commitwatch notify``) retries it."""

    exit_code = ExitCode.DELIVERY
class OutputError(ReportError):
    """A report file or the store could not be written: the disk is full, or the output directory or the
    database is not writable (exit 6). Everything finished before is kept."""

    exit_code = ExitCode.OUTPUT
