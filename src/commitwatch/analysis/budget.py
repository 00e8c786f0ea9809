"""Diff packing: every request fits the per-request input budget, by the offline token estimate
(``tokens``), calibrated against the ``usage`` the server reports, so a tokenizer that counts more than
we guessed shrinks what the next requests send.

``pack_commit`` always sends the commit message, the pull request title and body (trimmed), and the full
file list with status and line counts (directories collapsed when it is long); then patches by priority
(source > config/build/CI > other > tests > docs > deletions), with one line of context instead of git's
three and long hunks cut. Lockfiles, generated, vendored and binary files are named but never sent.
It records the share of changed lines shown (``coverage``) and the files whose patch was not sent.
Secrets are redacted from each hunk as it is chosen (only what is sent), besides the run's redaction of
the commits (``commitwatch.redact``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..models import Commit, FileCategory, FileChange, Triage
from .hunks import Hunk, condense_patch
from .redact import redact
from .tokens import (
    ASCII_CHARS_PER_TOKEN,
    CJK_TOKENS_PER_CHAR,
    MESSAGE_OVERHEAD,
    OTHER_TOKENS_PER_CHAR,
    TokenEstimator,
    estimate_tokens,
    raw_estimate,
)

__all__ = [  # the estimates live in ``tokens``; importing them from here still works
    "ASCII_CHARS_PER_TOKEN", "CJK_TOKENS_PER_CHAR", "MESSAGE_OVERHEAD", "OTHER_TOKENS_PER_CHAR", "PackedCommit",
    "PullText", "TokenEstimator", "clip", "condense_patch", "estimate_tokens", "file_list", "neutralise",
    "pack_commit", "raw_estimate",
]

# --- packing ----------------------------------------------------------------------------------------

NOT_SENT = frozenset({FileCategory.LOCKFILE, FileCategory.GENERATED, FileCategory.VENDORED, FileCategory.BINARY})
_PRIORITY = {
    FileCategory.SOURCE: 0,
    FileCategory.CONFIG: 1,
    FileCategory.BUILD: 1,
    FileCategory.CI: 1,
    FileCategory.OTHER: 2,
    FileCategory.TEST: 3,
    FileCategory.DOCS: 4,
}
DELETION_PRIORITY = 5
MIN_PARTIAL_TOKENS = 120  # below this, a patch that does not fit whole is left out
_NEUTRALISE = re.compile(r"(</?)(commit-data|commits-data)", re.IGNORECASE)


@dataclass(frozen=True)
class PullText:
    """What a pull request adds to the commit message, when known."""

    number: int | None
    title: str
    body: str = ""


@dataclass
class PackedCommit:
    """The commit as the model sees it (already redacted), and what was left out."""

    text: str
    coverage: float | None
    files_left_out: tuple[str, ...]
    shown_lines: int
    total_lines: int
    redactions: Counter[str] = field(default_factory=Counter)
    raw_tokens: float = 0.0
    trimmed: bool = False  # the budget cut something (a larger budget would send more)


def neutralise(text: str) -> str:
    """Data must never close the block it sits in: ``</commit-data`` becomes ``</commit_data``."""
    return _NEUTRALISE.sub(lambda m: m.group(1) + m.group(2).replace("-", "_"), text)


def clip(text: str, max_raw_tokens: float, marker: str = "[… {n} more characters cut]") -> str:
    """``text`` cut on a line (or character) boundary so that it costs at most ``max_raw_tokens``."""
    if raw_estimate(text) <= max_raw_tokens:
        return text
    budget = max_raw_tokens - raw_estimate(marker) - 2
    kept: list[str] = []
    used = 0.0
    for line in text.splitlines(keepends=True):
        cost = raw_estimate(line)
        if used + cost > budget:
            room = budget - used
            if room > 8 and not kept:
                # a single huge line: cut it by characters
                chars = int(room * (ASCII_CHARS_PER_TOKEN if line.isascii() else 1 / CJK_TOKENS_PER_CHAR))
                kept.append(line[: max(chars, 0)])
            break
        kept.append(line)
        used += cost
    out = "".join(kept)
    return out.rstrip("\n") + "\n" + marker.format(n=len(text) - len(out))


_PATH_CONTROLS = {code: f"\\x{code:02x}" for code in [*range(0x20), 0x7F]}


def _path_text(path: str) -> str:
    """A file name on one line: a newline or other control character in it is shown as ``\\x0a``."""
    return path.translate(_PATH_CONTROLS)


def _status_text(f: FileChange) -> str:
    if f.old_path and f.status[:1] in ("R", "C"):
        return f"{f.status[:1]} {_path_text(f.old_path)} -> {_path_text(f.path)}"
    return f"{f.status[:1]} {_path_text(f.path)}"


def _file_line(f: FileChange, category: FileCategory) -> str:
    stats = "binary" if f.binary else f"+{f.additions}/-{f.deletions}"
    note = f" [{category.value}: not sent]" if category in NOT_SENT or f.binary else ""
    return f"{_status_text(f)} ({stats}){note}"


def _directory(path: str, depth: int) -> str:
    parts = path.split("/")[:-1]
    return "/".join(parts[:depth]) + "/" if parts else "./"


def file_list(files: Sequence[FileChange], categories: Sequence[FileCategory], max_raw: float) -> list[str]:
    """Every file with status and +/-; beyond ``max_raw`` tokens, the least important files are
    collapsed into one line per directory (deeper directories first, then shallower)."""
    full = [_file_line(f, c) for f, c in zip(files, categories, strict=True)]
    if sum(raw_estimate(line) + 0.4 for line in full) <= max_raw:
        return full
    order = sorted(range(len(files)), key=lambda i: (_rank(files[i], categories[i]), -files[i].changed_lines, i))
    for keep in (200, 100, 50, 20, 5, 0):
        for depth in (3, 2, 1):
            listed = sorted(order[:keep])
            groups: dict[str, list[int]] = {}
            for i in order[keep:]:
                groups.setdefault(_directory(files[i].path, depth), []).append(i)
            lines = [full[i] for i in listed]
            for directory in sorted(groups):
                members = groups[directory]
                adds = sum(files[i].additions for i in members)
                dels = sum(files[i].deletions for i in members)
                lines.append(f"{_path_text(directory)} ({len(members)} more files, +{adds}/-{dels}) [collapsed]")
            if sum(raw_estimate(line) + 0.4 for line in lines) <= max_raw:
                return lines
    # Thousands of top-level directories: list what fits and count the rest.
    lines, used = [], 0.0
    for line in (full[i] for i in order):
        cost = raw_estimate(line) + 0.4
        if used + cost > max_raw - 12:
            break
        lines.append(line)
        used += cost
    lines.append(f"[… {len(files) - len(lines)} more files not listed]")
    return lines


def _rank(f: FileChange, category: FileCategory) -> int:
    if category in NOT_SENT or f.binary:
        return 9
    if f.status.startswith("D"):
        return DELETION_PRIORITY
    return _PRIORITY.get(category, 2)


def pack_commit(
    commit: Commit,
    triage: Triage,
    max_raw_tokens: float,
    pull: PullText | None = None,
    *,
    redacted: bool = False,
) -> PackedCommit:
    """The data block for one commit, at most ``max_raw_tokens`` (uncalibrated) tokens.

    ``redacted``: the commit and ``pull`` went through the run's redaction (``redact.redact_commit``,
    ``redact_pull_text``) already, whole; the hunks it sends are parts of that text and are not redacted
    again (about a third of packing's CPU). Otherwise each sent hunk is redacted here."""
    found: Counter[str] = Counter()
    clipped = False

    def clean(text: str) -> str:
        if redacted:
            return neutralise(text)
        r = redact(text)
        found.update(r.found)
        return neutralise(r.text)

    def cut(text: str, max_raw: float) -> str:
        nonlocal clipped
        out = clip(text, max_raw)
        clipped = clipped or out is not text
        return out

    budget = max(max_raw_tokens, 200.0)
    categories = list(triage.categories) or [FileCategory.OTHER] * len(commit.files)
    if len(categories) < len(commit.files):
        categories += [FileCategory.OTHER] * (len(commit.files) - len(categories))

    head = [
        "## Commit",
        f"sha: {commit.sha}",
        f"author: {clean(commit.author.name)}",
        f"committed: {commit.committed_at.isoformat()}",
    ]
    if commit.is_merge:
        head.append(f"merge commit with {len(commit.parents)} parents (its own diff is summarised by stats)")
    head.append(f"subject: {clean(commit.subject)}")
    sections = ["\n".join(head)]
    if commit.body.strip():
        sections.append("message body:\n" + cut(clean(commit.body.strip()), max(budget * 0.15, 150)))
    if pull is not None:
        number = f" #{pull.number}" if pull.number is not None else ""
        pr = [f"## Pull request{number}", f"title: {clean(pull.title)}"]
        if pull.body.strip():
            pr.append("body:\n" + cut(clean(pull.body.strip()), max(budget * 0.10, 100)))
        sections.append("\n".join(pr))

    total_lines = sum(f.changed_lines for f in commit.files if not f.binary)
    adds, dels = commit.additions, commit.deletions
    listing = file_list(commit.files, categories, max(budget * 0.25, 150))
    files_header = f"## Files ({len(commit.files)} changed, +{adds}/-{dels})\n"
    files_at = len(sections)
    sections.append(files_header + clean("\n".join(listing)))

    used = sum(raw_estimate(s) for s in sections) + 40
    patch_budget = budget - used
    shown_lines = 0
    sent: set[int] = set()
    patch_parts: list[str] = []
    candidates = [
        i
        for i, f in enumerate(commit.files)
        if f.patch and categories[i] not in NOT_SENT and not f.binary
    ]
    candidates.sort(key=lambda i: (_rank(commit.files[i], categories[i]), i))
    ranks = [_rank(commit.files[i], categories[i]) for i in candidates]
    for position, i in enumerate(candidates):
        if patch_budget < MIN_PARTIAL_TOKENS:
            break
        f = commit.files[i]
        patch = f.patch or ""
        # Only the hunks that are sent are redacted (``_fit_hunks``): every pattern matches within a hunk,
        # except a private key block, which may span hunks: then the whole patch is redacted first.
        whole = "PRIVATE KEY" in patch
        hunks = condense_patch(clean(patch) if whole else patch)
        if not hunks:
            continue
        # Strict priority between classes (a source patch may use everything the docs would have had);
        # inside a class the budget is shared so one huge file does not hide all the others.
        left_in_class = ranks[position:].count(ranks[position])
        cap = patch_budget / min(left_in_class, 3) if left_in_class > 1 else patch_budget
        cap = max(cap, MIN_PARTIAL_TOKENS)
        header = f"### {_status_text(f)} (+{f.additions}/-{f.deletions})"
        text, changed, partial = _fit_hunks(header, hunks, cap, None if whole else clean)
        clipped = clipped or partial
        if text is None:
            continue
        patch_parts.append(text)
        patch_budget -= raw_estimate(text) + 1
        shown_lines += changed
        sent.add(i)
    if patch_parts:
        sections.append("## Patches (1 line of context; long hunks cut)\n" + "\n".join(patch_parts))
    elif commit.files and not commit.patches_collected:
        sections.append("## Patches\n(not collected)")

    text = "\n\n".join(sections)
    if raw_estimate(text) > budget:
        # Over budget (a huge subject or author, a tiny budget): the file list is never what goes. Without
        # the patches, with the list itself in its shortest counted form if need be, and the message cut.
        sent, shown_lines = set(), 0
        tail = sections[files_at]
        if raw_estimate(tail) > budget * 0.6:
            tail = files_header + clean("\n".join(file_list(commit.files, categories, budget * 0.5)))
        front = cut("\n\n".join(sections[:files_at]), budget - raw_estimate(tail) - 4)
        text = front + "\n\n" + tail
    left_out = tuple(
        f.path for i, f in enumerate(commit.files) if i not in sent and (f.changed_lines > 0 or f.binary)
    )
    shown_lines = min(shown_lines, total_lines)
    coverage = None if total_lines == 0 else round(shown_lines / total_lines, 4)
    return PackedCommit(
        text=text,
        coverage=coverage,
        files_left_out=left_out,
        shown_lines=shown_lines,
        total_lines=total_lines,
        redactions=found,
        raw_tokens=raw_estimate(text),
        trimmed=clipped or len(listing) != len(commit.files) or any(i not in sent for i in candidates),
    )


def _fit_hunks(
    header: str, hunks: list[Hunk], cap: float, clean: Callable[[str], str] | None = None
) -> tuple[str | None, int, bool]:
    """As many hunks (and lines of the next one) as fit in ``cap`` tokens, each passed through ``clean``
    (redaction) only when it is reached; (None, 0, True) if none fit. The flag: something was cut."""
    out = [header]
    used = raw_estimate(header) + 1
    changed = 0
    cut_note = "[… rest of this file's diff cut: {n} more changed lines]"
    reserve = raw_estimate(cut_note) + 4
    partial = False
    for h_index, hunk in enumerate(hunks):
        if clean is not None:
            hunk = Hunk(clean("\n".join(hunk.lines)).split("\n"), hunk.changed)
        cost = sum(raw_estimate(line) + 0.34 for line in hunk.lines)
        if used + cost <= cap - (reserve if h_index < len(hunks) - 1 else 0):
            out.extend(hunk.lines)
            used += cost
            changed += hunk.changed
            continue
        # partial hunk: line by line
        for line in hunk.lines:
            line_cost = raw_estimate(line) + 0.34
            if used + line_cost > cap - reserve:
                break
            out.append(line)
            used += line_cost
            if line[:1] in ("+", "-"):
                changed += 1
        remaining = sum(h.changed for h in hunks[h_index:]) - (changed - sum(h.changed for h in hunks[:h_index]))
        out.append(cut_note.format(n=max(remaining, 0)))
        partial = True
        break
    if len(out) <= 1 or (changed == 0 and len(out) <= 3):
        return None, 0, True
    return "\n".join(out), changed, partial
