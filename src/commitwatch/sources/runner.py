"""Run the git CLI with a hardened, reproducible environment and turn its failures into ``SourceError``.

Nothing the user configured for git (system or global config, pagers, external diff drivers, textconv,
credential helpers, terminal prompts, colour) can change what commitwatch reads: every call gets a
fresh environment built from an allow-list and a fixed set of ``-c`` options. Repository-local config
can still exist (a local repository is read in place), so every option that changes ``log`` or ``diff``
output is pinned on the command line, which wins over the repository's own config.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

from commitwatch.errors import SourceError

#: Protocols allowed for remotes unless configured otherwise (``file`` is added for local paths).
DEFAULT_ALLOWED_PROTOCOLS: tuple[str, ...] = ("https", "ssh")

#: Oldest git that has everything we use (``--diff-merges=first-parent`` appeared in 2.31).
MIN_GIT_VERSION = (2, 31)

#: git's well-known empty tree (always readable, even when it is not stored).
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

# Options that change what log/diff/fetch print or do. Pinned so that repository config cannot alter
# the output we parse (diff_cover pins diff.noprefix for the same reason).
_CONFIG: tuple[str, ...] = (
    "core.quotepath=off",
    "core.pager=cat",
    "core.fsmonitor=false",
    f"core.attributesFile={os.devnull}",
    f"core.hooksPath={os.devnull}",
    "color.ui=false",
    "diff.noprefix=false",
    "diff.mnemonicPrefix=false",
    "diff.srcPrefix=a/",
    "diff.dstPrefix=b/",
    "diff.renames=true",
    "diff.renameLimit=1000",
    "diff.algorithm=myers",
    "diff.indentHeuristic=true",
    "diff.interHunkContext=0",
    "diff.context=3",
    "diff.relative=false",
    "diff.suppressBlankEmpty=false",
    "diff.submodule=short",
    "diff.ignoreSubmodules=none",
    f"diff.orderFile={os.devnull}",
    "log.showSignature=false",
    "log.showRoot=true",
    "log.mailmap=false",
    "log.decorate=false",
    "log.follow=false",
    "i18n.logOutputEncoding=UTF-8",
    "protocol.version=2",
    "http.lowSpeedLimit=1000",  # give up on a stalled https transfer after http.lowSpeedTime seconds
    "http.lowSpeedTime=120",
    "credential.helper=",
    "fetch.recurseSubmodules=false",
    "submodule.recurse=false",
    "gc.autoDetach=false",
    "maintenance.autoDetach=false",
    "advice.detachedHead=false",
)

# Environment variables passed through from the caller: locating git and the network (proxies,
# certificates, an ssh agent). Everything else, in particular every GIT_* variable, is dropped.
_PASSTHROUGH: tuple[str, ...] = (
    "PATH",
    "HOME",
    "TMPDIR",
    "SYSTEMROOT",
    "SSH_AUTH_SOCK",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "all_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
)


def git_environment(allowed_protocols: Sequence[str]) -> dict[str, str]:
    """The environment every git call runs with: no system/global config, no prompts, C locale."""
    env = {name: os.environ[name] for name in _PASSTHROUGH if name in os.environ}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_ATTR_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_ASKPASS="",
        SSH_ASKPASS="",
        SSH_ASKPASS_REQUIRE="never",
        GIT_SSH_COMMAND="ssh -o BatchMode=yes -o ConnectTimeout=30 -o ServerAliveInterval=15 -o ServerAliveCountMax=8",
        GIT_PROTOCOL_FROM_USER="0",
        GIT_ALLOW_PROTOCOL=":".join(allowed_protocols),
        GIT_OPTIONAL_LOCKS="0",
        GIT_ADVICE="0",
        LC_ALL="C",
        LANG="C",
        LANGUAGE="C",
    )
    return env


class Git:
    """A git command bound to one repository (``git_dir``) or to a working directory (``cwd``).

    ``run`` returns stdout as bytes; ``stream`` yields stdout as a file object so large outputs are
    parsed as they arrive. Both raise ``SourceError`` (with a hint) when git fails.
    """

    def __init__(
        self,
        allowed_protocols: Sequence[str] = DEFAULT_ALLOWED_PROTOCOLS,
        git_dir: Path | None = None,
        cwd: Path | None = None,
        extra_env: Mapping[str, str] | None = None,
        extra_config: Sequence[str] = (),
    ) -> None:
        self.allowed_protocols = tuple(allowed_protocols)
        self.git_dir = git_dir
        self.cwd = cwd
        self.extra_env = dict(extra_env or {})
        self.extra_config = tuple(extra_config)
        self._env = git_environment(self.allowed_protocols)
        if git_dir is not None:
            self._env["GIT_DIR"] = str(git_dir)
        self._env.update(self.extra_env)

    def with_env(self, **extra: str) -> Git:
        """A copy of this runner with more environment variables (``GIT_NO_LAZY_FETCH`` ...)."""
        env = {**self.extra_env, **extra}
        return Git(self.allowed_protocols, self.git_dir, self.cwd, env, self.extra_config)

    def with_config(self, *options: str) -> Git:
        """A copy of this runner with more ``-c name=value`` options."""
        return Git(self.allowed_protocols, self.git_dir, self.cwd, self.extra_env, (*self.extra_config, *options))

    def bound_to(self, git_dir: Path) -> Git:
        """A copy of this runner that works on the repository ``git_dir`` (and runs inside it)."""
        return Git(self.allowed_protocols, git_dir, git_dir, self.extra_env, self.extra_config)

    def command(self, args: Sequence[str]) -> list[str]:
        """The full argv for ``git <args>`` with the pinned ``-c`` options."""
        argv = ["git"]
        for option in (*_CONFIG, *self.extra_config):
            argv += ["-c", option]
        return [*argv, *args]

    def run(self, *args: str, input: bytes | None = None) -> bytes:
        """Run git to completion and return its stdout."""
        with self.stream(*args, input=input) as out:
            return out.read()

    def spool(self, *args: str) -> bytes:
        """Run git with stdout going to a temporary file, then return it: for a large output read at
        once (the walk of a whole history), several times faster than a pipe, which git fills 4 KiB
        at a time, each write waiting for the reader."""
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            try:
                proc = subprocess.run(
                    self.command(args), stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=self._env, cwd=self.cwd
                )
            except FileNotFoundError as e:
                raise _git_missing() from e
            except NotADirectoryError as e:
                raise SourceError(f"no such directory: {self.cwd}", hint="Check the repository path.") from e
            if proc.returncode != 0:
                err.seek(0)
                raise git_error(args, proc.returncode, err.read().decode("utf-8", "replace"), self.cwd or self.git_dir)
            out.seek(0)
            return out.read()

    def probe(self, *args: str) -> bytes | None:
        """Run git and return stdout, or None when git exits non-zero (a missing ref, an unset key)."""
        try:
            return self.run(*args)
        except SourceError as e:
            if isinstance(e.__cause__, OSError):
                raise
            return None

    @contextmanager
    def stream(self, *args: str, input: bytes | None = None) -> Iterator[IO[bytes]]:
        """Run git and yield its stdout as a binary file; check the exit status when the block ends.

        stderr goes to a temporary file, so a chatty git can never block on a full pipe while we read
        stdout. If the block raises, git is killed and the block's exception propagates.
        """
        with tempfile.TemporaryFile() as err:
            proc = self._spawn(args, err, input is not None)
            assert proc.stdout is not None
            try:
                if input is not None:
                    _feed(proc, input)
                yield proc.stdout
            except BaseException:
                proc.kill()
                proc.stdout.close()
                proc.wait()
                raise
            proc.stdout.close()
            code = proc.wait()
            if code != 0:
                err.seek(0)
                raise git_error(args, code, err.read().decode("utf-8", "replace"), self.cwd or self.git_dir)

    def _spawn(self, args: Sequence[str], err: IO[bytes], has_input: bool) -> subprocess.Popen[bytes]:
        try:
            return subprocess.Popen(
                self.command(args),
                stdin=subprocess.PIPE if has_input else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=err,
                env=self._env,
                cwd=self.cwd,
            )
        except FileNotFoundError as e:
            raise _git_missing() from e
        except NotADirectoryError as e:
            raise SourceError(f"no such directory: {self.cwd}", hint="Check the repository path.") from e


def _feed(proc: subprocess.Popen[bytes], data: bytes) -> None:
    """Write all of stdin, then close it. git reads all of --stdin before it prints anything."""
    assert proc.stdin is not None
    try:
        proc.stdin.write(data)
    except BrokenPipeError:
        pass  # git exited early; its exit status and stderr tell why
    finally:
        with suppress(BrokenPipeError):
            proc.stdin.close()


def _git_missing() -> SourceError:
    return SourceError(
        "git is not installed (no `git` executable on PATH)",
        hint="Install git (2.31 or newer) and make sure it is on PATH.",
    )


@functools.lru_cache(maxsize=1)
def git_version() -> tuple[int, ...]:
    """The installed git's version, e.g. ``(2, 39, 5)``. Raises ``SourceError`` if git is missing."""
    out = Git().run("version").decode("ascii", "replace")
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", out)
    if not match:
        raise SourceError(f"cannot tell the git version from {out.strip()!r}", hint="Reinstall git.")
    return tuple(int(part) for part in match.groups() if part is not None)


