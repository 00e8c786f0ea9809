"""``commitwatch init``: a commented starter config file.

Everything a feature needs is there, commented out, so the file is valid as written (the rules analyzer,
no publishing, no notifications) and each feature is switched on by removing the ``#`` of its lines.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ConfigError

DEFAULT_PATH = Path("commitwatch.toml")

STARTER = """\
# commitwatch configuration (TOML). Every key is optional; docs/configuration.md lists them all.
# Check it with:  commitwatch doctor --config {name}
# Run it with:    commitwatch run --config {name}

timezone = "Asia/Shanghai"          # day boundaries and the times shown
language = "zh-CN"                  # or "en"
output_dir = "reports"              # <output_dir>/<year>/<repo-slug>/<date>.md
formats = ["md", "json"]

# The repositories to report. `repo` is GitHub shorthand owner/name, a git URL or a local path;
# `branch` defaults to the remote HEAD; `github` names the GitHub repository of a local path or
# mirror URL (for links and pull request context). Remove the # of one block to start.
#
# [[repos]]
# repo = "ai-dynamo/dynamo"
#
# [[repos]]
# repo = "vllm-project/vllm"
#
# [[repos]]
# repo = "sgl-project/sglang"
# branch = "main"
#
# [[repos]]
# repo = "/srv/src/my-fork"
# github = "me/my-fork"

# An OpenAI-compatible LLM writes the analyses; without this block the rules analyzer does.
# The API key is read from the environment variable named by api_key_env, never from this file.
#
# [llm]
# base_url = "https://integrate.api.nvidia.com/v1"
# model = "deepseek-ai/deepseek-v3.1"
# api_key_env = "COMMITWATCH_LLM_API_KEY"
# concurrency = 8

# GitHub: pull request context for each commit (title, description, labels) and publishing.
# The token is read from the environment variable named by token_env; no scope is needed to read
# public repositories.
[github]
api_url = "https://api.github.com"  # GitHub Enterprise: https://HOST/api/v3
token_env = "GITHUB_TOKEN"
max_wait = 60                       # seconds a run may wait on rate limits; then PR context is skipped

# Publish each report to a GitHub repository (contents API; the token needs Contents: write),
# or as one issue per repository and day (issue = true; Issues: write).
#
# [publish]
# github_repo = "me/upstream-reports"
# branch = "main"
# path_template = "reports/{{year}}/{{repo_slug}}/{{date}}.md"
# index_path = "reports/README.md"
# issue = false
# close_previous = false

# Notifications: apprise URLs (Slack, Feishu/Lark, DingTalk, WeCom, Telegram, email, webhooks).
#
# [notify]
# urls = ["slack://token-a/token-b/token-c"]
"""


def write_starter(path: Path = DEFAULT_PATH) -> Path:
    """Write the starter config to ``path``; refuses (``ConfigError``) to overwrite anything."""
    text = STARTER.format(name=path.name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError as e:
        raise ConfigError(f"{path} already exists; not overwriting it",
                          hint="Edit it, move it away, or pass another path: commitwatch init PATH.") from e
    except OSError as e:
        raise ConfigError(f"cannot create {path}: {e.strerror or e}", hint="Choose a writable path.") from e
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    return path
