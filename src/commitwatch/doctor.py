"""``commitwatch doctor``: is this machine ready to run the config? One line per check, and what to fix.

Checks, in order: git, the config file and its repositories, the LLM (one tiny request, which also
learns the structured-output mode the server supports), the GitHub token (scopes and rate limit), the
store, the output directory, and the publish target. A check is ``ok``, ``warn`` (works, with less: no
LLM means the rules analyzer, no token means no pull request context) or ``fail`` (a run would fail or
a configured feature would not work). Nothing is written except the store's own file.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from .config import Settings, load_settings
from .errors import CommitwatchError, ExitCode

Status = Literal["ok", "warn", "fail"]


@dataclass
class Check:
    name: str
    status: Status
    message: str
    fix: str | None = None
    exit_code: int = ExitCode.USAGE  # when it fails: 2 for configuration, 3 for git or the network

    def line(self) -> str:
        from .term import clean  # server answers and paths are shown, never obeyed by the terminal

        mark = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}[self.status]
        text = f"{mark}  {clean(self.name)}: {clean(self.message)}"
        return text + (f"\n      fix: {clean(self.fix)}" if self.fix else "")


def exit_code(checks: list[Check]) -> int:
    failed = [c.exit_code for c in checks if c.status == "fail"]
    return max(failed) if failed else ExitCode.OK


def run_checks(
    config: Path | None, environ: Mapping[str, str] | None = None, *, forget_llm_mode: bool = False
) -> Iterator[Check]:
    """Every check, as it completes. The LLM check records the structured-output mode it learnt in the
    store (runs start there); ``forget_llm_mode`` forgets the stored one instead."""
    env = os.environ if environ is None else environ
    yield check_git()
    settings, checks = check_config(config, env)
    yield from checks
    if settings is None:
        return
    yield check_llm(settings, env, forget=forget_llm_mode)
    yield check_github(settings, env)
    yield check_store(settings)
    yield check_output(settings)
    if settings.publish.enabled:
        yield check_publish(settings, env)


def check_git() -> Check:
    git = shutil.which("git")
    if git is None:
        return Check("git", "fail", "git is not installed (or not on PATH)",
                     "Install git 2.25 or newer (apt-get install git).", ExitCode.SOURCE)
    try:
        out = subprocess.run([git, "--version"], capture_output=True, text=True, timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError) as e:
        return Check("git", "fail", f"{git} does not run: {e}", "Reinstall git.", ExitCode.SOURCE)
    version = out.strip().removeprefix("git version ").split()[0] if out.strip() else "?"
    numbers = [int(p) for p in version.split(".")[:2] if p.isdigit()]
    if len(numbers) == 2 and tuple(numbers) < (2, 25):
        return Check("git", "fail", f"git {version} is too old for blob-less mirrors", "Install git 2.25 or newer.",
                     ExitCode.SOURCE)
    return Check("git", "ok", f"git {version}")


def check_config(config: Path | None, environ: Mapping[str, str]) -> tuple[Settings | None, list[Check]]:
    from .sources import resolve_repo

    try:
        settings = load_settings(config, environ=environ)
    except CommitwatchError as e:
        return None, [Check("config", "fail", e.message, e.hint, e.exit_code)]
    named = config or (Path(environ["COMMITWATCH_CONFIG"]) if environ.get("COMMITWATCH_CONFIG") else None)
    checks = [Check("config", "ok", f"{named} is valid") if named else
              Check("config", "warn", "no config file: defaults only",
                    "Run `commitwatch init` and pass --config commitwatch.toml (or set COMMITWATCH_CONFIG).")]
    if not settings.repos:
        checks.append(Check("repos", "fail", "no repositories configured",
                            "Add a [[repos]] entry with repo = \"owner/name\", a git URL or a local path."))
    for repo in settings.repos:
        try:
            ref = resolve_repo(repo.repo, github=repo.github)
        except CommitwatchError as e:
            checks.append(Check(f"repo {repo.repo}", "fail", e.message, e.hint, e.exit_code))
            continue
        where = f"local repository {ref.path}" if ref.kind == "local" else f"remote {ref.url} (mirrored on first run)"
        if ref.kind == "local" and not _is_git_dir(Path(ref.path or repo.repo)):
            checks.append(Check(f"repo {repo.repo}", "fail", f"{ref.path} is not a git repository",
                                "Point repo at a git checkout or a bare repository.", ExitCode.SOURCE))
            continue
        github = f"; GitHub {ref.github}" if ref.github else "; no GitHub identity (no links, no PR context)"
        checks.append(Check(f"repo {repo.repo}", "ok", where + github))
    return settings, checks


def _is_git_dir(path: Path) -> bool:
    git = shutil.which("git")
    if git is None or not path.is_dir():
        return False
    try:
        done = subprocess.run([git, "-C", str(path), "rev-parse", "--git-dir"], capture_output=True, timeout=20,
                              env={"PATH": os.environ.get("PATH", ""), "GIT_CONFIG_NOSYSTEM": "1",
                                   "GIT_TERMINAL_PROMPT": "0", "HOME": os.environ.get("HOME", "/")})
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def check_llm(settings: Settings, environ: Mapping[str, str], *, forget: bool = False) -> Check:
    llm = settings.llm
    if not llm.configured:
        return Check("llm", "warn", "no LLM configured: the rules analyzer writes the reports",
                     "For LLM analyses set [llm] base_url and model (or COMMITWATCH_LLM_BASE_URL and "
                     f"COMMITWATCH_LLM_MODEL) and put the API key in ${llm.api_key_env}.")
    key = environ.get(llm.api_key_env, "").strip()
    if not key:
        return Check("llm", "fail", f"{llm.model} at {llm.base_url} is configured but ${llm.api_key_env} is not set",
                     f"Export {llm.api_key_env}=<your key>, or remove the [llm] block to use the rules analyzer.")
    try:
        mode = asyncio.run(_tiny_request(settings, key))
    except CommitwatchError as e:
        return Check("llm", "fail", f"{llm.model} at {llm.base_url}: {e.message}",
                     e.hint or "Check llm.base_url, llm.model and the API key.", ExitCode.SOURCE)
    public = {"json_object+schema": "json_object"}.get(mode, mode)
    memory = _remember_mode(settings, mode, forget)
    return Check("llm", "ok", f"{llm.model} at {llm.base_url} answered; structured output: {public}{memory}")


def _remember_mode(settings: Settings, mode: str, forget: bool) -> str:
    """Record the learnt mode for the runs (or forget the stored one); what to add to the check's line."""
    from .storage import Store, default_db_path

    llm = settings.llm
    base_url, model = (llm.base_url or "").rstrip("/"), llm.model or ""
    try:
        with Store.open(settings.db or default_db_path()) as store:
            before = store.llm_mode(base_url, model)
            if forget:
                store.forget_llm_mode(base_url, model)
                return "; the stored mode was forgotten: the next run negotiates again"
            store.remember_llm_mode(base_url, model, mode)
    except CommitwatchError:
        return ""  # the store check says what is wrong with it
    if before is not None and before != mode:
        return f" (runs used {before}: now {mode}; `commitwatch doctor --forget-llm-mode` forgets it)"
    return " (remembered for runs; `commitwatch doctor --forget-llm-mode` forgets it)"


