"""Where commits come from: git repositories (local or mirrored), read through the git CLI."""

from commitwatch.sources.git import Repository, missing_objects_warning, open_repository, undated_warning
from commitwatch.sources.logparse import PatchLimits
from commitwatch.sources.mirror import mirror_path
from commitwatch.sources.repospec import resolve_repo, slugify
from commitwatch.sources.runner import DEFAULT_ALLOWED_PROTOCOLS

__all__ = [
    "DEFAULT_ALLOWED_PROTOCOLS",
    "PatchLimits",
    "Repository",
    "mirror_path",
    "missing_objects_warning",
    "open_repository",
    "resolve_repo",
    "slugify",
    "undated_warning",
]
