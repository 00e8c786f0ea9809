"""The one Jinja2 environment every renderer uses.

Templates live in ``render/templates`` and are named ``report.<fmt>.j2``. Autoescaping is decided by
the format part of the name: on for ``.html``/``.htm``/``.xml``/``.svg``/``.atom`` templates (and for
templates built from strings), off for Markdown and text, whose renderers escape in Python
(``render/escape.py``) before values reach the template. Undefined variables are errors.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined

_ESCAPED_FORMATS = (".html", ".htm", ".xml", ".svg", ".atom")


def autoescape_for(template_name: str | None) -> bool:
    """Whether a template is autoescaped: by its format (``report.html.j2`` → True, ``report.md.j2`` → False)."""
    if template_name is None:
        return True
    name = template_name.removesuffix(".j2")
    return name.endswith(_ESCAPED_FORMATS)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The shared environment (created once)."""
    return Environment(
        loader=PackageLoader("commitwatch.render", "templates"),
        autoescape=autoescape_for,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