async def _tiny_request(settings: Settings, key: str) -> str:
    """One small request through the analysis client; returns the structured-output mode it settled on."""
    from .analysis.llm import LLMClient

    llm = settings.llm.model_copy(update={"max_retries": 0, "timeout": min(settings.llm.timeout, 60.0)})
    client = LLMClient(llm, key)
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"],
              "additionalProperties": False}

    def build(mode: object) -> list[dict[str, str]]:
        return [{"role": "system", "content": 'Answer with the JSON object {"ok": true} and nothing else.'},
                {"role": "user", "content": "ping"}]

    try:
        await client.complete(build, schema=schema, schema_name="ping", model=llm.model or "", max_tokens=32)
        return client.mode.value
    finally:
        await client.aclose()


def check_github(settings: Settings, environ: Mapping[str, str]) -> Check:
    from .sources.github import GitHubClient, github_token

    gh = settings.github
    token = github_token(gh, environ)
    needed = settings.publish.enabled
    if token is None:
        return Check("github", "fail" if needed else "warn",
                     f"${gh.token_env} is not set: " + ("publishing cannot work" if needed else
                                                        "reports are written without pull request context"),
                     f"Export {gh.token_env}=<a GitHub token> (no scope is needed for public repositories"
                     + ("; publishing needs Contents: write or Issues: write)" if needed else ")"))
    try:
        with GitHubClient(gh, token) as client:
            client.get("user", conditional=False, what="the token's user")
            limits = client.rate_limit()
            scopes = client.scopes
    except CommitwatchError as e:
        return Check("github", "fail", e.message, e.hint, e.exit_code)
    reset = (datetime.fromtimestamp(limits.reset, timezone.utc).strftime("%H:%M UTC") if limits.reset else "?")
    scope_text = f"scopes: {scopes or 'none'}" if scopes is not None else "fine-grained token"
    return Check("github", "ok", f"token accepted at {gh.api_url} ({scope_text}); rate limit "
                 f"{limits.remaining}/{limits.limit}, resets {reset}")


def check_store(settings: Settings) -> Check:
    from .storage import Store, default_db_path

    path = settings.db or default_db_path()
    try:
        with Store.open(path) as store:
            version = store.schema_version()
    except CommitwatchError as e:
        return Check("store", "fail", e.message, e.hint, e.exit_code)
    return Check("store", "ok", f"{path} (schema {version})")


def check_output(settings: Settings) -> Check:
    out = settings.output_dir
    probe = out
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        return Check("output", "fail", f"{probe} is not a directory", "Set output_dir to a directory.")
    if not os.access(probe, os.W_OK | os.X_OK):
        return Check("output", "fail", f"{out} cannot be written ({probe} is not writable)",
                     "Set output_dir (or --output-dir) to a writable directory.")
    return Check("output", "ok", f"reports go to {out}" + ("" if out.exists() else " (created on the first run)"))


def check_publish(settings: Settings, environ: Mapping[str, str]) -> Check:
    from .sources.github import GitHubClient, github_token

    publish = settings.publish
    what = "issues in" if publish.issue else f"files to {publish.branch} of"
    token = github_token(settings.github, environ)
    if token is None:
        return Check("publish", "fail", f"publishing {what} {publish.github_repo} needs ${settings.github.token_env}",
                     f"Export {settings.github.token_env} with a token that can write to {publish.github_repo}.")
    try:
        with GitHubClient(settings.github, token) as client:
            data = client.get(f"repos/{publish.github_repo}", conditional=False,
                              what=f"the repository {publish.github_repo}").data or {}
    except CommitwatchError as e:
        return Check("publish", "fail", e.message, e.hint, e.exit_code)
    permissions = data.get("permissions") if isinstance(data, dict) else None
    cannot_push = isinstance(permissions, dict) and not (permissions.get("push") or permissions.get("admin"))
    if cannot_push and not publish.issue:
        return Check("publish", "fail", f"the token cannot write to {publish.github_repo}",
                     "Give the token Contents: write on that repository (classic: repo or public_repo).")
    return Check("publish", "ok", f"{what} {publish.github_repo} (the token has access)")
