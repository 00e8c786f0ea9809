"""Settings: one model, one merge function.

Order of precedence (later wins)::

    defaults < config file (TOML) < COMMITWATCH_* environment variables < command-line flags

Unknown keys are errors that name the file and the key: a typo must never silently fall back to a
default (for example a misspelt ``base_url`` sending commits to the wrong endpoint). Secrets are never
stored here: only the *names* of the environment variables that hold them.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

Language = Literal["zh-CN", "en"]
Format = Literal["md", "html", "json", "atom"]
FORMATS: tuple[str, ...] = ("md", "html", "json", "atom")
DEFAULT_FORMATS: tuple[Format, ...] = ("md", "json")
ENV_PREFIX = "COMMITWATCH_"
_OWNER_NAME = re.compile(r"[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class RepoConfig(_Section):
    repo: str = Field(min_length=1, description="GitHub shorthand owner/name, git URL or local path")
    branch: str | None = None
    github: str | None = Field(None, description="owner/name on GitHub, for links from a local path")


class Price(_Section):
    """Price in any currency per million tokens."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)


class LLMSettings(_Section):
    base_url: str | None = None
    model: str | None = None
    api_key_env: str = "COMMITWATCH_LLM_API_KEY"
    timeout: float = Field(120.0, gt=0, description="seconds per request")
    concurrency: int = Field(8, ge=1, le=256)
    requests_per_minute: int | None = Field(None, ge=1)
    temperature: float = Field(0.2, ge=0, le=2)
    max_output_tokens: int = Field(2048, ge=64)
    input_token_budget: int = Field(24_000, ge=1_000, description="per request; fits a 32k-context model")
    structured_output: Literal["auto", "json_schema", "json_object", "prompt"] = "auto"
    max_retries: int = Field(4, ge=0, le=20)
    max_retry_wait: float = Field(120.0, ge=0, description="longest Retry-After honoured, seconds")
    retry_backoff: float = Field(
        1.0, ge=0, description="first retry wait in seconds when the server sends no Retry-After; doubles"
    )
    circuit_breaker_threshold: int = Field(
        3, ge=1, description="auth, quota or not-found errors after which the run stops calling the provider"
    )
    run_token_limit: int | None = Field(None, ge=1, description="tokens per run; then rules")
    light_model: str | None = Field(None, description="model for commits the rules rate low")
    analyze_bots: bool = False
    prices: dict[str, Price] = Field(default_factory=dict, description="model name -> price")

    @property
    def configured(self) -> bool:
        return bool(self.base_url and self.model)


class GitHubSettings(_Section):
    api_url: str = Field("https://api.github.com", description="REST root; GitHub Enterprise: https://HOST/api/v3")
    token_env: str = Field("GITHUB_TOKEN", description="environment variable that holds the token")
    pull_requests: bool = Field(True, description="look up the pull request behind each commit")
    max_wait: float = Field(
        60.0, ge=0, description="seconds a run may wait on GitHub rate limits in all; then PR context is skipped"
    )
    timeout: float = Field(30.0, gt=0, description="seconds per GitHub request")

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL such as https://api.github.com")
        return value.rstrip("/")


class GitSettings(_Section):
    allowed_protocols: list[str] = Field(
        default_factory=lambda: ["https", "ssh"],
        description="protocols git may use for remote mirrors (file is always allowed for local paths)",
    )
    window_slack_days: int = Field(
        30, ge=0, description="deprecated and ignored: the window walk is exact on any history"
    )