def check_git_version() -> None:
    """Raise ``SourceError`` when git is missing or older than ``MIN_GIT_VERSION``."""
    version = git_version()
    if version[:2] < MIN_GIT_VERSION:
        have = ".".join(map(str, version))
        want = ".".join(map(str, MIN_GIT_VERSION))
        raise SourceError(f"git {have} is too old", hint=f"Install git {want} or newer.")


# --- error translation --------------------------------------------------------------------------------

_NETWORK = (
    "could not resolve host",
    "connection refused",
    "unable to connect",
    "connection timed out",
    "network is unreachable",
    "no route to host",
    "failed to connect",
    "couldn't connect to server",
    "unable to look up",
    "name or service not known",
    "temporary failure in name resolution",
    "the remote end hung up",
    "early eof",
)
_AUTH = (
    "authentication failed",
    "could not read username",
    "could not read password",
    "terminal prompts disabled",
    "permission denied",
    "repository not found",
    "does not appear to be a git repository",
    "access denied",
    "host key verification failed",
    "http 403",
    "http 401",
    "returned error: 403",
    "returned error: 401",
    "returned error: 404",
)


class MissingObjectsError(SourceError):
    """git could not read objects it needed (a partial clone lacking a blob or a tree, a pruned or
    damaged object). ``oids`` are the object ids git named, ``detail`` its message."""

    def __init__(self, message: str, hint: str, oids: tuple[str, ...], detail: str) -> None:
        super().__init__(message, hint=hint)
        self.oids = oids
        self.detail = detail


