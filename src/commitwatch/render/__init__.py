"""Renderers: every format is rendered from one ``ReportData``.

    from commitwatch.render import render_markdown, render_json
    md = render_markdown(report)        # GitHub-flavoured Markdown, labels in report.language
    js = render_json(report)            # the schema-versioned JSON contract

Both take an optional ``translator=`` (``commitwatch.i18n.Translator``) to use other catalogs.
``environment()`` is the shared Jinja2 environment for template-based formats (autoescape by template
extension: on for ``report.html.j2``, off for ``report.md.j2``).
"""

from __future__ import annotations

from commitwatch.render.environment import environment
from commitwatch.render.json import SCHEMA_VERSION, render_json, report_to_dict
from commitwatch.render.markdown import render_markdown

__all__ = ["SCHEMA_VERSION", "environment", "render_json", "render_markdown", "report_to_dict"]