class PublishSettings(_Section):
    github_repo: str | None = Field(None, description="owner/name of the repository reports are published to")
    branch: str = "main"
    path_template: str = Field(
        "reports/{year}/{repo_slug}/{date}.md", description="placeholders: {year} {repo_slug} {repo} {date} {ext}"
    )
    index_path: str = Field("reports/README.md", description="index of the published reports, updated each run")
    formats: list[Format] = Field(
        default_factory=lambda: list[Format](["md"]), description="which written formats to publish"
    )
    issue: bool = Field(False, description="publish as one issue per repository and day instead of files")
    close_previous: bool = Field(False, description="with issue = true: close the previous report issue")
    labels: list[str] = Field(default_factory=lambda: ["commitwatch"], description="labels of report issues")

    @field_validator("github_repo")
    @classmethod
    def _owner_name(cls, value: str | None) -> str | None:
        if value is not None and not _OWNER_NAME.fullmatch(value):
            raise ValueError("must be owner/name, for example me/upstream-reports")
        return value

    @property
    def enabled(self) -> bool:
        return self.github_repo is not None


class NotifyTarget(_Section):
    """One notification target: an apprise URL (or the environment variable holding it) and what it
    wants to receive. docs/notifications.md describes every key."""

    url: str | None = Field(None, min_length=1, description="apprise URL (it holds credentials)")
    url_env: str | None = Field(None, min_length=1, description="environment variable holding the URL")
    format: Literal["markdown", "text"] = "markdown"
    max_items: int = Field(10, ge=1, le=200, description="highlights and commits listed per repository")
    language: Language | None = Field(None, description="digest language; default: the report language")
    repos: list[str] = Field(default_factory=list, description="only these repositories (names as in [[repos]])")
    importance: list[Literal["high", "medium", "low"]] | None = Field(
        None, description="list commits of these levels, and send nothing when none; default: list high"
    )
    report_base_url: str | None = Field(None, description="links to the full reports: base + <YYYY>/<slug>/<day>.<ext>")
    report_format: Literal["md", "html", "json"] = "md"
    api_url: str | None = Field(None, description="another endpoint for DingTalk/WeCom/Feishu/Lark/Slack webhooks")

    @model_validator(mode="after")
    def _one_url(self) -> NotifyTarget:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of url or url_env")
        return self


class NotifySettings(_Section):
    urls: list[str] = Field(default_factory=list, description="apprise URLs with default options")
    targets: list[NotifyTarget] = Field(default_factory=list)
    report_base_url: str | None = Field(None, description="default report_base_url of every target")
    retries: int = Field(3, ge=0, le=10, description="retries of a failed post (timeouts, 429, 5xx)")
    retry_backoff: float = Field(2.0, ge=0, description="first wait in seconds; doubles")
    max_retry_wait: float = Field(60.0, ge=0, description="longest wait between retries, seconds")
    timeout: float = Field(15.0, gt=0, description="seconds per HTTP request")


