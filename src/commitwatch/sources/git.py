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
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from commitwatch.errors import SourceError, UsageError
from commitwatch.models import Commit, FileChange, Person, RepoRef, Window
from commitwatch.sources.logparse import (
    LAST_STAMP,
    CommitObject,
    FilePatch,
    Ident,
    LogRecord,
    PatchLimits,
    RawEntry,
    nul_tokens,
    parse_batch,
    parse_commit_object,
    parse_log,
    parse_patches,
    section_path,
)
from commitwatch.sources.mirror import fetch_objects, mirror_path, needed_blobs, sync_mirror
from commitwatch.sources.repospec import url_scheme
from commitwatch.sources.runner import (
    DEFAULT_ALLOWED_PROTOCOLS,
    EMPTY_TREE,
    Git,
    MissingObjectsError,
    check_git_version,
)

#: Committer timestamps at or beyond this (year 10000) cannot be shown; git prints 0 for a date it
#: cannot parse. Both put a commit in no window.
_LAST_STAMP = LAST_STAMP

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
_BRANCHES_SHOWN = 10


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
        start, end = _bounds(window)
        # 0 is what git gives for a date it cannot read: such a commit is in no window (see ``undated``)
        return _newest_first(stamped(self._walk(branch), max(1, math.ceil(start)), min(math.ceil(end), _LAST_STAMP)))

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
        return _newest_first([(int(stamp), sha.decode("ascii")) for stamp, sha in pairs])

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
        return [_commit(sha, objects[sha], *files[sha], missing.get(sha)) for sha in shas]

    def _read_objects(self, shas: list[str]) -> dict[str, CommitObject]:
        """Each commit's own object (parents, idents, message), parsed in Python: git's formatting
        (``%aI``, ``%an``) gives up on impossible dates and idents that ours turns into notes."""
        with self._reader.stream("cat-file", "--batch", input=_stdin(shas)) as out:
            found = dict(parse_batch(out))
        return {sha: _parsed(found.get(sha)) for sha in shas}

    def _read_files(
        self, shas: list[str], patches: bool, merges: set[str]
    ) -> tuple[dict[str, _Files], dict[str, _Lack]]:
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

    def _files(self, shas: list[str], patches: bool, merges: set[str]) -> dict[str, _Files]:
        records = self._read_log(shas, numstat=not patches)
        if not patches:
            return {r.sha: (r.entries, None) for r in records}
        return self._with_patches(records, merges)

    def _salvage(self, sha: str, patches: bool, error: MissingObjectsError) -> tuple[_Files, _Lack]:
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
            return (record.entries, None), _Lack(tuple(dict.fromkeys(oids)), what, error.detail)
        return ([], None), _Lack(tuple(dict.fromkeys(oids)), "its files cannot be listed", error.detail)

    def _with_patches(self, records: list[LogRecord], merges: set[str]) -> dict[str, _Files]:
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
        raise SourceError(f"unknown branch {branch!r} in {self.ref.name}", hint=_branches_hint(refs))

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
            hint="Pass --branch explicitly. " + _branches_hint(refs),
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


# --- building Commit objects --------------------------------------------------------------------------


def _parsed(raw: bytes | None) -> CommitObject:
    return parse_commit_object(raw) if raw is not None else _UNREADABLE


def _commit(sha: str, obj: CommitObject, entries: list[RawEntry], texts: list[str | None] | None,
            lack: _Lack | None) -> Commit:  # fmt: skip
    """A ``Commit`` from its parsed object and its files; ``texts`` are the files' patches (None: not
    collected). Dates that cannot be read fall back (author → committer → author → the epoch), with a
    note; objects the repository lacks are named in a note and in ``missing_objects``."""
    subject, body = split_message(obj.message)
    notes = [*obj.author.notes, *obj.committer.notes, *obj.notes]
    committed = obj.committer.when or obj.author.when
    if obj.committer.when is None:
        notes.append("the committer date cannot be read; " + ("the author date is shown" if committed else
                                                              "1970-01-01 is shown"))  # fmt: skip
    committed = committed or datetime.fromtimestamp(0, timezone.utc)
    if obj.author.when is None:
        notes.append("the author date cannot be read; the committer date is shown")
    if lack is not None:
        named = ", ".join(oid[:12] for oid in lack.oids) or lack.detail
        notes.append(f"the repository lacks objects of this commit: {named}; {lack.what}")
    patches: list[str | None] = texts if texts is not None else [None] * len(entries)
    return Commit(
        sha=sha,
        parents=obj.parents,
        author=Person(obj.author.name, obj.author.email),
        authored_at=obj.author.when or committed,
        committer=Person(obj.committer.name, obj.committer.email),
        committed_at=committed,
        subject=subject,
        body=body,
        files=tuple(_file(entry, text) for entry, text in zip(entries, patches, strict=True)),
        patches_collected=texts is not None,
        notes=tuple(dict.fromkeys(notes)),
        missing_objects=lack.oids if lack is not None else (),
    )


