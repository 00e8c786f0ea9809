"""A patch condensed for the model: one line of context instead of git's three, and long hunks cut."""

from __future__ import annotations

import re
from dataclasses import dataclass

CONTEXT_LINES = 1
MAX_HUNK_LINES = 80  # longer hunks keep their first KEEP_HUNK_LINES lines
KEEP_HUNK_LINES = 60
_HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$")


@dataclass
class Hunk:
    lines: list[str]
    changed: int  # + and - lines in ``lines``


def condense_patch(patch: str, context: int = CONTEXT_LINES) -> list[Hunk]:
    """The hunks of one file's unified diff with at most ``context`` context lines around changes and
    long hunks cut. Headers are recomputed so the line numbers stay right."""
    hunks: list[Hunk] = []
    lines = patch.split("\n")
    i = 0
    while i < len(lines) and not lines[i].startswith("@@"):
        i += 1
    while i < len(lines):
        match = _HUNK_HEADER.match(lines[i])
        if not match:
            i += 1
            continue
        old_no, new_no, heading = int(match.group(1)), int(match.group(3)), match.group(5)
        i += 1
        body: list[str] = []
        while i < len(lines) and not lines[i].startswith("@@"):
            body.append(lines[i])
            i += 1
        while body and body[-1] == "":
            body.pop()
        hunks.extend(_condense_hunk(body, old_no, new_no, heading, context))
    return hunks


def _condense_hunk(body: list[str], old_no: int, new_no: int, heading: str, context: int) -> list[Hunk]:
    is_change = [line[:1] in ("+", "-") for line in body]
    keep = [False] * len(body)
    for idx, line_changed in enumerate(is_change):
        if line_changed:
            for j in range(max(0, idx - context), min(len(body), idx + context + 1)):
                keep[j] = True
    for idx, line in enumerate(body):
        if line.startswith("\\") and idx > 0 and keep[idx - 1]:
            keep[idx] = True  # "\ No newline at end of file" belongs to the line before
    out: list[Hunk] = []
    run: list[str] = []
    run_old = run_new = 0
    old_count = new_count = changed = 0
    old_cur, new_cur = old_no, new_no

    def flush() -> None:
        nonlocal run, changed, old_count, new_count
        if run:
            header = f"@@ -{run_old},{old_count} +{run_new},{new_count} @@" + (f" {heading}" if heading else "")
            out.append(_cut_hunk([header, *run], changed))
        run, changed, old_count, new_count = [], 0, 0, 0

    for idx, line in enumerate(body):
        kind = line[:1]
        if keep[idx]:
            if not run:
                run_old, run_new = old_cur, new_cur
            run.append(line)
            if kind == "-":
                old_count += 1
                changed += 1
            elif kind == "+":
                new_count += 1
                changed += 1
            elif kind != "\\":
                old_count += 1
                new_count += 1
        else:
            flush()
        if kind == "-":
            old_cur += 1
        elif kind == "+":
            new_cur += 1
        elif kind != "\\":
            old_cur += 1
            new_cur += 1
    flush()
    return out


def _cut_hunk(hunk_lines: list[str], changed: int) -> Hunk:
    if len(hunk_lines) <= MAX_HUNK_LINES + 1:
        return Hunk(hunk_lines, changed)
    kept = hunk_lines[: KEEP_HUNK_LINES + 1]
    rest = hunk_lines[KEEP_HUNK_LINES + 1 :]
    plus = sum(1 for line in rest if line.startswith("+"))
    minus = sum(1 for line in rest if line.startswith("-"))
    kept.append(f"[… {len(rest)} more lines of this hunk cut: +{plus}/-{minus}]")
    return Hunk(kept, changed - plus - minus)
