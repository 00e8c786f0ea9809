"""The demo is modelled on the real day, and invents nothing it lacks: its file lists are the real ones."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from importlib import resources
from pathlib import Path

import pytest

from commitwatch.demo import DEMO_DAY, DEMO_TZ, FILES_TSV, build_demo_repo
from commitwatch.sources import open_repository, resolve_repo
from commitwatch.window import day_window

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference" / FILES_TSV


def packaged_rows() -> list[dict[str, str]]:
    text = resources.files("commitwatch").joinpath("data").joinpath(FILES_TSV).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text), delimiter="\t"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> list:
    tmp = tmp_path_factory.mktemp("demo")
    repo = open_repository(resolve_repo(str(build_demo_repo(tmp / "cache"))), tmp / "cache")
    return repo.collect(None, day_window(DEMO_DAY, DEMO_TZ))


def test_the_packaged_file_list_is_the_reference_one() -> None:
    rows = packaged_rows()
    assert len(rows) == 303 and len({r["sha"] for r in rows}) == 31
    if SHARED.is_file():  # beside the clone in CI and here; the package never reads it
        packaged = resources.files("commitwatch").joinpath("data").joinpath(FILES_TSV)
        assert SHARED.read_text(encoding="utf-8") == packaged.read_text(encoding="utf-8")


def test_every_commit_has_the_real_files_statuses_and_counts(demo: list) -> None:
    want: dict[float, set[tuple]] = {}
    authors: dict[float, str] = {}
    for r in packaged_rows():
        when = datetime.fromisoformat(r["committed_at"])
        binary = r["additions"] == "-"
        want.setdefault(when.timestamp(), set()).add((
            r["status"], r["path"], r["old_path"] or None,
            None if binary else int(r["additions"]), None if binary else int(r["deletions"]), binary,
        ))  # fmt: skip
        authors[when.timestamp()] = r["author"]
    assert len(demo) == 31
    for commit in demo:
        stamp = commit.committed_at.timestamp()
        got = {(f.status, f.path, f.old_path, None if f.binary else f.additions,
                None if f.binary else f.deletions, f.binary) for f in commit.files}  # fmt: skip
        assert got == want[stamp], commit.subject
        assert commit.author.name == authors[stamp]
    assert sum(len(c.files) for c in demo) == 303


def test_the_demo_invents_no_message_text(demo: list) -> None:
    assert all(commit.body == "" for commit in demo)
    bump = next(c for c in demo if "bytes crate" in c.subject)
    assert "RUSTSEC" not in bump.subject + bump.body  # the real message cites no advisory