def _file(entry: RawEntry, patch: str | None) -> FileChange:
    return FileChange(
        path=decode_path(entry.path),
        status=entry.status,
        additions=entry.additions,
        deletions=entry.deletions,
        old_path=decode_path(entry.old_path) if entry.old_path is not None else None,
        binary=entry.binary,
        similarity=entry.similarity,
        patch=patch,
    )


def apply_patches(entries: list[RawEntry], patches: list[FilePatch]) -> list[str | None] | None:
    """Match patches to files by order, taking each file's line counts from its patch; None when the
    numbers disagree. A type change (T) prints as a deletion plus a creation: two sections, one file."""
    if sum(2 if e.status == "T" else 1 for e in entries) != len(patches):
        return None
    texts: list[str | None] = []
    i = 0
    for entry in entries:
        parts = patches[i : i + (2 if entry.status == "T" else 1)]
        i += len(parts)
        entry.additions = sum(p.additions for p in parts)
        entry.deletions = sum(p.deletions for p in parts)
        entry.binary = any(p.binary for p in parts)
        pieces = [p.text for p in parts if p.text is not None]
        texts.append("".join(pieces) if pieces else None)
    return texts


def patches_by_path(entries: list[RawEntry], patches: list[FilePatch]) -> list[str | None]:
    """Fallback matching by the path in each ``diff --git`` line (files without one get no patch)."""
    found: dict[bytes, list[str]] = {}
    for patch in patches:
        path = section_path(patch.header)
        if path is not None and patch.text is not None:
            found.setdefault(path, []).append(patch.text)
    return ["".join(found[e.path]) if e.path in found else None for e in entries]


@dataclass(frozen=True, slots=True)
class _Lack:
    """What one commit could not get: the object ids git named, what is missing from the commit, and
    git's message."""

    oids: tuple[str, ...]
    what: str
    detail: str


_Files = tuple[list[RawEntry], list[str | None] | None]
_UNREADABLE = CommitObject((), Ident("", "", None), Ident("", "", None), "", ("git cannot read this commit object",))


def split_message(message: str) -> tuple[str, str]:
    """Subject and body as git sees them: the subject is the first paragraph joined into one line
    (``%s``), the body everything after it, stripped. An empty message gives ``("", "")``."""
    lines = message.replace("\r\n", "\n").split("\n")
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    end = start
    while end < len(lines) and lines[end].strip():
        end += 1
    subject = " ".join(line.strip() for line in lines[start:end])
    return subject, "\n".join(lines[end:]).strip()


def decode_path(raw: bytes) -> str:
    """A path from git's raw bytes: UTF-8, with any other byte shown as ``\\xNN``."""
    return raw.decode("utf-8", "backslashreplace")


def _stdin(shas: list[str]) -> bytes:
    return ("\n".join(shas) + "\n").encode("ascii")


