"""Deterministic triage: change type, importance and the reasons behind them, for one commit.

Triage always runs. It is the offline analyzer (its reasons are what a reader sees when no LLM is
configured), the prior shown to the LLM, the router for analysis depth and diff budget, and the fallback
when the LLM fails. It is pure and fast: no I/O, no state, linear in the number of files (a 5,000-file
commit takes well under 50 ms).

Score scale
-----------
The score starts at ``BASE_SCORE`` (30) and every signal adds or subtracts its weight; the sum is
clamped to 0..100. Levels:

- **high**   score >= 60 (``HIGH_THRESHOLD``)
- **medium** score >= 35 (``MEDIUM_THRESHOLD``)
- **low**    below 35

Each contribution is a ``Reason(key, args, weight)``; the weights of the reasons add up to
``score - BASE_SCORE`` (before clamping), so a reader sees exactly why a commit landed where it did.
Roughly: a plain feature is 40 and a plain fix 38 (medium), docs 18, tests 20, CI 26, dependency bumps 22
(low); source size adds 2..28, core paths and API files 8 each, spread over many areas 5..10, important
bracket tags (``[Kernel]``, ``[Core]``) up to 10, severe-bug words 16 in one component (20 on a core path
or when data or results are harmed), breaking markers 25, security 35.

How the type is decided (first rule that applies wins)
------------------------------------------------------
merge commit > revert > security words > release/version bump > dependency bump > the title's own
type (Conventional Commits prefix, scope, typed bracket tag) > PR labels > verbs in the title > what the
files are. A commit that touches only docs, only tests or only CI files is typed by its files when the
title named a code type ("fix: correct GPU counts in README" is a docs change).

Reason keys and their args are listed in ``REASON_KEYS``; every key has a message in
``locales/<lang>/reasons.toml``.

Layout: ``titles`` reads the subject, body, labels and author (its word and tag tables are the data
files ``tables/tags.toml`` and ``tables/words.toml``); ``files`` classifies paths and sums up a
commit's files; ``decision`` holds the weights and the bookkeeping of a decision; ``history``
(merges, syncs, reverts), ``security``, ``kinds`` (title, labels, interfaces, signals, files) and
``weighing`` (breaking markers, wording, size) are the steps; ``scoring`` runs them in order.
"""

from __future__ import annotations

from commitwatch.triage.files import TOP_DIRS_LIMIT, classify_file, top_dirs
from commitwatch.triage.scoring import (
    BASE_SCORE,
    HIGH_THRESHOLD,
    MEDIUM_THRESHOLD,
    REASON_KEYS,
    importance_for,
    triage,
)

__all__ = [
    "BASE_SCORE",
    "HIGH_THRESHOLD",
    "MEDIUM_THRESHOLD",
    "REASON_KEYS",
    "TOP_DIRS_LIMIT",
    "classify_file",
    "importance_for",
    "top_dirs",
    "triage",
]