_MISSING = (
    "unable to read",
    "could not read",
    "missing blob",
    "missing tree",
    "bad tree object",
    "lazy fetching disabled",
    "from promisor remote",
    "is corrupt",
    "invalid object",
)
_OID = re.compile(r"\b[0-9a-f]{40}(?:[0-9a-f]{24})?\b")


def git_error(args: Sequence[str], code: int, stderr: str, where: Path | str | None) -> SourceError:
    """A ``SourceError`` for a failed git call, saying what to check."""
    detail = _last_line(stderr) or f"exit status {code}"
    low = stderr.lower()
    command = f"git {args[0]}" if args else "git"
    if command in ("git log", "git cat-file", "git diff-tree") and any(marker in low for marker in _MISSING):
        oids = tuple(dict.fromkeys(_OID.findall(stderr)))
        return MissingObjectsError(
            f"{command} failed: the repository lacks objects ({detail})",
            hint=f"{where} is a partial clone or is damaged; `git fsck` there tells what is missing.",
            oids=oids,
            detail=detail,
        )
    if "not a git repository" in low:
        return SourceError(
            f"{where} is not a git repository",
            hint="Pass the top directory of a git checkout (the one that contains .git) or a bare repository.",
        )
    if "dubious ownership" in low:
        return SourceError(
            f"git refuses to read {where}: it is owned by another user",
            hint="Run commitwatch as the owner of the repository, or point --repo at a copy you own "
            "(commitwatch ignores your global git config, so safe.directory there does not apply).",
        )
    if "transport" in low and "not allowed" in low:
        return SourceError(
            f"{command} failed: {detail}",
            hint="This URL's protocol is not in the allowed list (https and ssh by default); "
            "use an https:// or ssh:// URL.",
        )
    if "bogus commit object" in low:
        return SourceError(
            f"{command} failed: a commit object is malformed ({detail})",
            hint=f"git cannot read that commit's parents, so it cannot walk the history below it; "
            f"`git fsck` in {where} names the object.",
        )
    if "lazy fetching disabled" in low or "from promisor remote" in low:
        return SourceError(
            f"{command} failed: the mirror is missing objects ({detail})",
            hint=f"Delete the mirror directory {where} so that commitwatch rebuilds it, and report this bug.",
        )
    if any(marker in low for marker in _AUTH):
        return SourceError(
            f"cannot read the remote repository: {detail}",
            hint="Check the URL, that the repository exists and that you have access; for private "
            "repositories use an ssh:// URL with a key in your ssh agent (commitwatch never prompts).",
        )
    if any(marker in low for marker in _NETWORK):
        return SourceError(
            f"cannot reach the remote repository: {detail}",
            hint="Check the URL and your network connection (proxy settings, firewall, DNS).",
        )
    return SourceError(f"{command} failed: {detail}", hint=f"Check that {where} is a readable git repository.")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    return (fatal or lines or [""])[-1]
