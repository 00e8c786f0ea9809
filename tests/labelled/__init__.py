"""The labelled set: real-world-style commits from a dozen projects with the change type and importance
a reader of that project's daily report would give them (``*.commits.toml`` in this directory: a plain
``ruff.toml`` would be read by ruff as its config).

Each file names its ``project`` (the repository, whose name triage must never read as a type word;
a commit may name its own) and lists ``[[commit]]`` tables:

- ``subject``; optional ``body``, ``author`` ("Name <email>"), ``parents`` (2 for a merge);
- ``patch``: path -> unified diff excerpt, where a rule reads the patch;
- ``files``: "path +added -deleted", or "STATUS path +added -deleted" with git's status letter
  (A, M, D ...) when the set knows it;
- ``type``: a ChangeType value; ``level``: "high", or "high/medium" for a borderline case where
  either level is right (the first is the preferred one).

``measure()`` runs triage over the set; ``scripts/triage_accuracy.py`` prints the confusion matrices
that docs/triage.md shows.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from commitwatch.models import ChangeType, Commit, FileChange, Importance, Person, Triage
from commitwatch.triage import triage
from tests.fakes import with_diff_header

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
WHEN = datetime(2026, 2, 7, 3, 0, tzinfo=timezone.utc)
_FILE_RE = re.compile(r"^(?:(?P<status>[AMDRCT]) )?(?P<path>.+?) \+(?P<adds>\d+) -(?P<dels>\d+)$")
_AUTHOR_RE = re.compile(r"^(?P<name>.*?)\s*<(?P<email>[^>]*)>$")


@dataclass(frozen=True)
class Labelled:
    id: str
    project: str
    commit: Commit
    type: ChangeType
    levels: tuple[Importance, ...]  # the preferred level first


@dataclass(frozen=True)
class Outcome:
    case: Labelled
    result: Triage

    @property
    def type_ok(self) -> bool:
        return self.result.change_type is self.case.type

    @property
    def level_ok(self) -> bool:
        return self.result.importance in self.case.levels


def _file(spec: str, patches: dict[str, str]) -> FileChange:
    match = _FILE_RE.match(spec)
    if match is None:
        raise ValueError(f"bad file spec {spec!r}: expected 'path +added -deleted'")
    path = match.group("path")
    adds, dels = int(match.group("adds")), int(match.group("dels"))
    status = match.group("status") or ("A" if dels == 0 and adds > 0 and path not in patches and adds > 50 else "M")
    patch = patches.get(path)
    if patch is not None:
        patch = with_diff_header(path, patch)
    return FileChange(path, status, adds, dels, patch=patch)


def _commit(entry: dict[str, object], project: str, index: int) -> Commit:
    author = _AUTHOR_RE.match(str(entry.get("author", "Ada Lovelace <ada@example.com>")))
    assert author is not None, entry
    person = Person(author.group("name"), author.group("email"))
    patches = dict(entry.get("patch", {}))  # type: ignore[call-overload]
    files = tuple(_file(spec, patches) for spec in entry.get("files", []))  # type: ignore[attr-defined]
    sha = hashlib.sha1(f"{project}#{index}".encode()).hexdigest()
    parents = tuple(hashlib.sha1(f"{sha}^{n}".encode()).hexdigest() for n in range(int(entry.get("parents", 1))))  # type: ignore[call-overload]
    return Commit(
        sha=sha,
        parents=parents,
        author=person,
        authored_at=WHEN,
        committer=person,
        committed_at=WHEN,
        subject=str(entry["subject"]),
        body=str(entry.get("body", "")),
        files=files,
        patches_collected=bool(patches),
    )


def load(paths: list[Path] | None = None) -> list[Labelled]:
    """The labelled set (every ``*.commits.toml`` here), or the cases in ``paths``."""
    cases: list[Labelled] = []
    for path in paths if paths is not None else sorted(HERE.glob("*.commits.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for index, entry in enumerate(data["commit"], start=1):
            project = entry.get("project", data.get("project", ""))
            levels = tuple(Importance(level) for level in entry["level"].split("/"))
            cases.append(
                Labelled(
                    id=f"{path.name.split('.')[0]}-{index:02d}",
                    project=project,
                    commit=_commit(entry, project, index),
                    type=ChangeType(entry["type"]),
                    levels=levels,
                )
            )
    return cases


def check_heldout_shape(
    cases: list[Labelled],
    *,
    size: int,
    projects: int,
    high: float,
    others: list[list[Labelled]],
    new_projects: int,
) -> None:
    """Assert a held-out set's shape: at least ``size`` commits from ``projects`` projects, every change
    type and level, a preferred level of high for at least ``high`` of them and of low for at most 45%,
    some borderline cases, and at least ``new_projects`` projects that none of ``others`` has."""
    assert len(cases) >= size
    assert len({case.id for case in cases}) == len(cases)
    counts = Counter(case.project for case in cases)
    assert len(counts) >= projects
    assert {case.type for case in cases} == set(ChangeType)  # every change type, "other" too
    preferred = Counter(case.levels[0] for case in cases)
    assert set(preferred) == set(Importance)
    assert preferred[Importance.HIGH] >= high * len(cases)
    assert preferred[Importance.LOW] <= 0.45 * len(cases)
    assert any(len(case.levels) == 2 for case in cases)
    seen = set().union(*({case.project for case in other} for other in others))
    assert len(set(counts) - seen) >= new_projects, set(counts) & seen


def new_projects(cases: list[Labelled], others: list[list[Labelled]]) -> list[Labelled]:
    """The cases whose project none of ``others`` has."""
    seen = set().union(*({case.project for case in other} for other in others))
    return [case for case in cases if case.project not in seen]


def measure(cases: list[Labelled] | None = None) -> list[Outcome]:
    return [Outcome(case, triage(case.commit, project=case.project)) for case in (cases or load())]


def accuracy(outcomes: list[Outcome]) -> tuple[float, float]:
    """(type accuracy, importance accuracy) over the outcomes."""
    total = len(outcomes) or 1
    return sum(o.type_ok for o in outcomes) / total, sum(o.level_ok for o in outcomes) / total


def _matrix(rows: list[str], pairs: Counter[tuple[str, str]], corner: str) -> list[str]:
    columns = [c for c in rows if any(pairs[(r, c)] for r in rows)]
    lines = [f"| {corner} | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    for row in rows:
        if any(pairs[(row, c)] for c in rows):
            cells = [str(pairs[(row, c)] or "·") for c in columns]
            lines.append(f"| **{row}** | " + " | ".join(cells) + " |")
    return lines


def report(outcomes: list[Outcome]) -> str:
    """Accuracy and the two confusion matrices (expected rows, triage's columns) as Markdown."""
    type_acc, level_acc = accuracy(outcomes)
    projects = len({o.case.project for o in outcomes})
    types = [t.value for t in ChangeType]
    type_pairs = Counter((o.case.type.value, o.result.change_type.value) for o in outcomes)
    levels = [i.value for i in Importance]
    # a borderline case predicted at its other acceptable level counts on the diagonal
    level_pairs = Counter(
        (o.result.importance.value if o.level_ok else o.case.levels[0].value, o.result.importance.value)
        for o in outcomes
    )
    lines = [
        f"{len(outcomes)} commits from {projects} projects.",
        "",
        f"- type: {type_acc:.1%} ({sum(o.type_ok for o in outcomes)}/{len(outcomes)})",
        f"- importance: {level_acc:.1%} ({sum(o.level_ok for o in outcomes)}/{len(outcomes)})",
        "",
        "Change type (rows: the label, columns: triage):",
        "",
        *_matrix(types, type_pairs, "label \\ triage"),
        "",
        "Importance (rows: the label, a borderline case on the level triage chose when both are right):",
        "",
        *_matrix(levels, level_pairs, "label \\ triage"),
    ]
    misses = [o for o in outcomes if not (o.type_ok and o.level_ok)]
    if misses:
        lines += ["", "Misses:", ""]
        for o in misses:
            want = f"{o.case.type.value}/{'|'.join(level.value for level in o.case.levels)}"
            got = f"{o.result.change_type.value}/{o.result.importance.value} ({o.result.score})"
            lines.append(f"- `{o.case.id}` {o.case.commit.subject[:90]} — label {want}, triage {got}")
    return "\n".join(lines)


def confusions(outcomes: list[Outcome], top: int = 12) -> str:
    """The most frequent (label -> triage) confusions of type and of importance, one line each."""
    types = Counter(f"{o.case.type.value}->{o.result.change_type.value}" for o in outcomes if not o.type_ok)
    levels = Counter(f"{o.case.levels[0].value}->{o.result.importance.value}" for o in outcomes if not o.level_ok)
    return "\n".join(
        [
            "type confusions: " + ", ".join(f"{k} {n}" for k, n in types.most_common(top)),
            "importance confusions: " + ", ".join(f"{k} {n}" for k, n in levels.most_common(top)),
        ]
    )


def check_accuracy(name: str, cases: list[Labelled], type_floor: float, importance_floor: float) -> None:
    """Triage over ``cases``: print the accuracies, the confusions and the misses (``-s``), and fail below
    either floor."""
    outcomes = measure(cases)
    type_accuracy, importance_accuracy = accuracy(outcomes)
    print(f"\n{name}: type accuracy {type_accuracy:.1%}, importance accuracy {importance_accuracy:.1%}")
    print(confusions(outcomes))
    summary = report(outcomes)
    print(summary)
    assert type_accuracy >= type_floor, summary
    assert importance_accuracy >= importance_floor, summary
