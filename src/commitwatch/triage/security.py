"""Security changes: advisory ids and security words, memory-safety bugs in unmanaged code, security
release notes, and hardening verbs whose body speaks of attackers.
"""

from __future__ import annotations

import re

from commitwatch.models import ChangeType, FileCategory
from commitwatch.triage.decision import (
    SECURITY_IN_DOCS_WEIGHT,
    Context,
)
from commitwatch.triage.files import OVERRULING
from commitwatch.triage.titles import (
    ADVISORY_ID_RE,
    ADVISORY_RE,
    ATTACK_CONTEXT_RE,
    BODY_ADVISORY_RE,
    HARDENING_TOKEN_RE,
    MEMORY_SAFETY_RE,
    SECURITY_CONTEXT_RE,
    SECURITY_RE,
    SECURITY_VERB_RE,
    WORD_RE,
    word_text,
)

T = ChangeType

# Unmanaged languages, where an out-of-bounds access or a use-after-free is exploitable.
_UNMANAGED_EXTENSIONS = frozenset(
    {"c", "h", "cc", "cpp", "cxx", "hpp", "hh", "hxx", "m", "mm", "cu", "cuh", "s", "asm"}
)
# Release-note fragments filed under security: "Misc/NEWS.d/next/Security/...", "changelog.d/123.security.md".
_NOTE_DIRS = ("news", "changelog", "changes", "newsfragments", "changelog.d", "news.d", ".changeset", "release-notes",
              "releasenotes", "unreleased")  # fmt: skip
_SECURITY_NOTE_RE = re.compile(r"(?:^|/)security/|(?:^|[./_-])security\.(?:md|rst|txt)$", re.IGNORECASE)


def _source_paths(ctx: Context) -> list[str]:
    pairs = zip(ctx.commit.files, ctx.files.categories, strict=False)
    return [change.path for change, category in pairs if category is FileCategory.SOURCE]


def _security_note(ctx: Context) -> str | None:
    for change in ctx.commit.files:
        lowered = change.path.lower()
        if change.status != "D" and _SECURITY_NOTE_RE.search(lowered) and any(d in lowered for d in _NOTE_DIRS):
            return change.path
    return None


_AREA_RE = re.compile(r"^[\w./-]+:\s+")
_UPDATE_RE = re.compile(r"^\W*(?:updat|bump|upgrad|pin|lock)\w*\b", re.IGNORECASE)


def _advisory_bump(ctx: Context, word: str) -> bool:
    """An update of dependency files whose title names the advisory it leaves behind ("to a version
    without RUSTSEC-…"); one that says it fixes it ("fixes CVE-…", in the title or body) is a security fix."""
    files = ctx.files
    return (
        ADVISORY_ID_RE.fullmatch(word) is not None
        and word in ctx.title.text
        and not any(m.lastgroup == "FIX" for m in WORD_RE.finditer(ctx.words))  # "Bump x (fixes CVE-…)"
        and _UPDATE_RE.match(ctx.title.text) is not None
        and files.count > 0
        and files.only_dependency_files
    )


def security_step(ctx: Context) -> None:
    decision = ctx.decision
    if decision.change_type in (T.REVERT, T.MERGE):  # a revert's words are the original's
        return
    match = (
        SECURITY_RE.search(ctx.words)
        or ADVISORY_RE.search(word_text(ctx.commit.subject, ctx.project))
        or BODY_ADVISORY_RE.search(ctx.body)
    )
    word = match.group(0) if match else next((full for full, short in ctx.labels if short == "security"), None)
    if word is None and (token := HARDENING_TOKEN_RE.search(ctx.commit.subject)) is not None:
        word = token.group(0)  # "Load checkpoints with `weights_only=True`": safe loading is the change
    if word is not None and _advisory_bump(ctx, word):
        return  # "Update gix to a version without RUSTSEC-2024-0350": a dependency update, with its floor
    if word is None and (note := _security_note(ctx)) is not None:
        decision.decide(T.SECURITY, "security_note", path=note)  # Misc/NEWS.d/next/Security/..., 123.security.md
        return
    fix_word = WORD_RE.search(ctx.words)
    if (
        word is None
        and (unsafe := MEMORY_SAFETY_RE.search(ctx.words))
        and (fix_word is None or fix_word.lastgroup == "FIX")
        and any(name.rpartition(".")[2].lower() in _UNMANAGED_EXTENSIONS for name in _source_paths(ctx))
    ):
        decision.decide(T.SECURITY, "memory_safety", word=unsafe.group(0))  # "fix slab-out-of-bounds in ..." in C
        return
    context = SECURITY_CONTEXT_RE.search(ctx.body) or SECURITY_CONTEXT_RE.search(ctx.words)
    # the verb may follow an area prefix the title parser kept ("resolved: validate the RRSIG ...")
    verb = SECURITY_VERB_RE.match(ctx.words) or SECURITY_VERB_RE.match(_AREA_RE.sub("", ctx.words, count=1))
    fixed = ctx.title.prefix if ctx.title.conventional is T.FIX else None
    fixed = fixed or (fix_word.group(0) if fix_word is not None and fix_word.lastgroup == "FIX" else None)
    if word is None and verb is None and fixed:
        attack = ATTACK_CONTEXT_RE.search(ctx.body)
        if attack is not None and ctx.files.composition not in OVERRULING:
            # "fix: ..." whose body says "a crafted request ..." or "a malicious server ...": the bug was an attack
            decision.decide(T.SECURITY, "security_context", verb=fixed, word=attack.group(0))
            return
    if word is None and verb is not None and (why := context):
        # "Reject symlinks that escape the cache" with "an attacker can ..." in the body
        if ctx.files.composition not in OVERRULING:
            decision.decide(T.SECURITY, "security_context", verb=verb.group(0).strip(), word=why.group(0))
        return
    if word is None:
        return
    if ctx.files.composition is T.DOCS:  # a security policy or advisory page: still docs
        decision.signal("security_word", SECURITY_IN_DOCS_WEIGHT, word=word)
    else:
        decision.decide(T.SECURITY, "security_word", word=word)
