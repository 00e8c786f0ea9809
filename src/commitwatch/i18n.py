"""Locale catalogs: every word a report shows comes from ``locales/<lang>/<catalog>.toml``.

Two catalogs per language:

- ``labels.toml``: report labels, change-type and importance names, section names, analyzer
  descriptions. Tables nest (``[change_type] feature = "Feature"``) and are addressed by dotted keys
  (``"change_type.feature"``).
- ``reasons.toml``: one message per triage ``Reason.key``, with ``{placeholders}`` filled from
  ``Reason.args``.

Messages are plain text (no Markdown, no HTML); renderers escape them like any other text.
Placeholders are ``{name}``; ``{{`` and ``}}`` give literal braces; a placeholder without a value stays
as written. Lookups never fail: a key missing in the language falls back to English, then to the key
itself (for reasons: ``key (name=value, ...)``), so a half-translated catalog still renders.

    tr = translator("zh-CN")
    tr.label("change_type.feature")            # "功能增强"
    tr.label("stats.total_day", total=31)      # "本日共 31 个提交"
    tr.reason(Reason("type.conventional", (("type", "feat"),)))

The module-level ``label()`` and ``format_reason()`` are shortcuts over ``translator(lang)``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from commitwatch.models import Reason

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

SUPPORTED_LANGUAGES: tuple[str, ...] = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
FALLBACK_LANGUAGE = "en"

_ALIASES = {"zh": "zh-CN", "zh-cn": "zh-CN", "zh_cn": "zh-CN", "zh-hans": "zh-CN", "en-us": "en", "en_us": "en"}
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*")
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


def normalize_language(language: str) -> str:
    """``"zh"``, ``"zh_CN"``, ``"ZH-cn"`` → ``"zh-CN"``; ``"en-US"`` → ``"en"``. Unknown tags pass through."""
    key = language.strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    for supported in SUPPORTED_LANGUAGES:
        if supported.lower() == key:
            return supported
    return language.strip()


def fill(template: str, params: Mapping[str, object]) -> str:
    """Replace ``{name}`` with ``params[name]``; unknown placeholders stay as written."""

    def sub(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = match.group(1)
        return str(params[name]) if name in params else token

    return _PLACEHOLDER.sub(sub, template)


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = str(value)
    return flat


def _read_catalog(path: Path | Traversable) -> dict[str, str]:
    if not path.is_file():
        return {}
    return _flatten(tomllib.loads(path.read_text(encoding="utf-8")))


def load_catalog(language: str, name: str, extra_dirs: Iterable[Path] = ()) -> dict[str, str]:
    """The messages of one catalog (``"labels"`` or ``"reasons"``) for one language.

    The packaged catalog comes first; each directory of ``extra_dirs`` (laid out like ``locales/``:
    ``<dir>/<lang>/<name>.toml``) is merged over it in order. Missing files count as empty.
    """
    if not _LANGUAGE_TAG.fullmatch(language):  # never a path: "../x" reads nothing
        return {}
    packaged = resources.files("commitwatch") / "locales" / language / f"{name}.toml"
    messages = _read_catalog(packaged)
    for directory in extra_dirs:
        messages.update(_read_catalog(Path(directory) / language / f"{name}.toml"))
    return messages


class Translator:
    """The catalogs of one language (with English behind it) and the two lookups renderers need."""

    def __init__(self, language: str, *, extra_dirs: Iterable[Path] = ()) -> None:
        self.language = normalize_language(language)
        dirs = tuple(extra_dirs)
        chain = [self.language] if self.language == FALLBACK_LANGUAGE else [self.language, FALLBACK_LANGUAGE]
        self._labels = [load_catalog(lang, "labels", dirs) for lang in chain]
        self._reasons = [load_catalog(lang, "reasons", dirs) for lang in chain]

    @staticmethod
    def _lookup(catalogs: list[dict[str, str]], key: str) -> str | None:
        for messages in catalogs:
            if key in messages:
                return messages[key]
        return None

    def has_label(self, key: str) -> bool:
        return self._lookup(self._labels, key) is not None

    def label(self, key: str, **params: object) -> str:
        """The label ``key`` with its placeholders filled; the key itself when no catalog has it."""
        template = self._lookup(self._labels, key)
        return key if template is None else fill(template, params)

    def plural(self, key: str, count: int, **params: object) -> str:
        """``label(key, count=count, ...)``, or ``label(key + "_one", ...)`` when ``count`` is 1 and this
        language's own catalog has that key (English "1 file" / "2 files"; Chinese needs no ``_one``)."""
        if count == 1 and f"{key}_one" in self._labels[0]:
            key = f"{key}_one"
        return self.label(key, count=count, **params)

    def reason(self, reason: Reason) -> str:
        """A triage reason as a sentence; ``key (name=value, ...)`` when no catalog knows the key."""
        args = reason.arg_dict()
        if "type" in args and self.has_label(f"change_type.{args['type']}"):
            args["type"] = self.label(f"change_type.{args['type']}")  # "feature" -> "功能增强"
        template = self._lookup(self._reasons, reason.key)
        if template is not None:
            return fill(template, args)
        if not args:
            return reason.key
        return f"{reason.key} ({', '.join(f'{k}={v}' for k, v in reason.args)})"


@cache
def translator(language: str) -> Translator:
    """The cached translator for ``language`` over the packaged catalogs."""
    return Translator(language)


def label(language: str, key: str, **params: object) -> str:
    """``translator(language).label(key, **params)``."""
    return translator(normalize_language(language)).label(key, **params)


def format_reason(language: str, reason: Reason) -> str:
    """``translator(language).reason(reason)``."""
    return translator(normalize_language(language)).reason(reason)
