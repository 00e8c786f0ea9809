"""Published text never pings anyone.

GitHub turns ``@name`` and ``@org/team`` into mentions that notify, in issues, comments and pull
requests, wherever the ``@`` follows the start of the text or a character that is not a letter, digit
or ``_`` (so ``ada@example.com`` is no mention). ``neutralise_mentions`` puts a zero-width space after
every such ``@``: the text reads the same, GitHub sees no user name and notifies nobody. ``#123``
references are left alone.

Links to another repository's issues and pull requests in an *issue* body add a "mentioned this" event
to each of them; ``unlink_references`` sends them through ``redirect.github.com`` (as Dependabot does):
the link still opens the pull request, and the upstream timeline stays quiet.
"""

from __future__ import annotations

import re

ZWSP = "\u200b"
# "@" after the start or a non-word character, followed by what could start a user or team name
_MENTION = re.compile(r"(?<![A-Za-z0-9_])@(?=[A-Za-z0-9])")
_REFERENCE = re.compile(r"https://github\.com/(?=[A-Za-z0-9-]+/[A-Za-z0-9._-]+/(?:pull|issues|discussions)/\d)")


def neutralise_mentions(text: str) -> str:
    """``text`` with every would-be GitHub mention broken by a zero-width space after its ``@``."""
    return _MENTION.sub("@" + ZWSP, text)


def unlink_references(text: str) -> str:
    """Links to github.com issues, pull requests and discussions, through redirect.github.com."""
    return _REFERENCE.sub("https://redirect.github.com/", text)


def quiet(text: str) -> str:
    """Both: for issue and comment bodies."""
    return unlink_references(neutralise_mentions(text))
