"""Notification targets: the configured apprise URLs, named safely, and their credentials kept out of
every output (``target_id``, ``url_secrets``, ``redact``)."""

from __future__ import annotations

import hashlib
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..config import NotifySettings, NotifyTarget
from ..errors import ConfigError
from ..redact import remember_secret

_HOST_SHOWN = frozenset({"json", "jsons", "xml", "xmls", "form", "forms", "mailto", "mailtos", "ntfy", "ntfys"})


@dataclass(frozen=True)
class Target:
    url: str  # secret: never printed, logged or stored
    id: str  # redacted name: scheme, maybe host, and a hash of the URL
    options: NotifyTarget



def target_id(url: str) -> str:
    """A name for a target that is safe to print and store: ``json://hooks.example.com#1a2b3c4d5e6f``,
    ``dingtalk#9f8e7d6c5b4a``. The host shows only for schemes whose host is not a credential."""
    scheme, _, rest = url.partition("://")
    scheme = scheme.lower()
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]
    if scheme in _HOST_SHOWN and rest:
        netloc = urllib.parse.urlsplit("x://" + rest).netloc.rpartition("@")[2]
        if netloc:
            return f"{scheme}://{netloc}#{digest}"
    return f"{scheme or 'url'}#{digest}"


def resolve_targets(notify: NotifySettings, environ: Mapping[str, str]) -> list[Target]:
    """Every configured target with its URL (``url_env`` read now), simple ``urls`` first. Each URL's
    credentials are registered with ``commitwatch.redact``, so no output anywhere can show them."""
    targets = _targets(notify, environ)
    for target in targets:
        for secret in url_secrets(target.url):
            remember_secret(secret)
    return targets


def _targets(notify: NotifySettings, environ: Mapping[str, str]) -> list[Target]:
    targets: list[Target] = []
    for url in notify.urls:
        options = NotifyTarget(url=url)
        targets.append(Target(url, target_id(url), options))
    for index, options in enumerate(notify.targets):
        found = options.url
        if options.url_env:
            found = environ.get(options.url_env, "").strip()
            if not found:
                raise ConfigError(
                    f"notify.targets[{index}]: environment variable {options.url_env} is not set",
                    hint=f"Set {options.url_env} to the apprise URL, or remove the target.",
                )
        assert found is not None
        targets.append(Target(found, target_id(found), options))
    return targets


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret (and its URL-quoted forms) replaced by ``***``."""
    out = text
    for secret in sorted(set(secrets), key=len, reverse=True):
        for form in {secret, urllib.parse.quote(secret, safe=""), urllib.parse.unquote(secret)}:
            if len(form) >= 4:
                out = out.replace(form, "***")
    return out


def url_secrets(url: str) -> list[str]:
    """The pieces of an apprise URL that may be credentials: all but the scheme, local hosts and
    short numbers (ports)."""
    _, _, rest = url.partition("://")
    pieces = [p for p in re.split(r"[/:@?&=#,;+]", rest) if p]
    safe = {"localhost", "127.0.0.1", "format", "markdown", "text", "verify", "yes", "no"}
    return [url, *(p for p in pieces if p.lower() not in safe and not (p.isdigit() and len(p) <= 5) and len(p) >= 4)]