def stamped(walk: bytes, low: int, high: int) -> list[tuple[int, str]]:
    """``(timestamp, sha)`` of the lines of ``rev-list --timestamp`` output whose timestamp is in
    ``[low, high)``, in their order. The walk of a large history has 100,000s of lines, so only the lines
    that start with the digits both bounds share are looked at, found with ``bytes.find``."""
    if low >= high:
        return []
    first, last = str(low), str(high - 1)
    shared = 0
    if len(first) == len(last):
        while shared < len(first) and first[shared] == last[shared]:
            shared += 1
    prefix = first[:shared].encode("ascii")
    marker = b"\n" + prefix
    found = []
    start = 0 if walk.startswith(prefix) else _after(walk.find(marker))
    while start != -1:
        end = walk.find(b"\n", start)
        end = len(walk) if end == -1 else end
        stamp, _, sha = walk[start:end].partition(b" ")
        if stamp.isdigit() and low <= int(stamp) < high:
            found.append((int(stamp), sha.decode("ascii")))
        start = _after(walk.find(marker, end))
    return found


def _after(newline: int) -> int:
    """Where the line after the newline at ``newline`` starts; -1 when there was none (-1)."""
    return -1 if newline == -1 else newline + 1


def undated_lines(walk: bytes) -> list[str]:
    """The shas of ``rev-list --timestamp`` lines whose timestamp is 0 (git could not read the date) or
    beyond year 9999. Fast path: when every line has the length of a ten-digit timestamp (2001 to 2286),
    there are none."""
    width = walk.find(b"\n") + 1
    lines = walk.count(b"\n")
    # every line equally wide: a newline at each multiple of the width and none elsewhere (equal total
    # length alone is not enough: a 7-digit and a 13-digit stamp add up to two 10-digit ones)
    if (
        width in (11 + 1 + 40, 11 + 1 + 64)
        and len(walk) == lines * width
        and walk[width - 1 :: width].count(b"\n") == lines
    ):
        return []
    undated = []
    for line in walk.splitlines():
        stamp, _, sha = line.partition(b" ")
        if int(stamp) == 0 or int(stamp) >= _LAST_STAMP:
            undated.append(sha.decode("ascii"))
    return undated


def _newest_first(pairs: list[tuple[int, str]]) -> list[str]:
    """The shas of ``(timestamp, sha)`` pairs, newest first; ties keep their order (the sort is stable)."""
    return [sha for _, sha in sorted(pairs, key=lambda item: -item[0])]


def undated_warning(shas: Sequence[str], branch: str) -> str | None:
    """The report-header warning for commits that are in no window because of their committer date."""
    if not shas:
        return None
    shown = ", ".join(sha[:10] for sha in shas[:_BRANCHES_SHOWN])
    more = f" (and {len(shas) - _BRANCHES_SHOWN} more)" if len(shas) > _BRANCHES_SHOWN else ""
    many = len(shas) != 1
    count = f"{len(shas)} commit{'s' if many else ''} reachable from {branch} {'have' if many else 'has'}"
    return f"{count} a committer date that cannot be read, so no window holds {'them' if many else 'it'}: {shown}{more}"


def missing_objects_warning(commits: Sequence[Commit]) -> str | None:
    """The report-header warning for commits reported without some of their objects."""
    lacking = [c for c in commits if c.missing_objects]
    if not lacking:
        return None
    shown = ", ".join(c.sha[:10] for c in lacking[:_BRANCHES_SHOWN])
    more = f" (and {len(lacking) - _BRANCHES_SHOWN} more)" if len(lacking) > _BRANCHES_SHOWN else ""
    many = len(lacking) != 1
    return (
        f"the repository lacks objects of {len(lacking)} commit{'s' if many else ''} ({shown}{more}): "
        f"{'they are' if many else 'it is'} reported with what git could read; see the note on "
        f"{'each' if many else 'it'}"
    )


def _bounds(window: Window) -> tuple[float, float]:
    if window.start.tzinfo is None or window.end.tzinfo is None:
        raise UsageError("the report window needs time zone aware bounds", hint="Pass --tz or offsets.")
    return window.start.timestamp(), window.end.timestamp()


def _branches_hint(refs: list[str]) -> str:
    names = [r[len("refs/heads/") :] for r in refs if r.startswith("refs/heads/")]
    if not names:
        return "The repository has no branches yet."
    shown = ", ".join(names[:_BRANCHES_SHOWN])
    more = f" (and {len(names) - _BRANCHES_SHOWN} more)" if len(names) > _BRANCHES_SHOWN else ""
    return f"Available branches: {shown}{more}."
