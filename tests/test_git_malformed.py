"""Malformed commit objects never crash a run: each case is a real object written with
``git hash-object -t commit --literally``, between ordinary commits, and reported through the CLI."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from commitwatch.sources import open_repository, resolve_repo
from commitwatch.sources.logparse import parse_commit_object
from commitwatch.window import day_window
from tests.cli import run_cli
from tests.gitrepo import GitRepo

AUTHOR = b"Ada Lovelace <ada@example.com>"
COMMITTER = b"Grace Hopper <grace@example.com>"
STAMP = b"1770433200"  # 2026-02-07T11:00:00+08:00
GOOD = STAMP + b" +0800"


@dataclass(frozen=True)
class Case:
    author: bytes | None  # the whole value of the author line (None: no line)
    committer: bytes | None
    message: bytes = b"fix: a malformed commit\n\nIt still has a body.\n"
    encoding: bytes | None = None
    subject: str = "fix: a malformed commit"
    in_window: bool = True  # False: git cannot read the committer date, so no window holds it
    note: str | None = None  # a fragment the commit's notes must hold


CASES: dict[str, Case] = {
    "author offset +9959": Case(AUTHOR + b" " + STAMP + b" +9959", COMMITTER + b" " + GOOD,
                                note="author date has an impossible time zone offset"),
    "author offset -2400": Case(AUTHOR + b" " + STAMP + b" -2400", COMMITTER + b" " + GOOD,
                                note="author date has an impossible time zone offset"),
    "committer offset +9959": Case(AUTHOR + b" " + GOOD, COMMITTER + b" " + STAMP + b" +9959",
                                   note="committer date has an impossible time zone offset"),
    "committer offset -2400": Case(AUTHOR + b" " + GOOD, COMMITTER + b" " + STAMP + b" -2400",
                                   note="committer date has an impossible time zone offset"),
    "author year 33658": Case(AUTHOR + b" 999999999999 +0000", COMMITTER + b" " + GOOD,
                              note="the author date is beyond year 9999"),
    "committer year 33658": Case(AUTHOR + b" " + GOOD, COMMITTER + b" 999999999999 +0000", in_window=False),
    "author without time": Case(AUTHOR, COMMITTER + b" " + GOOD, note="the author date cannot be read"),
    "committer without time": Case(AUTHOR + b" " + GOOD, COMMITTER, in_window=False),
    "author garbage time": Case(AUTHOR + b" yesterday +0800", COMMITTER + b" " + GOOD,
                                note="the author date cannot be read"),
    "committer garbage time": Case(AUTHOR + b" " + GOOD, COMMITTER + b" soon +0800", in_window=False),
    "author without <>": Case(b"Ada Lovelace ada@example.com " + GOOD, COMMITTER + b" " + GOOD,
                              note="the author line is not of the form"),
    # git reads no committer date when the author line has no '>' or is missing: no window holds it
    "committer without <>": Case(AUTHOR + b" " + GOOD, b"Grace Hopper grace@example.com " + GOOD, in_window=False),
    "no author line": Case(None, COMMITTER + b" " + GOOD, in_window=False),
    "NUL in the author name": Case(b"Ada\0Lovelace <ada@example.com> " + GOOD, COMMITTER + b" " + GOOD,
                                   note="holds a NUL byte"),
    "NUL in the message": Case(AUTHOR + b" " + GOOD, COMMITTER + b" " + GOOD, message=b"fix: nul\0inside\n",
                               subject="fix: nul\ufffdinside"),
    "latin-1 with header": Case(AUTHOR + b" " + GOOD, COMMITTER + b" " + GOOD, message="fix: café\n".encode("latin-1"),
                                encoding=b"ISO-8859-1", subject="fix: café"),
    "latin-1 without header": Case(AUTHOR + b" " + GOOD, COMMITTER + b" " + GOOD,
                                   message="fix: café\n".encode("latin-1"), subject="fix: café", note="Latin-1"),
    "UTF-16 with header": Case(AUTHOR + b" " + GOOD, COMMITTER + b" " + GOOD, message="fix: 修复\n".encode("utf-16"),
                               encoding=b"UTF-16", subject="fix: 修复"),
    "UTF-16 without header": Case(AUTHOR + b" " + GOOD, COMMITTER + b" " + GOOD,
                                  message="fix: 修复\n".encode("utf-16"), subject="fix: 修复", note="UTF-16"),
    "UTF-16LE without BOM or header": Case(AUTHOR + b" " + GOOD, COMMITTER + b" " + GOOD,
                                           message="fix: naïve\n".encode("utf-16-le"), subject="fix: naïve",
                                           note="UTF-16"),
    "unknown encoding header": Case(AUTHOR + b" " + GOOD, COMMITTER + b" " + GOOD, encoding=b"X-NOPE",
                                    note="unknown encoding"),
    "empty message": Case(AUTHOR + b" " + GOOD, COMMITTER + b" " + GOOD, message=b"", subject=""),
}  # fmt: skip


def write_object(repo: GitRepo, case: Case, tree: str) -> str:
    lines = [b"tree " + tree.encode(), b"parent " + repo.head().encode()]
    if case.author is not None:
        lines.append(b"author " + case.author)
    if case.committer is not None:
        lines.append(b"committer " + case.committer)
    if case.encoding is not None:
        lines.append(b"encoding " + case.encoding)
    raw = b"\n".join(lines) + b"\n\n" + case.message
    sha = repo.git("hash-object", "-t", "commit", "--literally", "-w", "--stdin", input=raw).strip()
    repo.git("update-ref", "refs/heads/main", sha)  # the index already holds the tree's content
    return sha


def build(tmp_path: Path, case: Case, tree: str | None = None) -> tuple[GitRepo, str, str, str]:
    """base (10:00) <- the malformed commit (11:00) <- an ordinary commit on top (12:00)."""
    repo = GitRepo.create(tmp_path / "r")
    repo.write("a.txt", "1\n")
    below = repo.commit("chore: below", committed="2026-02-07T10:00:00+08:00")
    repo.write("a.txt", "2\n")
    repo.git("add", "-A")
    bad = write_object(repo, case, tree or repo.git("write-tree").strip())
    repo.write("b.txt", "3\n")
    repo.git("add", "-A")
    when = "2026-02-07T12:00:00+08:00"
    env = {"GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com", "GIT_AUTHOR_DATE": when,
           "GIT_COMMITTER_NAME": "Grace", "GIT_COMMITTER_EMAIL": "grace@example.com", "GIT_COMMITTER_DATE": when}
    tree_above = repo.git("write-tree").strip()
    above = repo.git("commit-tree", tree_above, "-p", bad, env=env, input=b"feat: above\n").strip()
    repo.git("update-ref", "refs/heads/main", above)
    return repo, below, bad, above


def report(repo: GitRepo, tmp_path: Path, *extra: str, expect: int = 0) -> dict:
    env = {"COMMITWATCH_CACHE_DIR": str(tmp_path / "cache"), "COMMITWATCH_DB": str(tmp_path / "store.db")}
    out = tmp_path / "out"
    run_cli("report", "--repo", str(repo.path), "--date", "2026-02-07", "--tz", "Asia/Shanghai", "--no-llm",
            "--lang", "en", "--output-dir", str(out), *extra, expect=expect, env=env)  # fmt: skip
    data = json.loads((out / "2026" / "r" / "2026-02-07.json").read_text(encoding="utf-8"))
    data["_md"] = (out / "2026" / "r" / "2026-02-07.md").read_text(encoding="utf-8")
    return data


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_commit_is_reported_and_nothing_crashes(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    repo, below, bad, above = build(tmp_path, case)
    data = report(repo, tmp_path)
    by_sha = {c["sha"]: c for c in data["commits"]}
    assert above in by_sha and below in by_sha  # every ordinary commit of the day
    assert by_sha[above]["notes"] == [] and by_sha[below]["notes"] == []
    if not case.in_window:
        assert bad not in by_sha
        assert any(bad[:10] in w and "committer date that cannot be read" in w for w in data["warnings"])
        assert bad[:10] in data["_md"]
        return
    commit = by_sha[bad]
    assert commit["subject"] == case.subject
    assert [f["path"] for f in commit["files"]] == ["a.txt"] and commit["additions"] == 1
    if case.note is not None:
        assert any(case.note in note for note in commit["notes"]), commit["notes"]
        assert case.note in data["_md"]  # visible on the commit in the Markdown too
    assert "\0" not in data["_md"] and "\0" not in json.dumps(data)
    assert not data["warnings"]


def test_unreadable_author_date_shows_the_committer_date(tmp_path: Path) -> None:
    repo, _, bad, _ = build(tmp_path, CASES["author garbage time"])
    (commit,) = [c for c in open_repository(resolve_repo(str(repo.path)), tmp_path / "c").collect(
        None, day_window(__import__("datetime").date(2026, 2, 7), "Asia/Shanghai")) if c.sha == bad]  # fmt: skip
    assert commit.authored_at == commit.committed_at
    assert commit.committed_at.isoformat() == "2026-02-07T11:00:00+08:00"
    assert "the author date cannot be read; the committer date is shown" in commit.notes


def test_impossible_offset_is_shown_in_utc(tmp_path: Path) -> None:
    obj = parse_commit_object(b"tree x\nauthor " + AUTHOR + b" " + STAMP + b" +9959\ncommitter " + COMMITTER + b" "
                              + STAMP + b" -2400\n\nm\n")  # fmt: skip
    assert obj.author.when is not None and obj.author.when.isoformat() == "2026-02-07T03:00:00+00:00"
    assert obj.committer.when == obj.author.when


def test_broken_ident_is_shown_as_the_raw_text(tmp_path: Path) -> None:
    repo, _, bad, _ = build(tmp_path, CASES["author without <>"])
    data = report(repo, tmp_path)
    (commit,) = [c for c in data["commits"] if c["sha"] == bad]
    assert commit["author"] == "Ada Lovelace ada@example.com 1770433200 +0800"
    assert commit["committed_at"] == "2026-02-07T11:00:00+08:00"


def test_a_commit_whose_tree_is_missing_is_reported_and_degrades_the_run(tmp_path: Path) -> None:
    case = Case(AUTHOR + b" " + GOOD, COMMITTER + b" " + GOOD, subject="fix: a malformed commit")
    repo, below, bad, above = build(tmp_path, case, tree="1" * 40)
    data = report(repo, tmp_path, expect=4)  # degraded: exit 4 ...
    by_sha = {c["sha"]: c for c in data["commits"]}
    assert set(by_sha) == {below, bad, above}
    assert by_sha[bad]["missing_objects"] == ["1" * 40]
    assert any("the repository lacks objects of this commit: 111111111111" in n for n in by_sha[bad]["notes"])
    assert by_sha[bad]["files"] == []  # nothing can be listed without the tree
    # the commit above diffs against the missing tree too: it lacks the same object
    assert by_sha[above]["missing_objects"] == ["1" * 40]
    assert by_sha[below]["notes"] == [] and [f["path"] for f in by_sha[below]["files"]] == ["a.txt"]
    assert any("lacks objects of 2 commits" in w for w in data["warnings"])
    assert "lacks objects of this commit" in data["_md"]
    again = report(repo, tmp_path, "--allow-degraded", "--format", "md,json,html")  # ... unless --allow-degraded
    assert {c["sha"] for c in again["commits"]} == {below, bad, above}
    html = (tmp_path / "out" / "2026" / "r" / "2026-02-07.html").read_text(encoding="utf-8")
    assert "the repository lacks objects of this commit: 111111111111" in html


def test_a_commit_object_git_cannot_parse_is_a_clear_source_error(tmp_path: Path) -> None:
    # no tree line at all: git itself cannot find the parents, so the history cannot be walked
    repo = GitRepo.create(tmp_path / "r")
    repo.write("a.txt", "1\n")
    repo.commit("chore: below", committed="2026-02-07T10:00:00+08:00")
    raw = b"parent " + repo.head().encode() + b"\nauthor " + AUTHOR + b" " + GOOD + b"\ncommitter " + COMMITTER
    raw += b" " + GOOD + b"\n\nbogus\n"
    sha = repo.git("hash-object", "-t", "commit", "--literally", "-w", "--stdin", input=raw).strip()
    (repo.path / ".git" / "refs" / "heads" / "main").write_text(sha + "\n")  # update-ref refuses it
    env = {"COMMITWATCH_CACHE_DIR": str(tmp_path / "cache"), "COMMITWATCH_DB": str(tmp_path / "store.db")}
    result = run_cli("report", "--repo", str(repo.path), "--date", "2026-02-07", "--no-llm", "--output-dir",
                     str(tmp_path / "out"), expect=3, env=env)  # fmt: skip
    assert "a commit object is malformed" in result.stderr and "git fsck" in result.stderr
