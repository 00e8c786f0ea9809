"""Build histories with arbitrary committer dates and shapes through ``git fast-import``.

    history = [Node("a", 1_770_000_000), Node("b", 1_770_003_600, ("a",)), ...]
    shas = build(tmp_path / "r", history)        # name -> sha; the last node is the tip of main

Every node changes one file, so every commit has a diff. Parents are named; the first one is the
first parent. ``offset`` is the committer's (and author's) ``+HHMM``.
"""

from __future__ import annotations

import random
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.gitrepo import GitRepo, git_env


@dataclass(frozen=True)
class Node:
    name: str
    committed: int  # committer timestamp
    parents: tuple[str, ...] = ()
    offset: str = "+0000"


def stream(nodes: list[Node], branch: str = "main") -> bytes:
    marks = {node.name: i + 1 for i, node in enumerate(nodes)}
    out: list[bytes] = []
    for node in nodes:
        message = f"commit {node.name}\n".encode()
        content = f"{node.name}\n".encode()
        out.append(f"commit refs/heads/{branch}\nmark :{marks[node.name]}\n".encode())
        out.append(f"author Ada <ada@example.com> {node.committed} {node.offset}\n".encode())
        out.append(f"committer Grace <grace@example.com> {node.committed} {node.offset}\n".encode())
        out.append(b"data %d\n%s" % (len(message), message))
        if node.parents:
            out.append(f"from :{marks[node.parents[0]]}\n".encode())
            out.extend(f"merge :{marks[p]}\n".encode() for p in node.parents[1:])
        else:
            out.append(b"deleteall\n")
        out.append(b"M 100644 inline files/%s.txt\ndata %d\n%s\n" % (node.name.encode(), len(content), content))
    # the branch ends at the last node
    out.append(f"reset refs/heads/{branch}\nfrom :{marks[nodes[-1].name]}\n\n".encode())
    return b"".join(out)


def build(path: Path, nodes: list[Node], branch: str = "main") -> dict[str, str]:
    """Import ``nodes`` into a new repository at ``path``; returns each node's sha."""
    repo = GitRepo.create(path, branch)
    marks = path / ".git" / "marks"
    subprocess.run(
        ["git", "fast-import", "--quiet", "--date-format=raw", f"--export-marks={marks}"],
        cwd=path, input=stream(nodes, branch), env=git_env(), check=True, capture_output=True,
    )  # fmt: skip
    by_mark = dict(line.split(" ", 1) for line in marks.read_text().splitlines())
    repo.git("reset", "-q", "--hard", branch)
    return {node.name: by_mark[f":{i + 1}"].strip() for i, node in enumerate(nodes)}


def random_history(seed: int, count: int, start: int, skews: int, skew_days: tuple[int, int]) -> list[Node]:
    """A random history of ``count`` commits from ``start`` on, a few hours apart, with side branches
    merged back and ``skews`` commits whose clock was ``skew_days`` (a range) days behind their parent's,
    or, for one in three, ahead of it."""
    rng = random.Random(seed)
    nodes: list[Node] = []
    tips: list[str] = []  # open side branches
    when = start
    skewed = set(rng.sample(range(1, count), skews))
    for i in range(count):
        when += rng.randint(600, 9 * 3600)
        skew = rng.randint(*skew_days) * 86400 * (-1 if rng.random() < 1 / 3 else 1)
        stamp = when - skew if i in skewed else when
        name = f"n{i}"
        if not nodes:
            parents: tuple[str, ...] = ()
        elif tips and rng.random() < 0.15:
            parents = (nodes[-1].name, tips.pop(rng.randrange(len(tips))))  # merge a side branch
        elif rng.random() < 0.15:
            tips.append(nodes[-1].name)  # the previous commit also starts a side branch ...
            parents = (rng.choice(nodes).name,)  # ... and this one forks from an older commit
        else:
            parents = (nodes[-1].name,)
        offset = rng.choice(["+0000", "+0800", "-0500", "+0530", "-1200", "+1400"])
        nodes.append(Node(name, stamp, parents, offset))
    # merge what is left open, so every node is reachable from the tip
    while tips:
        when += 600
        nodes.append(Node(f"m{len(nodes)}", when, (nodes[-1].name, tips.pop())))
    return nodes
