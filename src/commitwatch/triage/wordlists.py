"""The word and tag tables of triage (``tables/tags.toml``, ``tables/words.toml``: data, like the locale
catalogs), loaded once, and the helpers that turn their lists into patterns and type maps."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

from commitwatch.models import ChangeType

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


@cache
def load_table(name: str) -> dict[str, Any]:
    """One of the TOML tables shipped next to this module (``tags`` or ``words``)."""
    text = resources.files("commitwatch.triage").joinpath("tables").joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def by_type(table: dict[str, list[str]]) -> dict[str, ChangeType]:
    """``{"fix": ["bug", "bugfix"]}`` -> ``{"bug": T.FIX, "bugfix": T.FIX}``."""
    return {name: ChangeType(kind) for kind, names in table.items() for name in names}


def alternatives(words: Iterable[str]) -> str:
    return "|".join(words)


TAGS = load_table("tags")
WORDS = load_table("words")
