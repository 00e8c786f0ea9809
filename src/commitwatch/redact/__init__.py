"""Secret redaction: one module for every byte that leaves the machine and every output.

Applied once to each commit right after git reads it (``redact_commit``: subject, body, author, every
file name, old path and patch), so the store, the prompts and every report see redacted text; to pull
request text (``redact_pull``) and to anything else that is published (``redact``). Configuration
secrets are scrubbed from warnings, logs and the store: ``safe_url`` drops a URL's credentials and
``remember_secret`` registers a value (the LLM API key) that ``redact`` then replaces wherever it shows up.

Each secret becomes a marker that names what was removed (``[REDACTED:github-token]``), so the model and
the reader still see that something was there. Assignments keep their key name (``password =
"[REDACTED:password]"``), URLs keep their user and host (``postgres://app:[REDACTED:url-password]@db``).
A marker is made of characters that are legal in a path, so a redacted file name still groups under its
directory and still links.

The patterns cover well-known token formats (named after the gitleaks rule they follow), private keys
with or without their BEGIN line, credentials in URLs and ``Authorization`` headers, and assignments of
secret-named keys (``KEY=value``, ``key: 'value'``, ``--password value``, ``aws configure set
aws_secret_access_key value``), where a value counts as a secret unless it is a placeholder, a template
reference (``${VAR}``, ``{{ secrets.X }}``, ``%(name)s``) or code (``get_password()``, ``self.token``).
docs/security.md explains the choice of a kept pattern table over a third-party scanner.
"""

from .objects import (
    CommitRedaction,
    redact_commit,
    redact_commits,
    redact_data,
    redact_path,
    redact_pull,
    redact_pull_text,
    redact_report,
    redaction_warning,
    sanitize,
)
from .text import MARKER, Redaction, entropy, known_secrets, redact, redact_text, remember_secret, safe_url

__all__ = [
    "MARKER",
    "CommitRedaction",
    "Redaction",
    "entropy",
    "known_secrets",
    "redact",
    "redact_commit",
    "redact_commits",
    "redact_data",
    "redact_path",
    "redact_pull",
    "redact_pull_text",
    "redact_report",
    "redact_text",
    "redaction_warning",
    "remember_secret",
    "safe_url",
    "sanitize",
]
