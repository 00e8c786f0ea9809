"""Read commits from git: a local repository in place, or a managed blob-less mirror of a remote.

    ref = resolve_repo("ai-dynamo/dynamo")
    repo = open_repository(ref, cache_dir)
    commits = repo.collect(None, window)      # the remote's default branch, newest first

How a window is collected (``Repository.collect``):

1. ``git rev-list --timestamp <branch>`` walks the whole history reachable from the branch,
   printing only each commit's committer timestamp and hash (read from the commit-graph when there is
   one; managed mirrors write it on every fetch). Python keeps exactly those in ``[start, end)`` and
   sorts them by committer date, newest first (ties keep git's order, in which children come first).
   Nothing prunes the walk by date: ``--since``/``--max-age`` stop below a commit older than the
   limit, so one descendant with a skewed clock would hide in-window ancestors however far back its
   clock is. Commits whose committer date git cannot read (timestamp 0, or beyond year 9999) are in
   no window; ``undated`` lists those reachable from the branch so the report can say how many.
2. ``git cat-file --batch`` reads each selected commit's own object, parsed in Python
   (``logparse.parse_commit_object``): impossible dates or offsets, idents without ``<>``, NUL bytes
   and messages in other encodings become notes on the commit, never errors.
3. Mirrors only: one cheap ``--raw --no-renames`` pass lists every blob the window's diffs need, and the
   missing ones are fetched in a single request, so no later call fetches blob by blob (those calls run
   with ``GIT_NO_LAZY_FETCH=1``).
4. ``git log --no-walk=unsorted --stdin -z --raw -M`` reads the selected commits' files,
   statuses, modes, renames. Merges are diffed against their first parent. With ``patches=False`` it
   also asks for ``--numstat`` (line counts) and that is all.
5. With ``patches=True``, ``git log --no-walk=unsorted --stdin -p`` with the same diff options prints
   every patch; it is split per commit (``\x1e<sha>`` lines) and per file (``diff --git`` lines), matched
   to the file list by order, and each file's added/removed lines are counted as they stream by (the
   same numbers ``--numstat`` prints, without running every diff twice). Patch text is capped by
   ``PatchLimits``; merges keep counts but no text. Commits with a type change (whose ``--numstat``
   compares old and new content, while the patch shows a deletion and a creation), or whose sections
   ever disagree with the file list (then matched by path), get their counts from ``--numstat``.

When git cannot read an object in steps 4 and 5 (a partial clone lacking a blob, a missing tree), the
batch is split until the commits concerned are alone; each of those keeps what can still be read
(line counts without the patch, else the file list alone, else nothing) and a note naming the objects.
A mirror first fetches those objects in one more batch and reads them again.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from commitwatch.errors import SourceError, UsageError
from commitwatch.models import Commit, RepoRef, Window
from commitwatch.sources.assembly import (
    Files,
    Lack,
    apply_patches,
    build_commit,
    decode_path,
    parsed_object,
    patches_by_path,
    split_message,
)
from commitwatch.sources.logparse import (
    LAST_STAMP,
    CommitObject,
    FilePatch,
    LogRecord,
    PatchLimits,
    nul_tokens,
    parse_batch,
    parse_log,
    parse_patches,
)
from commitwatch.sources.mirror import fetch_objects, mirror_path, needed_blobs, sync_mirror
from commitwatch.sources.notices import branches_hint, missing_objects_warning, undated_warning
from commitwatch.sources.repospec import url_scheme
from commitwatch.sources.runner import (
    DEFAULT_ALLOWED_PROTOCOLS,
    EMPTY_TREE,
    Git,
    MissingObjectsError,
    check_git_version,
)
from commitwatch.sources.walk import newest_first, stamped, undated_lines, window_bounds

# Re-exported: callers and tests import these from here.
__all__ = [
    "Repository",
    "apply_patches",
    "decode_path",
    "missing_objects_warning",
    "open_repository",
    "patches_by_path",
    "split_message",
    "stamped",
    "undated_lines",
    "undated_warning",
]

# The same diff options for every call that lists files, so the file order is identical in all of them.
_DIFF_OPTIONS = (
    "-M",
    "--diff-merges=first-parent",
    "--no-ext-diff",
    "--no-textconv",
    "--no-color",
    "--no-relative",
    "--ignore-submodules=none",
)
_LOG = ("log", "--no-walk=unsorted", "--stdin", "--no-notes", "--no-mailmap")
_HEADER = "%x1e%H"
_BAD_BRANCH = re.compile(r"(^[-/.])|([/.]$)|(\.\.)|(@\{)|(//)|(\.lock$)|[\x00-\x20\x7f~^:?*\[\\]")


class Repository:
    """A git repository to read commits from: a local one (in place) or a managed mirror."""

    def __init__(self, ref: RepoRef, git: Git, *, mirror: bool, limits: PatchLimits | None = None) -> None:
        self.ref = ref
        self.mirror = mirror
        self.limits = limits or PatchLimits()
        self._git = git
        # Reads never fetch: a mirror gets its blobs in one batch before (see ``_prefetch``).
        self._reader = git.with_env(GIT_NO_LAZY_FETCH="1") if mirror else git
        self._walks: dict[str, bytes] = {}

    @property
    def git_dir(self) -> Path:
        """The repository's git directory (the mirror itself for remotes)."""
        assert self._git.git_dir is not None
        return self._git.git_dir

    def resolve_branch(self, branch: str | None) -> str:
        """The branch name ``collect`` will read: ``branch`` if it exists, else the default branch
        (the remote's HEAD for mirrors, HEAD for local repositories; ``"HEAD"`` when detached).

        Raises ``SourceError`` for an unknown branch (the hint lists the branches) and ``UsageError`` for
        a revision expression that is not a branch name (``main~1``, ``-x``).
        """
        return self._branch_ref(branch)[0]

    def collect(self, branch: str | None, window: Window, patches: bool = True) -> list[Commit]:
        """Commits reachable from ``branch`` whose committer date is in ``[window.start, window.end)``,
        newest first, whatever the order of the dates along the history. Merges are listed with their
        first-parent file stats and no patches."""
        return self.read_commits(self.select(branch, window), patches=patches)

    def select(self, branch: str | None, window: Window) -> list[str]:
        """The SHAs ``collect`` would read, newest first (ties in git's order: children first)."""
        start, end = window_bounds(window)
        # 0 is what git gives for a date it cannot read: such a commit is in no window (see ``undated``)
        return newest_first(stamped(self._walk(branch), max(1, math.ceil(start)), min(math.ceil(end), LAST_STAMP)))

    def undated(self, branch: str | None) -> list[str]:
        """Commits reachable from ``branch`` whose committer date git cannot read (it gives 0) or that no
        window can hold (beyond year 9999): they are in no window. In git's walk order."""
        return undated_lines(self._walk(branch))

    def head(self, branch: str | None) -> str:
        """The commit ``branch`` points at (the default branch when None)."""
        _, ref = self._branch_ref(branch)
        return self._git.run("rev-parse", "--verify", "-q", ref + "^{commit}").decode("ascii").strip()

    def has_commit(self, sha: str) -> bool:
        """Whether ``sha`` is a commit this repository has (a force-push may have dropped it)."""
        return self._git.probe("cat-file", "-e", sha + "^{commit}") is not None

    def arrived_since(self, branch: str | None, previous_head: str) -> list[str]:
        """Commits reachable from ``branch`` but not from ``previous_head``, newest committer date first:
        everything that landed since a run saw ``previous_head``, whatever its committer date (a merged
        branch or a push of old commits brings commits dated before the last run)."""
        _, ref = self._branch_ref(branch)
        out = self._reader.run("rev-list", "--timestamp", "--topo-order", ref, "^" + previous_head, "--")
        pairs = (line.split() for line in out.splitlines())
        return newest_first([(int(stamp), sha.decode("ascii")) for stamp, sha in pairs])

    def read_commits(self, shas: Sequence[str], patches: bool = True) -> list[Commit]:
        """The commits ``shas`` (in that order), with their files and, when asked, patches.

        Never fails because of one commit: a commit whose objects are malformed or missing is returned
        with what git could give and ``notes`` saying what could not be read (``missing_objects`` for
        objects the repository lacks, after a mirror tried to fetch them in one batch)."""
        shas = list(shas)
        if not shas:
            return []
        objects = self._read_objects(shas)
        if self.mirror:
            self._prefetch(shas)
        merges = {sha for sha, obj in objects.items() if len(obj.parents) > 1}
        files, missing = self._read_files(shas, patches, merges)
        if self.mirror and missing:  # a tree, or a blob the prefetch did not know of: one more batch
            wanted = list(dict.fromkeys(oid for lack in missing.values() for oid in lack.oids))
            if fetch_objects(self._git, self.git_dir, wanted, known_missing=True):
                retry = list(missing)
                self._prefetch(retry)  # the blobs of trees that just arrived
                again, missing = self._read_files(retry, patches, merges)
                files.update(again)
        return [build_commit(sha, objects[sha], *files[sha], missing.get(sha)) for sha in shas]

    def _read_objects(self, shas: list[str]) -> dict[str, CommitObject]:
        """Each commit's own object (parents, idents, message), parsed in Python: git's formatting
        (``%aI``, ``%an``) gives up on impossible dates and idents that ours turns into notes."""
        with self._reader.stream("cat-file", "--batch", input=_stdin(shas)) as out:
            found = dict(parse_batch(out))
        return {sha: parsed_object(found.get(sha)) for sha in shas}

    def _read_files(
        self, shas: list[str], patches: bool, merges: set[str]
    ) -> tuple[dict[str, Files], dict[str, Lack]]:
        """Files (and patches) of every commit. When git cannot read some objects, the batch is split
        until the commits concerned are alone, and each of those gets what can still be read."""
        try:
            return self._files(shas, patches, merges), {}
        except MissingObjectsError as error:
            if len(shas) == 1:
                files, lack = self._salvage(shas[0], patches, error)
                return {shas[0]: files}, {shas[0]: lack}
        half = len(shas) // 2
        first, first_lack = self._read_files(shas[:half], patches, merges)
        second, second_lack = self._read_files(shas[half:], patches, merges)
        return {**first, **second}, {**first_lack, **second_lack}

    def _files(self, shas: list[str], patches: bool, merges: set[str]) -> dict[str, Files]:
        records = self._read_log(shas, numstat=not patches)
        if not patches:
            return {r.sha: (r.entries, None) for r in records}
        return self._with_patches(records, merges)

    def _salvage(self, sha: str, patches: bool, error: MissingObjectsError) -> tuple[Files, Lack]:
        """What one commit with missing objects still gives: files with line counts but no patch, else
        the file list alone (no rename detection, which reads blobs), else nothing (its tree is missing)."""
        oids = list(error.oids)
        attempts: list[tuple[str, Callable[[], list[LogRecord]]]] = [
            ("its patch is not shown", lambda: self._read_log([sha], numstat=True)),
            ("its files are listed without line counts or renames", lambda: self._read_log([sha], numstat=False,
                                                                                          renames=False)),
        ]
        for what, attempt in attempts if patches else attempts[1:]:
            try:
                (record,) = attempt()
            except MissingObjectsError as again:
                oids += again.oids
                continue
            return (record.entries, None), Lack(tuple(dict.fromkeys(oids)), what, error.detail)
        return ([], None), Lack(tuple(dict.fromkeys(oids)), "its files cannot be listed", error.detail)

    def _with_patches(self, records: list[LogRecord], merges: set[str]) -> dict[str, Files]:
        """Read the patches of ``records`` and take line counts from them (merges: counts only)."""
        patches = self._read_patches([r.sha for r in records], merges)
        texts = {r.sha: apply_patches(r.entries, patches.get(r.sha, [])) for r in records}
        # Type changes count lines as --numstat does (old content against new, not delete + create);
        # unmatched patches (never seen in practice) are matched by path. Both cost one more call.
        recount = [r for r in records if texts[r.sha] is None or any(e.status == "T" for e in r.entries)]
        if recount:
            self._count_lines(recount)
            for r in recount:
                if texts[r.sha] is None:
                    texts[r.sha] = patches_by_path(r.entries, patches.get(r.sha, []))
        return {r.sha: (r.entries, None if r.sha in merges else texts[r.sha]) for r in records}

    # --- branches -------------------------------------------------------------------------------------

    def _branch_ref(self, branch: str | None) -> tuple[str, str]:
        refs = self._refs()
        if branch is None:
            return self._default_branch(refs)
        branch = branch.removeprefix("refs/heads/")
        if _BAD_BRANCH.search(branch):
            raise UsageError(f"invalid branch name {branch!r}", hint="Pass a branch name such as main.")
        for prefix in ("refs/heads/", "refs/remotes/"):
            if prefix + branch in refs:
                return branch, prefix + branch
        raise SourceError(f"unknown branch {branch!r} in {self.ref.name}", hint=branches_hint(refs))

    def _refs(self) -> list[str]:
        patterns = ["refs/heads"] if self.mirror else ["refs/heads", "refs/remotes"]
        out = self._git.run("for-each-ref", "--format=%(refname)", *patterns)
        return out.decode("utf-8", "replace").splitlines()

    def _default_branch(self, refs: list[str]) -> tuple[str, str]:
        head = (self._git.probe("symbolic-ref", "-q", "HEAD") or b"").decode("utf-8", "replace").strip()
        if head.startswith("refs/heads/") and head in refs:
            return head[len("refs/heads/") :], head
        if not head and self._git.probe("rev-parse", "--verify", "-q", "HEAD^{commit}"):
            return "HEAD", "HEAD"  # a detached HEAD in a local repository
        where = "the remote's default branch" if self.mirror else "HEAD"
        raise SourceError(
            f"{self.ref.name} has no commits on {where} ({head or 'HEAD'})",
            hint="Pass --branch explicitly. " + branches_hint(refs),
        )

    # --- reading --------------------------------------------------------------------------------------

    def _walk(self, branch: str | None) -> bytes:
        """``<committer timestamp> <sha>`` lines of every commit reachable from ``branch``, newest first by
        date and children before parents. No date limit: git walks every commit (from the commit-graph
        when there is one). One walk per branch and ``Repository`` (selection and ``undated`` share it)."""
        _, ref = self._branch_ref(branch)
        if ref not in self._walks:
            self._walks[ref] = self._reader.spool("rev-list", "--timestamp", ref, "--")
        return self._walks[ref]

    def _prefetch(self, shas: list[str]) -> None:
        """Fetch, in one request, every blob the window's diffs read (mirrors only). Commits whose trees
        cannot be read are left out here; reading them says what they lack."""
        entries = [
            (e.old_mode, e.new_mode, e.old_oid, e.new_oid)
            for record in self._listings(shas)
            for e in record.entries
        ]
        fetch_objects(self._git, self.git_dir, needed_blobs(entries))

    def _listings(self, shas: list[str]) -> list[LogRecord]:
        """``--raw --no-renames`` records (tree diffs only, no blob reads) of the commits whose trees
        can be read."""
        try:
            return self._read_log(shas, numstat=False, renames=False)
        except MissingObjectsError:
            if len(shas) == 1:
                return []
        return self._listings(shas[: len(shas) // 2]) + self._listings(shas[len(shas) // 2 :])

    def _read_log(self, shas: list[str], numstat: bool, renames: bool = True) -> list[LogRecord]:
        """Files (``--raw``), with line counts (``--numstat``) only when asked: counting runs the whole
        diff, which the patch call does anyway. ``renames=False`` reads trees only, never a blob."""
        stats = ("--numstat",) if numstat else ()
        diff = _DIFF_OPTIONS if renames else ("--no-renames", *_DIFF_OPTIONS[1:])
        args = (*_LOG, "-z", "--raw", *stats, "--no-abbrev", *diff, f"--format={_HEADER}")
        with self._reader.stream(*args, input=_stdin(shas)) as out:
            return list(parse_log(nul_tokens(out), header_fields=1))

    def _read_patches(self, shas: list[str], merges: set[str]) -> dict[str, list[FilePatch]]:
        """Patches and line counts of every commit (merges: counts only, against the first parent)."""
        args = (*_LOG, "-p", *_DIFF_OPTIONS, "--format=%x1e%H")
        with self._reader.stream(*args, input=_stdin(shas)) as out:
            return dict(parse_patches(out, self.limits, counts_only=merges))

    def _count_lines(self, records: list[LogRecord]) -> None:
        """Fill line counts from ``--numstat`` (the reference for every count)."""
        counted = self._read_log([r.sha for r in records], numstat=True)
        for record, other in zip(records, counted, strict=True):
            for entry, source in zip(record.entries, other.entries, strict=True):
                entry.additions, entry.deletions, entry.binary = source.additions, source.deletions, source.binary


def open_repository(
    ref: RepoRef,
    cache_dir: Path,
    allowed_protocols: Sequence[str] | None = None,
    limits: PatchLimits | None = None,
) -> Repository:
    """Open ``ref`` for reading: a local repository in place (never fetched), or the managed mirror of a
    remote under ``cache_dir/mirrors`` (cloned blob-less on first use, fetched incrementally after).

    ``allowed_protocols`` are the protocols a remote may use (default https and ssh); file is always
    allowed for local paths and ``file://`` URLs.
    Raises ``SourceError`` when the path is not a git repository or the remote cannot be read.
    """
    check_git_version()
    protocols = _protocols(ref, allowed_protocols)
    if ref.kind == "local":
        return Repository(ref, _local_git(ref, protocols), mirror=False, limits=limits)
    if not ref.url:
        raise UsageError(f"remote repository {ref.name} has no URL", hint="Pass a git URL with --repo.")
    _check_protocol(ref.url, protocols)
    path = mirror_path(Path(cache_dir), ref.url)
    git = sync_mirror(ref.url, path, Git(protocols, extra_config=(f"attr.tree={EMPTY_TREE}",)))
    return Repository(ref, git, mirror=True, limits=limits)


def _protocols(ref: RepoRef, allowed: Sequence[str] | None) -> tuple[str, ...]:
    protocols = tuple(DEFAULT_ALLOWED_PROTOCOLS if allowed is None else allowed)
    local = ref.kind == "local" or (ref.url is not None and url_scheme(ref.url) == "file")
    return (*protocols, "file") if local and "file" not in protocols else protocols


def _check_protocol(url: str, protocols: Sequence[str]) -> None:
    scheme = url_scheme(url)
    scheme = "ssh" if scheme in ("git+ssh", "ssh+git") else scheme
    if scheme not in protocols:
        allowed = ", ".join(protocols) or "none"
        raise SourceError(
            f"the {scheme} protocol is not allowed for {url}",
            hint=f"Allowed protocols: {allowed}. Use an https:// or ssh:// URL, or allow {scheme} explicitly.",
        )


def _local_git(ref: RepoRef, protocols: tuple[str, ...]) -> Git:
    """A runner bound to the local repository at ``ref.path`` (which must be its top or a bare repo)."""
    path = Path(ref.path or ref.spec).expanduser()
    if not path.exists():
        raise SourceError(f"no such path: {path}", hint="Check the path of the local repository.")
    if not path.is_dir():
        raise SourceError(
            f"{path} is not a git repository (it is a file)",
            hint="Pass the top directory of a git checkout or a bare repository.",
        )
    finder = Git(protocols, cwd=path, extra_env={"GIT_CEILING_DIRECTORIES": str(path.resolve().parent)})
    git_dir = Path(finder.run("rev-parse", "--absolute-git-dir").decode("utf-8", "surrogateescape").strip())
    # Run inside the git dir: no working tree is involved, so a checkout's files never affect the output.
    return Git(protocols, extra_config=(f"attr.tree={EMPTY_TREE}",)).bound_to(git_dir)



def _stdin(shas: list[str]) -> bytes:
    return ("\n".join(shas) + "\n").encode("ascii")
