"""Triage against the labelled set (tests/labelled/*.commits.toml): per-field accuracy with a floor.

The set holds real-world-style commits from a dozen projects (Python, Rust, C++/CUDA, Go, TypeScript
and ML serving stacks) labelled with the type and importance a reader of that project's daily report
would give. ``scripts/triage_accuracy.py`` prints the confusion matrices docs/triage.md shows.
"""

from __future__ import annotations

from collections import Counter

from commitwatch.models import ChangeType, Importance
from tests.labelled import accuracy, load, measure, report

TYPE_FLOOR = 0.90
IMPORTANCE_FLOOR = 0.90


def test_the_set_is_large_and_varied() -> None:
    cases = load()
    assert len(cases) >= 250
    projects = Counter(case.project for case in cases)
    assert len(projects) >= 10 and min(projects.values()) >= 15
    assert len({case.id for case in cases}) == len(cases)
    assert {case.levels[0] for case in cases} == set(Importance)
    assert len({case.type for case in cases}) >= len(ChangeType) - 1  # every type but "other"
    assert any(len(case.levels) == 2 for case in cases)  # borderline cases take two levels
    paths = [f.path for case in cases for f in case.commit.files]
    for suffix in (".py", ".rs", ".cu", ".cpp", ".go", ".ts", ".tsx"):
        assert any(path.endswith(suffix) for path in paths), suffix


def test_accuracy_meets_the_floor() -> None:
    outcomes = measure()
    type_accuracy, importance_accuracy = accuracy(outcomes)
    print(f"\ntype accuracy {type_accuracy:.1%}, importance accuracy {importance_accuracy:.1%}")
    summary = report(outcomes)
    assert type_accuracy >= TYPE_FLOOR, summary
    assert importance_accuracy >= IMPORTANCE_FLOOR, summary


def test_the_report_counts_every_commit_once() -> None:
    outcomes = measure()
    text = report(outcomes)
    assert text.startswith(f"{len(outcomes)} commits from ")
    type_rows = [line for line in text.splitlines() if line.startswith("| **") and "|" in line]
    total = sum(int(cell) for line in type_rows for cell in line.split("|")[2:-1] if cell.strip().isdigit())
    assert total == 2 * len(outcomes)  # both matrices together
