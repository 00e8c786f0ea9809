"""Signals: facts computed from a commit's diff and message, never guessed.

One module per kind: ``interfaces`` (CLI flags, environment variables, config keys, public symbols,
HTTP routes added, removed, renamed or re-defaulted), ``dependencies`` (old -> new versions from
manifests and lockfiles, major bumps marked), ``advisories`` (CVE, GHSA, RUSTSEC, PYSEC ids), ``reverts``
(what a revert names, and pairs inside one report), ``performance`` (claims with their metric, delta and
model or hardware). Deterministic and cheap: patches are read through ``patches`` with a fixed budget.

They appear in the report as "what changes for users", feed triage (hard signals set an importance
floor) and go to the LLM as facts it must not contradict.
"""

from __future__ import annotations

from commitwatch.models import Commit, Signals
from commitwatch.signals.advisories import advisories
from commitwatch.signals.dependencies import dependency_changes
from commitwatch.signals.interfaces import interface_changes
from commitwatch.signals.performance import performance_claims
from commitwatch.signals.reverts import revert_pairs, reverted_sha

__all__ = ["extract", "revert_pairs"]


def extract(commit: Commit, pull_body: str = "") -> Signals:
    """The signals of one commit (``pull_body``: its pull request's text, when known)."""
    return Signals(
        interfaces=interface_changes(commit),
        dependencies=dependency_changes(commit),
        advisories=advisories(commit.subject, commit.body, pull_body),
        reverts=reverted_sha(commit),
        performance=performance_claims(commit.body, pull_body),
    )
