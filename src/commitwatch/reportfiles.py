"""Report files: ``<output_dir>/<YYYY>/<repo-slug>/<stem>.<ext>``, rendered from one ``ReportData`` and
written atomically (temp file + rename), so a reader or a crash never sees half a file."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import OutputError
from .models import RepoRef, ReportData, Window
from .render.html import render_html
from .render.json import render_json
from .render.markdown import render_markdown
from .window import zone

if TYPE_CHECKING:
    from .storage import Store

RENDERERS: dict[str, Callable[[ReportData], str]] = {"md": render_markdown, "html": render_html, "json": render_json}


def report_stem(window: Window) -> str:
    """File name (without extension) for a window: the day, or the range in the report's zone."""
    if window.day is not None:
        return window.day.isoformat()
    start = window.start.astimezone(zone(window.tz))
    end = window.end.astimezone(zone(window.tz))
    # seconds only when a bound has them (--since-last-run windows end "now"): two such runs in one
    # minute must not write the same file
    fmt = "%Y-%m-%dT%H%M%S" if start.second or end.second else "%Y-%m-%dT%H%M"
    return f"{start.strftime(fmt)}--{end.strftime(fmt)}"


def report_paths(
    output_dir: Path, ref: RepoRef, window: Window, formats: list[str], stem: str | None = None
) -> list[Path]:
    """``<output_dir>/<YYYY>/<repo-slug>/<stem>.<ext>`` for each format; ``stem`` defaults to the day
    (``report_stem``); weekly digests pass their ISO week."""
    year = (window.day or window.start.astimezone(zone(window.tz)).date()).year
    folder = output_dir / f"{year:04d}" / ref.slug
    stem = stem or report_stem(window)
    return [folder / f"{stem}.{fmt}" for fmt in formats]


def write_report(
    report: ReportData, output_dir: Path, formats: list[str], stem: str | None = None, store: Store | None = None
) -> list[Path]:
    """Render every format and write each file atomically (temp file + rename).

    ``atom`` is not a file of this report: with a ``store`` it refreshes the Atom feeds (``feed.xml`` and
    ``repos/<slug>/feed.xml``) over the stored reports (``write_feeds``); without one it writes nothing."""
    paths = report_paths(output_dir, report.repo, report.window, [f for f in formats if f in RENDERERS], stem)
    rendered = [(path, RENDERERS[path.suffix[1:]](report)) for path in paths]
    for path, text in rendered:
        write_atomic(path, text)
    if "atom" in formats and store is not None:
        paths += write_feeds(output_dir, report.language, store)
    return paths


def write_feeds(output_dir: Path, language: str, store: Store) -> list[Path]:
    """``--format atom``: the Atom feeds over every stored report of ``language`` (``site.write_feeds``)."""
    from .site import write_feeds as write_site_feeds

    return write_site_feeds(store, output_dir, language=language)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename. Files and folders get the
    user's umask, like any file a program writes (0644 and 0755 under umask 022): a web server or a
    teammate reading a cron job's reports must be able to open them."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _create_temporary(path)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as e:
        raise OutputError(
            f"cannot write {path}: {e.strerror or e}",
            hint="Check that --output-dir is writable and its disk has space; the analyses are kept in the store, "
            "so a rerun only writes the files.",
        ) from e


def _create_temporary(path: Path) -> tuple[int, str]:
    """A new file beside ``path``, created with mode 0666 minus the umask (``mkstemp`` would make it
    0600, and the rename keeps the mode)."""
    for _ in range(100):
        tmp = str(path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp"))
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")
