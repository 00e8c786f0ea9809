"""Build real git repositories in tmp dirs with fixed identities and dates, so SHAs are stable.

    repo = GitRepo.create(tmp_path / "r")
    repo.write("src/a.py", "print(1)\n")
    sha = repo.commit("feat: add a", committed="2026-02-07T11:25:02+08:00")

Dates are ISO 8601 with an offset. ``authored`` defaults to ``committed``.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

AUTHOR = ("Ada Lovelace", "ada@example.com")
COMMITTER = ("Grace Hopper", "grace@example.com")


def git_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/nonexistent"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C",
        "TZ": "UTC",
    }
    if extra:
        env.update(extra)
    return env


@dataclass
class GitRepo:
    path: Path

    @classmethod
    def create(cls, path: Path, branch: str = "main") -> GitRepo:
        path.mkdir(parents=True, exist_ok=True)
        repo = cls(path)
        repo.git("init", "-q", "-b", branch)
        repo.git("config", "core.autocrlf", "false")
        repo.git("config", "core.quotepath", "false")
        return repo

    def git(self, *args: str, env: dict[str, str] | None = None, input: bytes | None = None) -> str:
        out = subprocess.run(
            ["git", *args],
            cwd=self.path,
            env=git_env(env),
            input=input,
            check=True,
            capture_output=True,
        )
        return out.stdout.decode("utf-8", "replace")

    def write(self, rel: str | bytes, content: str | bytes) -> None:
        target = os.path.join(os.fsencode(self.path), rel if isinstance(rel, bytes) else os.fsencode(rel))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        data = content.encode() if isinstance(content, str) else content
        with open(target, "wb") as fh:
            fh.write(data)

    def remove(self, rel: str) -> None:
        self.git("rm", "-q", "--", rel)

    def commit(
        self,
        message: str,
        committed: str = "2026-02-07T10:00:00+08:00",
        authored: str | None = None,
        author: tuple[str, str] = AUTHOR,
        committer: tuple[str, str] = COMMITTER,
        allow_empty: bool = False,
    ) -> str:
        self.git("add", "-A")
        env = {
            "GIT_AUTHOR_NAME": author[0],
            "GIT_AUTHOR_EMAIL": author[1],
            "GIT_AUTHOR_DATE": authored or committed,
            "GIT_COMMITTER_NAME": committer[0],
            "GIT_COMMITTER_EMAIL": committer[1],
            "GIT_COMMITTER_DATE": committed,
        }
        args = ["commit", "-q", "--allow-empty-message", "--no-verify", "-F", "-"]
        if allow_empty:
            args.append("--allow-empty")
        self.git(*args, env=env, input=message.encode())
        return self.head()

    def merge(self, branch: str, message: str, committed: str) -> str:
        env = {
            "GIT_AUTHOR_NAME": AUTHOR[0],
            "GIT_AUTHOR_EMAIL": AUTHOR[1],
            "GIT_AUTHOR_DATE": committed,
            "GIT_COMMITTER_NAME": COMMITTER[0],
            "GIT_COMMITTER_EMAIL": COMMITTER[1],
            "GIT_COMMITTER_DATE": committed,
        }
        self.git("merge", "-q", "--no-ff", "-m", message, branch, env=env)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()
