"""Collecting commits from local repositories with the real git CLI."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from commitwatch.errors import SourceError, UsageError
from commitwatch.models import Commit, Window
from commitwatch.sources import PatchLimits, Repository, open_repository, resolve_repo
from commitwatch.sources.runner import git_version
from tests.gitrepo import AUTHOR, COMMITTER, GitRepo

EVER = Window(datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc), "UTC")


def open_local(path: Path, tmp_path: Path, limits: PatchLimits | None = None) -> Repository:
    return open_repository(resolve_repo(str(path)), tmp_path / "cache", limits=limits)


def day(year: int, month: int, dom: int, tz: str) -> Window:
    zone = ZoneInfo(tz)
    return Window(datetime(year, month, dom, tzinfo=zone), datetime(year, month, dom + 1, tzinfo=zone), tz)


def by_subject(commits: list[Commit]) -> dict[str, Commit]:
    return {c.subject: c for c in commits}


# --- window exactness ---------------------------------------------------------------------------------

# (committed, authored or None, inside the window?)
WINDOW_CASES = {
    "shanghai": (
        day(2026, 2, 7, "Asia/Shanghai"),
        [
            ("2026-02-06T23:59:59+08:00", None, False),
            ("2026-02-07T00:00:00+08:00", None, True),  # the start is inclusive
            ("2026-02-06T16:30:00+00:00", None, True),  # 00:30 in Shanghai, written in UTC
            ("2026-02-07T11:25:02+08:00", "2026-01-01T09:00:00+08:00", True),  # authored long before
            ("2026-02-08T00:00:00+08:00", "2026-02-07T12:00:00+08:00", False),  # authored inside, landed after
            ("2026-02-07T10:59:58-05:00", None, True),  # 23:59:58 in Shanghai, written in New York time
            ("2026-02-07T23:59:59+08:00", None, True),
            ("2026-02-07T16:00:00+00:00", None, False),  # = 2026-02-08T00:00+08:00, the end is exclusive
        ],
    ),
    "utc": (
        day(2026, 3, 8, "UTC"),
        [
            ("2026-03-07T23:59:59+00:00", None, False),
            ("2026-03-08T00:00:00+00:00", None, True),
            ("2026-03-08T07:59:59+08:00", None, False),  # 23:59:59 UTC the day before
            ("2026-03-08T08:00:01+08:00", None, True),
            ("2026-03-08T18:59:59-05:00", None, True),  # 23:59:59 UTC
            ("2026-03-08T19:00:00-05:00", None, False),  # midnight UTC, next day
        ],
    ),
    "new-york-spring-forward": (
        day(2026, 3, 8, "America/New_York"),  # 23 hours long
        [
            ("2026-03-07T23:59:59-05:00", None, False),
            ("2026-03-08T00:00:00-05:00", None, True),
            ("2026-03-08T01:59:59-05:00", None, True),  # the last second before the clocks jump
            ("2026-03-08T03:00:00-04:00", None, True),  # the first second after
            ("2026-03-09T03:59:59+00:00", None, True),  # 23:59:59 EDT
            ("2026-03-09T00:00:00-04:00", None, False),
            ("2026-03-09T04:00:00+00:00", "2026-03-08T12:00:00-04:00", False),
        ],
    ),
    "new-york-fall-back": (
        day(2026, 11, 1, "America/New_York"),  # 25 hours long
        [
            ("2026-10-31T23:59:59-04:00", None, False),
            ("2026-11-01T00:00:00-04:00", None, True),
            ("2026-11-01T01:30:00-04:00", None, True),  # the first 01:30
            ("2026-11-01T01:30:00-05:00", None, True),  # the second 01:30, an hour later
            ("2026-11-01T23:59:59-05:00", None, True),
            ("2026-11-02T05:00:00+00:00", None, False),  # midnight EST
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(WINDOW_CASES))
def test_window_selects_exactly_by_committer_date_newest_first(tmp_path: Path, case: str) -> None:
    window, commits = WINDOW_CASES[case]
    repo = GitRepo.create(tmp_path / "r")
    made: list[tuple[str, datetime, datetime, bool]] = []
    for i, (committed, authored, inside) in enumerate(commits):
        repo.write(f"f{i}.txt", f"{i}\n")
        sha = repo.commit(f"commit {i}", committed=committed, authored=authored)
        made.append((sha, datetime.fromisoformat(committed), datetime.fromisoformat(authored or committed), inside))

    got = open_local(repo.path, tmp_path).collect(None, window)

    expected = sorted((m for m in made if m[3]), key=lambda m: -m[1].timestamp())
    assert [c.sha for c in got] == [m[0] for m in expected]
    for commit, (_sha, committed, authored, _) in zip(got, expected, strict=True):
        assert commit.committed_at == committed
        assert commit.committed_at.utcoffset() == committed.utcoffset()  # the committer's own offset
        assert commit.authored_at == authored
        assert commit.authored_at.utcoffset() == authored.utcoffset()
        assert commit.author.name == AUTHOR[0] and commit.committer.email == COMMITTER[1]


def test_dst_days_have_23_and_25_hours() -> None:
    # Guards the cases above: the windows really are the short and the long day.
    spring = WINDOW_CASES["new-york-spring-forward"][0]
    fall = WINDOW_CASES["new-york-fall-back"][0]
    assert spring.end.timestamp() - spring.start.timestamp() == 23 * 3600
    assert fall.end.timestamp() - fall.start.timestamp() == 25 * 3600


def test_equal_commit_dates_keep_children_before_parents(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "r")
    shas = []
    for i in range(4):
        repo.write("f.txt", f"{i}\n")
        shas.append(repo.commit(f"c{i}", committed="2026-02-07T12:00:00+08:00"))
    got = open_local(repo.path, tmp_path).collect(None, day(2026, 2, 7, "Asia/Shanghai"))
    assert [c.sha for c in got] == shas[::-1]


def test_clock_skewed_descendant_does_not_hide_window_commits(tmp_path: Path) -> None:
    # The tip's committer clock was 18 days behind. `git log --since` stops walking at it and misses the
    # in-window commit below it; the full walk does not.
    repo = GitRepo.create(tmp_path / "r")
    repo.write("a", "1\n")
    repo.commit("base", committed="2026-02-01T10:00:00+08:00")
    repo.write("a", "2\n")
    inside = repo.commit("inside", committed="2026-02-07T10:00:00+08:00")
    repo.write("a", "3\n")
    repo.commit("skewed tip", committed="2026-01-20T10:00:00+08:00")
    window = day(2026, 2, 7, "Asia/Shanghai")

    naive = repo.git("log", "--format=%H", f"--since={window.start.isoformat()}", f"--until={window.end.isoformat()}")
    assert inside not in naive  # the heuristic this module must not rely on

    got = open_local(repo.path, tmp_path).collect(None, window)
    assert [c.sha for c in got] == [inside]


def test_naive_window_is_a_usage_error(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "r")
    repo.write("a", "1\n")
    repo.commit("a")
    naive = Window(datetime(2026, 2, 7), datetime(2026, 2, 8), "UTC")
    with pytest.raises(UsageError):
        open_local(repo.path, tmp_path).collect(None, naive)


# --- files, statuses, names, patches ------------------------------------------------------------------

WEIRD_NAMES: dict[bytes, str] = {
    b"with space.txt": "with space.txt",
    b"new\nline.txt": "new\nline.txt",
    b"tab\there.txt": "tab\there.txt",
    b'quo"te.txt': 'quo"te.txt',
    b"back\\slash.txt": "back\\slash.txt",
    "中文/文件.md".encode(): "中文/文件.md",
    b"caf\xe9.txt": "caf\\xe9.txt",  # not UTF-8: shown as an escape
    b"\x1emark.txt": "\x1emark.txt",  # our own record separator, in a file name
}


def build_zoo(path: Path) -> GitRepo:
    """A repository with one commit per kind of change, all on 2026-02-07 (Asia/Shanghai)."""
    repo = GitRepo.create(path)
    repo.write("src/app.py", "".join(f"line {i}\n" for i in range(10)))
    repo.write("old name.txt", "".join(f"stable text {i}\n" for i in range(20)))
    repo.write("gone.txt", "one\ntwo\nthree\nfour\nfive\n")
    repo.write("run.sh", "echo hi\n")
    repo.write("link", "plain file\n")
    repo.write(".mailmap", "Ada L <ada@example.com> <ada@example.com>\n")
    repo.commit("chore: initial import", committed="2026-02-07T09:00:00+08:00")

    os.remove(repo.path / "old name.txt")
    repo.write("renamed/new name.txt", "".join(f"stable text {i}\n" for i in range(19)) + "changed\n")
    repo.commit("refactor: rename", committed="2026-02-07T09:10:00+08:00")

    repo.write("img/logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    repo.commit("feat: add a logo", committed="2026-02-07T09:20:00+08:00")

    for raw, _ in WEIRD_NAMES.items():
        repo.write(raw, f"content of {raw!r}\n")
    repo.commit("test: odd file names", committed="2026-02-07T09:30:00+08:00")

    repo.write("src/app.py", "".join(f"line {i}\n" for i in range(10)) + "no newline at the end")
    repo.commit("", committed="2026-02-07T09:40:00+08:00")  # an empty message

    repo.remove("gone.txt")
    repo.commit("chore: delete gone.txt\n\nIt was unused.\n\nReally.", committed="2026-02-07T09:50:00+08:00")

    os.chmod(repo.path / "run.sh", 0o755)
    repo.commit("build: make run.sh executable", committed="2026-02-07T10:00:00+08:00")

    os.remove(repo.path / "link")
    os.symlink("src/app.py", repo.path / "link")
    repo.commit("chore: link is a symlink now", committed="2026-02-07T10:10:00+08:00")

    repo.git("checkout", "-q", "-b", "side")
    repo.write("side.txt", "a\nb\nc\n")
    repo.commit("feat: side work", committed="2026-02-07T10:20:00+08:00")
    repo.git("checkout", "-q", "main")
    repo.write("main.txt", "main\n")
    repo.commit("feat: main work", committed="2026-02-07T10:30:00+08:00")
    repo.merge("side", "Merge branch 'side'", committed="2026-02-07T10:40:00+08:00")
    return repo


@pytest.fixture(scope="module")
def zoo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    return build_zoo(tmp_path_factory.mktemp("zoo") / "zoo")


@pytest.fixture(scope="module")
def zoo_commits(zoo: GitRepo, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Commit]:
    repo = open_local(zoo.path, tmp_path_factory.mktemp("cache"))
    return by_subject(repo.collect("main", day(2026, 2, 7, "Asia/Shanghai")))


def test_zoo_lists_every_commit_newest_first(zoo: GitRepo, tmp_path: Path) -> None:
    commits = open_local(zoo.path, tmp_path).collect(None, day(2026, 2, 7, "Asia/Shanghai"))
    assert len(commits) == 11
    stamps = [c.committed_at for c in commits]
    assert stamps == sorted(stamps, reverse=True)
    assert commits[0].subject == "Merge branch 'side'"


def test_root_commit_lists_every_file_as_added(zoo_commits: dict[str, Commit]) -> None:
    root = zoo_commits["chore: initial import"]
    assert root.parents == ()
    expected = [".mailmap", "gone.txt", "link", "old name.txt", "run.sh", "src/app.py"]
    assert sorted(f.path for f in root.files) == expected
    assert {f.status for f in root.files} == {"A"} and root.additions == 10 + 20 + 5 + 1 + 1 + 1


def test_merge_is_listed_with_first_parent_stats_and_no_patch(zoo_commits: dict[str, Commit]) -> None:
    merge = zoo_commits["Merge branch 'side'"]
    assert merge.is_merge and len(merge.parents) == 2
    assert [(f.path, f.status, f.additions, f.deletions) for f in merge.files] == [("side.txt", "A", 3, 0)]
    assert merge.files[0].patch is None
    assert not merge.patches_collected
    assert not zoo_commits["feat: main work"].is_merge


def test_rename_has_old_path_and_similarity(zoo_commits: dict[str, Commit]) -> None:
    (change,) = zoo_commits["refactor: rename"].files
    assert (change.status, change.path, change.old_path) == ("R", "renamed/new name.txt", "old name.txt")
    assert change.similarity is not None and 80 <= change.similarity < 100
    assert (change.additions, change.deletions) == (1, 1)
    assert change.patch is not None and "rename from old name.txt" in change.patch
    assert "+changed" in change.patch


def test_binary_file_has_no_line_counts(zoo_commits: dict[str, Commit]) -> None:
    (logo,) = zoo_commits["feat: add a logo"].files
    assert (logo.path, logo.status, logo.binary, logo.additions, logo.deletions) == ("img/logo.png", "A", True, 0, 0)
    assert logo.patch is not None and "Binary files" in logo.patch


def test_odd_file_names_parse_and_get_their_own_patch(zoo_commits: dict[str, Commit]) -> None:
    files = {f.path: f for f in zoo_commits["test: odd file names"].files}
    assert set(files) == set(WEIRD_NAMES.values())
    for raw, shown in WEIRD_NAMES.items():
        change = files[shown]
        assert (change.status, change.additions, change.deletions) == ("A", 1, 0)
        expected_line = f"+content of {raw!r}".encode().decode("utf-8", "replace")
        assert change.patch is not None and change.patch.startswith("diff --git ")
        assert expected_line in change.patch.splitlines(), shown


def test_empty_message_gives_empty_subject_and_body(zoo_commits: dict[str, Commit]) -> None:
    commit = zoo_commits[""]
    assert commit.body == ""
    (change,) = commit.files
    assert (change.path, change.additions, change.deletions) == ("src/app.py", 1, 0)
    assert change.patch is not None and change.patch.endswith("\\ No newline at end of file\n")


def test_subject_and_body_are_split(zoo_commits: dict[str, Commit]) -> None:
    commit = zoo_commits["chore: delete gone.txt"]
    assert commit.body == "It was unused.\n\nReally."


def test_deletion_reports_the_old_path(zoo_commits: dict[str, Commit]) -> None:
    (change,) = zoo_commits["chore: delete gone.txt"].files
    assert (change.path, change.status, change.additions, change.deletions) == ("gone.txt", "D", 0, 5)
    assert change.patch is not None and "deleted file mode" in change.patch


def test_mode_change_is_a_modification_without_lines(zoo_commits: dict[str, Commit]) -> None:
    (change,) = zoo_commits["build: make run.sh executable"].files
    assert (change.path, change.status, change.changed_lines) == ("run.sh", "M", 0)
    assert change.patch is not None and "old mode 100644\nnew mode 100755" in change.patch


def test_type_change_gets_both_halves_of_its_patch(zoo_commits: dict[str, Commit]) -> None:
    (change,) = zoo_commits["chore: link is a symlink now"].files
    assert (change.path, change.status) == ("link", "T")
    assert change.patch is not None
    assert "deleted file mode 100644" in change.patch and "new file mode 120000" in change.patch
    assert change.patch.count("diff --git ") == 2


def test_type_change_counts_lines_like_numstat(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "r")
    repo.write("same", "target")
    repo.write("other", "a\nb\n")
    repo.commit("files")
    for name, target in (("same", "target"), ("other", "a")):
        os.remove(repo.path / name)
        os.symlink(target, repo.path / name)
    repo.commit("symlinks")
    expected = repo.git("log", "-1", "--numstat", "--format=")  # "1\t2\tother", "0\t0\tsame"
    for patches in (True, False):
        commit = open_local(repo.path, tmp_path).collect(None, EVER, patches=patches)[0]
        got = "".join(f"{f.additions}\t{f.deletions}\t{f.path}\n" for f in commit.files)
        assert got == expected
        assert [f.status for f in commit.files] == ["T", "T"]


def test_patches_false_reads_the_same_facts_without_patches(zoo: GitRepo, tmp_path: Path) -> None:
    repo = open_local(zoo.path, tmp_path)
    window = day(2026, 2, 7, "Asia/Shanghai")
    with_patches = repo.collect(None, window)
    without = repo.collect(None, window, patches=False)
    assert all(not c.patches_collected and all(f.patch is None for f in c.files) for c in without)
    assert [c.sha for c in with_patches] == [c.sha for c in without]
    for a, b in zip(with_patches, without, strict=True):
        assert [(f.path, f.status, f.additions, f.deletions, f.old_path, f.binary) for f in a.files] == [
            (f.path, f.status, f.additions, f.deletions, f.old_path, f.binary) for f in b.files
        ]


def test_messages_in_other_encodings_are_decoded(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "r")
    env = {"GIT_COMMITTER_DATE": "2026-02-07T10:00:00+08:00", "GIT_AUTHOR_DATE": "2026-02-07T10:00:00+08:00"}
    ident = ["-c", "user.name=Zoe", "-c", "user.email=z@example.com"]
    repo.write("a", "1\n")
    repo.git("add", "-A")
    latin1 = "fix: café crème\n\ndéjà vu\n".encode("latin-1")
    repo.git(*ident, "-c", "i18n.commitEncoding=ISO-8859-1", "commit", "-q", "-F", "-", env=env, input=latin1)
    # git commit would repair invalid UTF-8, so write the commit object by hand.
    tree, parent = repo.git("rev-parse", "HEAD^{tree}", "HEAD").split()
    raw = (
        f"tree {tree}\nparent {parent}\nauthor Zo\xeb <z@example.com> 1770429600 +0800\n"
        f"committer Zo\xeb <z@example.com> 1770429600 +0800\n\nbad \xff bytes\n"
    ).encode("latin-1")
    sha = repo.git("hash-object", "-t", "commit", "-w", "--stdin", input=raw).strip()
    repo.git("update-ref", "refs/heads/main", sha)
    newest, oldest = open_local(repo.path, tmp_path).collect(None, EVER)
    assert (oldest.subject, oldest.body) == ("fix: café crème", "déjà vu")  # re-encoded by git
    # not UTF-8 and no encoding header: read as Latin-1 (what such old histories mostly are), with a note
    assert newest.subject == "bad \xff bytes"
    assert newest.author.name == "Zo\xeb"
    assert newest.notes == ("the message is not UTF-8 and names no encoding; read as Latin-1",)
    assert oldest.notes == ()


def test_full_branch_ref_is_accepted(zoo: GitRepo, tmp_path: Path) -> None:
    assert open_local(zoo.path, tmp_path).resolve_branch("refs/heads/side") == "side"


def test_branch_selects_what_is_reachable(zoo: GitRepo, tmp_path: Path) -> None:
    repo = open_local(zoo.path, tmp_path)
    side = repo.collect("side", day(2026, 2, 7, "Asia/Shanghai"))
    subjects = [c.subject for c in side]
    assert "feat: side work" in subjects and "feat: main work" not in subjects
    assert repo.resolve_branch("side") == "side"
    assert repo.resolve_branch(None) == "main"


def test_worktree_files_do_not_change_what_is_read(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "r")
    repo.write("a.txt", "one\n")
    repo.commit("add a.txt")
    (repo.path / ".gitattributes").write_text("*.txt binary\n")  # uncommitted
    (change,) = open_local(repo.path, tmp_path).collect(None, EVER)[0].files
    assert (change.binary, change.additions) == (False, 1)


# --- patch caps ---------------------------------------------------------------------------------------


def test_patch_caps_truncate_visibly_and_keep_exact_counts(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "r")
    for name in ("a.txt", "b.txt", "c.txt"):
        repo.write(name, "".join(f"{name} line {i}\n" for i in range(200)))
    repo.commit("three big files")
    (commit,) = open_local(repo.path, tmp_path, PatchLimits(per_file=1000, per_commit=1500)).collect(None, EVER)
    a, b, c = commit.files
    assert all(f.additions == 200 for f in commit.files)
    assert a.patch is not None and a.patch.startswith("diff --git a/a.txt b/a.txt\n")
    assert a.patch.endswith(" bytes shown\n") and "\\ commitwatch: patch truncated, 1000 of " in a.patch
    assert b.patch is not None and "patch truncated, 500 of " in b.patch  # the rest of the commit budget
    assert c.patch is not None and c.patch.startswith("\\ commitwatch: patch truncated, 0 of ")


def test_untruncated_patch_has_no_marker(zoo_commits: dict[str, Commit]) -> None:
    for commit in zoo_commits.values():
        for change in commit.files:
            assert "commitwatch: patch truncated" not in (change.patch or "")


@pytest.mark.slow
def test_commit_touching_5000_files(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "r")
    for i in range(5000):
        repo.write(f"d{i % 50}/file {i}.txt", f"content {i}\n")
    repo.commit("feat: five thousand files")
    (commit,) = open_local(repo.path, tmp_path).collect(None, EVER)
    assert len(commit.files) == 5000
    assert commit.additions == 5000
    for change in commit.files:
        number = change.path.split(" ")[1].removesuffix(".txt")
        assert change.patch is not None and f"+content {number}\n" in change.patch


# --- repositories and branches ------------------------------------------------------------------------


def test_bare_repository_and_git_dir_are_read_in_place(zoo: GitRepo, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(zoo.path), str(bare)], check=True)
    window = day(2026, 2, 7, "Asia/Shanghai")
    expected = open_local(zoo.path, tmp_path).collect(None, window)
    assert open_local(bare, tmp_path).collect(None, window) == expected
    assert open_local(zoo.path / ".git", tmp_path).collect(None, window) == expected
    assert not (tmp_path / "cache" / "mirrors").exists()


def test_local_repository_is_never_fetched(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "r")
    repo.git("remote", "add", "origin", "https://github.com/acme/widget.git")
    repo.write("a", "1\n")
    repo.commit("a")
    ref = resolve_repo(str(repo.path))
    assert ref.github == "acme/widget"  # detected from origin
    commits = open_repository(ref, tmp_path / "cache").collect(None, EVER)
    assert len(commits) == 1
    assert ref.commit_url(commits[0].sha) == f"https://github.com/acme/widget/commit/{commits[0].sha}"


def test_detached_head_reads_from_head(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "r")
    repo.write("a", "1\n")
    first = repo.commit("first")
    repo.write("a", "2\n")
    repo.commit("second")
    repo.git("checkout", "-q", "--detach", first)
    opened = open_local(repo.path, tmp_path)
    assert opened.resolve_branch(None) == "HEAD"
    assert [c.sha for c in opened.collect(None, EVER)] == [first]


def test_remote_tracking_branch_of_a_local_clone(zoo: GitRepo, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--no-local", str(zoo.path), str(clone)], check=True)
    opened = open_local(clone, tmp_path)
    assert opened.resolve_branch("origin/side") == "origin/side"
    assert any(c.subject == "feat: side work" for c in opened.collect("origin/side", EVER))


# --- errors -------------------------------------------------------------------------------------------


def test_nonexistent_path(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such path") as info:
        resolve_repo(str(tmp_path / "missing"))
    assert info.value.hint


def test_plain_directory_is_not_a_repository(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(SourceError, match="not a git repository") as info:
        open_local(tmp_path / "plain", tmp_path)
    assert info.value.hint and ".git" in info.value.hint


def test_subdirectory_of_a_repository_is_rejected(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "r")
    repo.write("sub/a", "1\n")
    repo.commit("a")
    with pytest.raises(SourceError, match="not a git repository"):
        open_local(repo.path / "sub", tmp_path)


def test_file_is_not_a_repository(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(SourceError, match="not a git repository"):
        open_local(tmp_path / "f", tmp_path)


def test_unknown_branch_lists_the_branches(zoo: GitRepo, tmp_path: Path) -> None:
    repo = open_local(zoo.path, tmp_path)
    with pytest.raises(SourceError, match="unknown branch 'nope'") as info:
        repo.collect("nope", EVER)
    assert info.value.hint == "Available branches: main, side."


def test_many_branches_are_abbreviated_in_the_hint(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "r")
    repo.write("a", "1\n")
    repo.commit("a")
    for i in range(14):
        repo.git("branch", f"b{i:02d}")
    with pytest.raises(SourceError) as info:
        open_local(repo.path, tmp_path).resolve_branch("nope")
    assert info.value.hint is not None and info.value.hint.endswith("(and 5 more).")


@pytest.mark.parametrize("name", ["main~1", "-x", "a..b", "HEAD^", "x y", "@{-1}"])
def test_revision_expressions_are_not_branches(zoo: GitRepo, tmp_path: Path, name: str) -> None:
    with pytest.raises(UsageError):
        open_local(zoo.path, tmp_path).resolve_branch(name)


def test_repository_without_commits(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "r")
    with pytest.raises(SourceError, match="no commits") as info:
        open_local(repo.path, tmp_path).collect(None, EVER)
    assert info.value.hint is not None and "no branches" in info.value.hint


def test_git_not_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = GitRepo.create(tmp_path / "r")
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    git_version.cache_clear()
    try:
        with pytest.raises(SourceError, match="git is not installed") as info:
            open_local(repo.path, tmp_path)
        assert info.value.hint and "PATH" in info.value.hint
    finally:
        git_version.cache_clear()


def test_window_without_commits_is_empty(zoo: GitRepo, tmp_path: Path) -> None:
    assert open_local(zoo.path, tmp_path).collect(None, day(2026, 2, 9, "Asia/Shanghai")) == []


def test_day_boundaries_around_real_midnight(tmp_path: Path) -> None:
    # One commit every 20 minutes across two days; each Shanghai day gets exactly its 72.
    repo = GitRepo.create(tmp_path / "r")
    start = datetime(2026, 2, 6, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    for i in range(144):
        repo.write("t", f"{i}\n")
        repo.commit(f"tick {i}", committed=(start + timedelta(minutes=20 * i)).isoformat())
    opened = open_local(repo.path, tmp_path)
    first = opened.collect(None, day(2026, 2, 6, "Asia/Shanghai"), patches=False)
    second = opened.collect(None, day(2026, 2, 7, "Asia/Shanghai"), patches=False)
    assert [c.subject for c in first] == [f"tick {i}" for i in range(71, -1, -1)]
    assert [c.subject for c in second] == [f"tick {i}" for i in range(143, 71, -1)]