class Settings(_Section):
    timezone: str = "Asia/Shanghai"
    language: Language = "zh-CN"
    output_dir: Path = Path("reports")
    formats: list[Format] = Field(default_factory=lambda: list(DEFAULT_FORMATS))
    cache_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_cache_dir("commitwatch")))
    db: Path | None = Field(None, description="SQLite store; default <user data dir>/commitwatch.db")
    repos: list[RepoConfig] = Field(default_factory=list)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    github: GitHubSettings = Field(default_factory=GitHubSettings)
    git: GitSettings = Field(default_factory=GitSettings)
    publish: PublishSettings = Field(default_factory=PublishSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        parse_timezone(value)
        return value

    @field_validator("output_dir", "cache_dir", "db")
    @classmethod
    def _home(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @field_validator("formats")
    @classmethod
    def _unique_formats(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one format is needed")
        return list(dict.fromkeys(value))

    @property
    def tz(self) -> ZoneInfo:
        return parse_timezone(self.timezone)


def parse_timezone(name: str) -> ZoneInfo:
    """An IANA time zone, or ValueError naming what is accepted."""
    try:
        if not name or name != name.strip() or ".." in name or name.startswith("/"):
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Asia/Shanghai or UTC)") from e


def parse_formats(text: str) -> list[str]:
    """'md,json' -> ['md', 'json']; raises ValueError naming the allowed formats."""
    items = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [item for item in items if item not in FORMATS]
    if unknown or not items:
        raise ValueError(f"unknown format {', '.join(unknown) or repr(text)} (choose from {', '.join(FORMATS)})")
    return items


_URL_SEPARATOR = re.compile(r"\s+|,\s*(?=[A-Za-z][A-Za-z0-9+.-]*://)")


def split_urls(text: str) -> list[str]:
    """``COMMITWATCH_NOTIFY_URLS``: URLs separated by whitespace, or by a comma before a scheme (a comma
    inside a URL's query stays)."""
    return [part for part in _URL_SEPARATOR.split(text.strip()) if part]


# Environment variables and the settings they set. LLM ones keep the names in DESIGN.md.
_ENV_KEYS: dict[str, tuple[str, ...]] = {
    "TIMEZONE": ("timezone",),
    "LANGUAGE": ("language",),
    "OUTPUT_DIR": ("output_dir",),
    "FORMATS": ("formats",),
    "CACHE_DIR": ("cache_dir",),
    "DB": ("db",),
    "LLM_BASE_URL": ("llm", "base_url"),
    "LLM_MODEL": ("llm", "model"),
    "GITHUB_API_URL": ("github", "api_url"),
    "NOTIFY_URLS": ("notify", "urls"),
}


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings that COMMITWATCH_* variables set, as a nested dict."""
    out: dict[str, Any] = {}
    for suffix, path in _ENV_KEYS.items():
        value = environ.get(ENV_PREFIX + suffix)
        if value is None or value == "":
            continue
        parsed: Any = value
        if suffix == "FORMATS":
            try:
                parsed = parse_formats(value)
            except ValueError as e:
                raise ConfigError(f"{ENV_PREFIX}{suffix}: {e}", hint="Fix or unset the variable.") from e
        if suffix == "NOTIFY_URLS":
            parsed = split_urls(value)
        _set_path(out, path, parsed)
    return out


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse a TOML config file; errors name the file and say what to fix."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise ConfigError(f"config file not found: {path}", hint="Check the --config path.") from e
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read config file {path}: {e}", hint="Check the file and its permissions.") from e
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}", hint="Fix the syntax at the line shown.") from e


def load_settings(
    config_path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge defaults < config file < COMMITWATCH_* env < ``overrides`` (command-line flags).

    ``overrides`` is a nested dict of only the flags the user gave (``None`` values are ignored).
    Without ``config_path``, ``COMMITWATCH_CONFIG`` names the file, if set.
    """
    environ = os.environ if environ is None else environ
    source = "configuration"
    data: dict[str, Any] = {}
    if config_path is None and environ.get(ENV_PREFIX + "CONFIG"):
        config_path = Path(environ[ENV_PREFIX + "CONFIG"])
    if config_path is not None:
        data = read_config_file(config_path)
        source = str(config_path)
    layers = [env_overrides(environ), dict(overrides or {})]
    for layer in layers:
        _deep_merge(data, layer)
    try:
        return Settings.model_validate(data)
    except ValidationError as e:
        raise ConfigError(_describe(e, source), hint=_hint(e)) from e


def _describe(error: ValidationError, source: str) -> str:
    problems = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        if item["type"] == "extra_forbidden":
            problems.append(f"unknown key '{key}'")
        else:
            problems.append(f"'{key}': {item['msg']}")
    return f"{source}: " + "; ".join(problems)


def _hint(error: ValidationError) -> str:
    if any(item["type"] == "extra_forbidden" for item in error.errors()):
        return "Check the spelling; the keys are listed in docs/configuration.md."
    return "Fix the value; docs/configuration.md lists every key and its type."


def _set_path(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = value


def _deep_merge(base: dict[str, Any], layer: Mapping[str, Any]) -> None:
    for key, value in layer.items():
        if value is None:
            continue
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        elif isinstance(value, Mapping):
            base[key] = {}
            _deep_merge(base[key], value)
        else:
            base[key] = value
