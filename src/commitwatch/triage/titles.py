"""What a commit's title (and body, labels and author) say: Conventional Commits prefixes, bracket tags,
title words, security words and advisory ids, dependency bumps, releases, breaking markers.

The word and tag tables live in ``tables/tags.toml`` and ``tables/words.toml`` (data, like the locale
catalogs, loaded by ``wordlists``); this module compiles them once, at import. Dependency, release and
version shapes are in ``versions`` (re-exported here).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from commitwatch.models import ChangeType

from .versions import (  # noqa: F401  (re-exported: the triage modules read them from here)
    CORE_DEPENDENCIES,
    LKG_RE,
    RELEASE_RE,
    TOOLCHAINS,
    dependency_named,
    evident_dependency,
    is_major_bump,
)
from .wordlists import TAGS as _TAGS
from .wordlists import WORDS as _WORDS
from .wordlists import alternatives as _alternatives
from .wordlists import by_type as _by_type

T = ChangeType

# Conventional Commits type tokens (any case) -> change type.
CONVENTIONAL_TYPES: dict[str, ChangeType] = _by_type(_TAGS["conventional"])
# Scopes that say more than the type ("chore(deps):", "fix(ci):").
SCOPE_TYPES: dict[str, ChangeType] = _by_type(_TAGS["scopes"])


@dataclass(frozen=True, slots=True)
class TagRule:
    """What a bracket tag (or a scope) means: a change type, an importance weight, or both."""

    type: ChangeType | None = None
    weight: int = 0
    breaking: bool = False


# Bracket tags, normalised (lower case, "-"/"_" as spaces), as vLLM, SGLang and others write them.
TAG_RULES: dict[str, TagRule] = {
    name: TagRule(
        ChangeType(rule["type"]) if "type" in rule else None, rule.get("weight", 0), rule.get("breaking", False)
    )
    for rule in _TAGS["tags"]
    for name in rule["names"]
}
# Types for tags that carry none of their own: "[Misc] ..." with no other type is a chore.
TAG_DEFAULT_TYPES: dict[str, ChangeType] = {tag: ChangeType(kind) for tag, kind in _TAGS["tag_default_types"].items()}
# When several tags carry types, the more specific wins ("[Misc][Bugfix]" is a fix).
TYPE_PRIORITY: tuple[ChangeType, ...] = tuple(ChangeType(kind) for kind in _TAGS["type_priority"])

# Verbs and nouns in the title -> type, for titles without an explicit type. The leftmost word in the
# title wins ("Add fix" is a feature), except that style nouns beat verbs ("fix lint" is style).
WORD_TYPES: tuple[tuple[ChangeType, str], ...] = tuple(
    (ChangeType(row["type"]), _alternatives(row["words"])) for row in _WORDS["title_words"]
)

# Style words are read by STYLE_RE (below), with the lint and format tools.
WORD_RE = re.compile(
    "|".join(rf"(?P<{kind.name}>\b(?:{pattern})\b)" for kind, pattern in WORD_TYPES if kind is not T.STYLE),
    re.IGNORECASE,
)


PERF_PHRASE_RE = re.compile(
    r"\b(?:reduc(?:e[sd]?|ing)\s+(?:\w+\s+){0,2}?(?:allocations?|contention|overhead|latency|memory(?: usage)?|copies|"
    r"copying|cpu usage|syscalls?|round[- ]trips?)"
    r"|avoid(?:s|ing)?\s+(?:\w+\s+)?(?:redundant|unnecessary|extra|repeated|needless|superfluous)"
    r"|avoid(?:s|ing)?\s+(?:[\w`]+\s+){1,5}?twice"
    r"|avoid(?:s|ing)?\s+(?:\w+\s+){0,2}?(?:allocat\w+|copy(?:ing)?|copies|bank conflicts|contention|recomput\w+|"
    r"reallocat\w+|locking)"
    r"|improv(?:e[sd]?|ing)\s+(?:[\w.`()]+\s+){0,4}?(?:performance|throughput|latency)"
    r"|(?:performance|throughput|latency)\s+(?:improvements?|optimi[sz]ations?)"
    r"|push(?:es|ed|ing)?\s+down\s+(?:\w+\s+)?(?:filters?|predicates?|projections?|limits?)"
    r"|(?:filter|predicate) pushdown"
    r"|fast(?:er)?[- ]paths?|fus(?:e|es|ing)\b|fused\s+(?:[\w+-]+\s+){0,4}kernels?|"
    r"speed(?:s|ing)?[ -]?up|faster|optimi[sz](?!ers?\b)\w*|"
    r"accelerat\w+|paralleli[sz]\w*|vectori[sz]\w*|zero[- ]copy|"
    r"(?<=add )(?:avx2|avx-?512\w*|sse[2-4]\w*|neon|sve2?|simd))\b",
    re.IGNORECASE,
)
# "kubelet: ...", "model : add ...", "Ruff formatter: ...", "KEP-4639: ...": an area, not a type.
SCOPE_PREFIX_RE = re.compile(r"^(?P<scope>[\w./@-]+(?:\[[\w -]{1,20}\])?(?:[ ,/][\w./@-]+)?)\s?:\s+")

TAGS_RE = re.compile(r"\s*\[([^\[\]]{1,40})\]\s*")
CODE_TYPES: dict[str, ChangeType] = _by_type(_TAGS["codes"])
CODE_PREFIX_RE = re.compile(
    rf"^(?P<code>{'|'.join(sorted(CODE_TYPES, key=len, reverse=True))})(?::\s*|\s+(?=[A-Z\w`]))"
)
GITMOJI_TYPES: dict[str, ChangeType] = _by_type(_TAGS["gitmoji"])
_GITMOJI_RE = re.compile(r"^(?P<emoji>[^\w\s\[(]{1,4})\ufe0f?\s*")
CONVENTIONAL_RE = re.compile(r"(?P<type>[A-Za-z]+)\s*(?:\((?P<scope>[^()]{0,60})\))?\s*(?P<bang>!)?\s*:\s*")
BODY_REVERT_RE = re.compile(r"^This reverts commit [0-9a-f]{7,40}", re.MULTILINE)
PR_SUFFIX_RE = re.compile(r"\s*\(#\d+\)\s*$")

SECURITY_PATTERNS: tuple[str, ...] = tuple(_WORDS["patterns"]["security"])
SECURITY_RE = re.compile(r"\b(?:" + "|".join(SECURITY_PATTERNS) + r")\b", re.IGNORECASE)

NARROWING_RE = re.compile(rf"\b(?:{_alternatives(_WORDS['patterns']['narrowing'])})\b", re.IGNORECASE)
MEMORY_SAFETY_RE = re.compile(rf"\b(?:{_alternatives(_WORDS['patterns']['memory_safety'])})\b", re.IGNORECASE)
SEVERE_RE = re.compile(rf"\b(?:{_alternatives(_WORDS['patterns']['severe'])})\b", re.IGNORECASE)
HARMFUL_RE = re.compile(rf"\b(?:{_alternatives(_WORDS['patterns']['harmful'])})\b", re.IGNORECASE)
HARMFUL_BODY_RE = re.compile(rf"\b(?:{_alternatives(_WORDS['patterns']['harmful_body'])})\b", re.IGNORECASE)
TRIVIAL_RE = re.compile(rf"\b(?:{_alternatives(_WORDS['patterns']['trivial'])})\b", re.IGNORECASE)

_P = _WORDS["patterns"]
# Lint/format tools, and the style words and tools read together ("fix lint", "Fix 1.95.0 Clippy").
TOOL_NAMES: tuple[str, ...] = tuple(_P["tools"])
_STYLE_WORDS = _alternatives([dict(WORD_TYPES)[T.STYLE], *TOOL_NAMES])
STYLE_RE = re.compile(
    rf"(?<![\w-])(?:{_STYLE_WORDS})(?![\w-])(?!\s+(?:{_alternatives(_P['style_products'])})\b)", re.IGNORECASE
)
# "Format the benchmark script", "Reformat ...": a style change when the title starts with it.
LEADING_FORMAT_RE = re.compile(r"^\W*(?:re)?format(?:s|ted|ting)?\b(?!\s+(?:strings?|specifiers?|options?)\b)", re.I)
SECURITY_VERB_RE = re.compile(rf"^\W*(?:{_alternatives(_P['security_verbs'])})\b", re.IGNORECASE)
SECURITY_CONTEXT_RE = re.compile(rf"\b(?:{_alternatives(_P['security_context'])})\b", re.IGNORECASE)
ATTACK_CONTEXT_RE = re.compile(rf"\b(?:{_alternatives(_P['attack_context'])})\b", re.IGNORECASE)
HARDENING_TOKEN_RE = re.compile(rf"(?:{_alternatives(_P['hardening_tokens'])})", re.IGNORECASE)
# Advisory ids, and advisory databases named without one; never part of a longer identifier.
ADVISORY_RE = re.compile(
    rf"(?<![\w/.-])(?:CVE-\d{{4}}-\d{{4,}}|GHSA(?:-[0-9a-z]{{4}}){{3}}|RUSTSEC-\d{{4}}-\d{{4}}|PYSEC-\d{{4}}-\d+"
    rf"|(?:{_alternatives(_P['advisory_names'])})s?)(?![\w/-])",
    re.IGNORECASE,
)
# In a body: advisory ids and database names only (PR templates mention "security" in passing).
BODY_ADVISORY_RE = re.compile(
    r"(?<![\w/.-])(?:CVE-\d{4}-\d{4,}|GHSA(?:-[0-9a-z]{4}){3}|RUSTSEC-\d{4}-\d{4}|PYSEC-\d{4}-\d+"
    r"|(?:CVE|GHSA|RUSTSEC|PYSEC)s?)(?![\w/-])"
)
# Advisory ids alone (a merge's body that names one is the advisory's fix).
ADVISORY_ID_RE = re.compile(
    r"(?<![\w/.-])(?:CVE-\d{4}-\d{4,}|GHSA(?:-[0-9a-z]{4}){3}|RUSTSEC-\d{4}-\d{4}|PYSEC-\d{4}-\d+)(?![\w-])",
    re.IGNORECASE,
)
# "Automated rollback of commit 3e1f2a4.", "Rollback of abc1234", "Backed out changeset 1a2b3c4d5e6f":
# a revert in the words of Google's and Mozilla's tools.
ROLLBACK_RE = re.compile(
    r"^(?:automated\s+)?(?:roll(?:ed)?[ -]?back|back(?:ed|s)?\s+out)\s+(?:of\s+)?(?:commit\s+|changeset\s+|change\s+)?"
    r"(?P<sha>[0-9a-f]{7,40})\b",
    re.IGNORECASE,
)
BREAKING_BODY_RE = re.compile(rf"\b(?:{_alternatives(_P['breaking_body'])})\b", re.IGNORECASE)

_I = _WORDS["interfaces"]
# The interface noun ends the object ("Remove the --foo flag from ...", not "Move sampling params validation").
_IFACE_END = r"(?=\s*$|\s*[,.;:()]|\s+(?:from|to|into|in|and|for|of|on|with|as|that|which|since|because|instead|now)\b)"
_IFACE_TOKENS = _alternatives(_I["tokens"])
_IFACE_NOUNS = _alternatives(_I["nouns"])
_IFACE_OBJECT = rf"(?:(?:{_IFACE_NOUNS})|(?:{_IFACE_TOKENS})(?:\s+(?:{_IFACE_NOUNS}))?){_IFACE_END}"
_IFACE_GAP = r"(?:\s+(?!(?:from|into|in|and|with)\b)[^\s]+){0,4}?\s+"
_BREAKING_VERBS = _alternatives(_I["breaking_verbs"])
# "Remove the --foo flag", "Rename VLLM_X to VLLM_Y", "Remove the deprecated `X`", "Rename `A::b` to ...",
# "Move --limit from the backend to the frontend": something users call or set goes away.
INTERFACE_BREAKING_RE = re.compile(
    rf"\b(?:(?:{_BREAKING_VERBS})\b{_IFACE_GAP}{_IFACE_OBJECT}"
    rf"|(?:{_BREAKING_VERBS})\s+(?:the\s+|all\s+)?(?:now[- ])?deprecated\b"
    rf"|(?:{_alternatives(_I['breaking_phrases'])})\b"
    rf"|renam(?:e[sd]?|ing)\s+(?:the\s+)?`[^`]+`"
    rf"|(?:{_alternatives(_I['moving_verbs'])})\b{_IFACE_GAP}(?:{_IFACE_TOKENS})(?:\s+(?:{_IFACE_NOUNS}))?{_IFACE_END})",
    re.IGNORECASE,
)
# "Change the default of X", "Use async scheduling by default", "Deprecate X": not breaking, still not a refactor.
INTERFACE_CHANGE_RE = re.compile(
    rf"\b(?:{_alternatives(_I['default_changes'])})\b|(?:{_alternatives(_I['deprecations'])})\b", re.IGNORECASE
)
# "Drop support for Python 3.8", "Remove the deprecated `X`": breaking, with less weight.
SOFT_BREAKING_RE = re.compile(rf"\b(?:{_alternatives(_I['soft_breaking'])})", re.IGNORECASE)
SOFT_DEPRECATED_RE = re.compile(rf"\b(?:{_alternatives(_I['soft_deprecated'])})\b", re.IGNORECASE)
# What users call or set, named in a title: a code span, a --flag or ENV_VAR, an interface noun.
INTERFACE_MENTION_RE = re.compile(rf"`[^`]+`|(?:{_IFACE_TOKENS})|\b(?:{_IFACE_NOUNS})\b", re.IGNORECASE)
DEFAULT_CHANGE_RE = re.compile(rf"\b(?:{_alternatives(_I['default_changes'])})\b", re.IGNORECASE)

_O = _WORDS["objects"]
_OBJECT_GAP = r"(?:(?!(?:for|to|in|of|on|with|support|and|from|when|if)\b)[\w./`'()-]+\s+){0,3}?"
DOCUMENT_RE = re.compile(r"^\W*(?P<DOCS>document(?:s|ed|ing)?)\b", re.IGNORECASE)  # "document the cancel safety"
OBJECT_RE = re.compile(
    rf"^\W*(?:{_alternatives(_O['verbs'])})\s+{_OBJECT_GAP}"
    rf"(?:(?P<DOCS>{_alternatives(_O['docs'])})|(?P<TEST>{_alternatives(_O['test'])})|(?P<CHORE>{_alternatives(_O['chore'])})"
    rf"|(?P<REFACTOR>{_alternatives(_O['refactor'])}))\b",
    re.IGNORECASE,
)

# Merges: a pull request's merge commit (typed by the PR title in its body) and syncs of other branches.
PR_MERGE_RE = re.compile(r"^(?:Merge (?:pull request|PR)|Auto merge of|Rollup merge of) #(?P<number>\d+)\b", re.I)
# "Merge bitcoin/bitcoin#31012: wallet: fix crash ...": the pull request's title is in the subject.
TITLED_PR_MERGE_RE = re.compile(r"^Merge [\w.-]+/[\w.-]+#(?P<number>\d+):\s+(?P<title>\S.*)$", re.I)
# bors: "Merge #135410 #135422" with "135410: sql: fix ... r=alice a=bob" lines in the body.
BORS_MERGE_RE = re.compile(r"^Merge #(?P<number>\d+)(?:\s+#\d+)*\s*$", re.I)
BORS_ENTRY_RE = re.compile(r"^(?P<number>\d+):\s+(?P<title>\S.*?)(?:\s+[ra]=\S+)*\s*$", re.M)
# "... from user/fix-ipv6-ports", "... from user:dnn/remove_halide": the pull request's branch.
PR_BRANCH_RE = re.compile(r"\bfrom [\w.-]+[/:](?P<branch>[\w./-]+)\s*$")
MERGE_REQUEST_RE = re.compile(r"^See merge request \S*!\d+", re.IGNORECASE | re.MULTILINE)
SYNC_UPSTREAM_RE = re.compile(
    r"^(?:sync(?:ed|ing|hronize\w*)?|updat\w+|pull(?:ed)?|merg\w+)\s+(?:\w+\s+)?(?:with|from)\s+(?:the\s+)?"
    r"(?:latest\s+)?(?:up|down)stream\b|^sync(?:ed|ing)?\s+(?:with\s+)?[\w./-]+\s*$"
    r"|^prepar\w*\s+for\s+(?:the\s+)?(?:merge|sync)\s+(?:from|with)\s",
    re.IGNORECASE,
)
# "Merge branch 'ps/reftable-perf'", "Merge tag 'net-6.8-rc5' of git://...", "Merge remote-tracking branch ...".
TOPIC_MERGE_RE = re.compile(
    r"^Merge (?:remote-tracking )?(?:branch|tag|tags|branches) '(?P<name>[^']{1,200})'(?: of (?P<source>\S+))?"
    r"(?: into (?P<into>\S+))?",
    re.IGNORECASE,
)
# Branches whose merge carries everyone's work: a sync, not a topic.
MAINLINE_BRANCH_RE = re.compile(
    r"^(?:[\w.-]+/)?(?:main|master|develop|devel|dev|trunk|next|stable|staging|upstream|HEAD|"
    r"release[\w./-]*|v?\d[\w.-]*|for-linus|for-next|linux-[\w.-]+)$",
    re.IGNORECASE,
)
SUBTREE_RE = re.compile(r"^(?:Squashed '[^']+' changes from|Merge commit '[0-9a-f]+' as '|git subtree)", re.I)

BREAKING_TITLE_RE = re.compile(r"(?<!non-)(?<!no )(?<!not a )(?<!without )\bbreaking[ -]changes?\b", re.I)
BREAKING_FOOTER_RE = re.compile(r"^\s*BREAKING[ -]CHANGES?\s*:\s*(?!none\b|n/?a\b|no\b)\S", re.I | re.M)
BREAKING_CHECKBOX_RE = re.compile(r"^\s*[-*]\s*\[[xX]\]\s*breaking", re.I | re.M)

BOT_AUTHORS: tuple[str, ...] = tuple(_WORDS["names"]["bot_authors"])
DEPENDENCY_BOTS: tuple[str, ...] = tuple(_WORDS["names"]["dependency_bots"])

# PR labels (lower case; "type: bug" and "kind/bug" are read as "bug").
LABEL_TYPES: dict[str, ChangeType] = _by_type(_TAGS["labels"]["types"])
BREAKING_LABELS = frozenset(_TAGS["labels"]["breaking"])
RAISING_LABELS = frozenset(_TAGS["labels"]["raising"])
LOWERING_LABELS = frozenset(_TAGS["labels"]["lowering"])


# --- title parsing -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Title:
    """What the subject line says, with its prefixes taken apart."""

    text: str  # the rest of the subject after tags and the Conventional Commits prefix
    tags: list[str] = field(default_factory=list)  # as written, without brackets
    prefix: str = ""  # "feat(mocker)!" as written
    conventional: ChangeType | None = None
    scope: str = ""
    bang: bool = False
    reverted: str | None = None  # the subject a revert names
    relanded: str | None = None  # the subject a reland names


REVERT_PREFIX_RE = re.compile(r"""^revert(?:s|ed)?(?=[\s:("'“!]|$)[\s:!]*(?:\([^()]*\)[\s:!]*)?""", re.I)
RELAND_PREFIX_RE = re.compile(r"""^(?:reland|reapply|re-land|re-apply)(?=[\s:"'“])[\s:]*""", re.I)
_QUOTES = "\"'“”‘’"
# "Fixed #35071 -- Added ...", "Refs #123 -- Moved ...", "Fixes #88: crash when ...": a ticket reference
# before the real title (Django, Trac-style projects); the text after it says what the change is.
TICKET_PREFIX_RE = re.compile(
    r"^(?:fix(?:e[sd])?|refs?|close[sd]?|resolve[sd]?|see)\s+#\d+(?:\s*,\s*#\d+)*\s*(?:--|—|–|:|-)\s+(?=\S)", re.I
)


def normalise_tag(tag: str) -> str:
    return " ".join(tag.lower().replace("_", " ").replace("-", " ").split())


def _take_tags(text: str, tags: list[str]) -> str:
    while match := TAGS_RE.match(text):
        tags.append(match.group(1).strip())
        text = text[match.end() :]
    return text


def parse_title(subject: str, depth: int = 0) -> Title:
    text = PR_SUFFIX_RE.sub("", subject.strip())
    if depth < 3:
        for pattern, attribute in ((REVERT_PREFIX_RE, "reverted"), (RELAND_PREFIX_RE, "relanded")):
            if match := pattern.match(text):
                named = PR_SUFFIX_RE.sub("", text[match.end() :].strip(_QUOTES + " "))
                inner = parse_title(named, depth + 1)
                setattr(inner, attribute, named or text)
                return inner
    parsed = Title(text="")
    text = TICKET_PREFIX_RE.sub("", text, count=1)
    if (emoji := _GITMOJI_RE.match(text)) and (kind := GITMOJI_TYPES.get(emoji.group("emoji").replace("\ufe0f", ""))):
        parsed.conventional, parsed.prefix = kind, emoji.group("emoji")  # "🐛 Fix ...", "🔖 Release 0.110.1"
        text = text[emoji.end() :]
    elif emoji is not None and all(ord(ch) > 127 for ch in emoji.group("emoji")):
        text = text[emoji.end() :]  # an emoji we do not know says nothing
    text = _take_tags(text, parsed.tags)
    if parsed.conventional is None and (code := CODE_PREFIX_RE.match(text)):
        parsed.conventional, parsed.prefix = CODE_TYPES[code.group("code")], code.group("code")
        text = text[code.end() :]
    match = CONVENTIONAL_RE.match(text) if parsed.conventional is None else None
    if match and match.group("type").lower() in CONVENTIONAL_TYPES:
        parsed.conventional = CONVENTIONAL_TYPES[match.group("type").lower()]
        parsed.scope = (match.group("scope") or "").strip()
        parsed.bang = bool(match.group("bang")) or match.group("type").lower() == "breaking"  # "breaking: ..."
        parsed.prefix = text[: match.end()].rstrip().rstrip(":").rstrip()
        text = _take_tags(text[match.end() :], parsed.tags)  # "fix: [Bugfix] ..." happens too
    elif (prefix := SCOPE_PREFIX_RE.match(text)) and (
        parsed.conventional is not None or not WORD_RE.search(prefix.group("scope"))
    ):  # after "MAINT:" or a gitmoji, "optimize: ..." is an area whatever its word
        parsed.scope = prefix.group("scope")
        text = _take_tags(text[prefix.end() :], parsed.tags)
        if (nested := SCOPE_PREFIX_RE.match(text)) and not WORD_RE.search(nested.group("scope")):
            parsed.scope = f"{parsed.scope}/{nested.group('scope')}"  # "api: swagger: fix ...": a nested area
            text = text[nested.end() :]
    if not parsed.scope:  # an unknown tag ("[ty]", "[uv-resolver]") names a part of the project
        parsed.scope = next((tag for tag in parsed.tags if normalise_tag(tag) not in TAG_RULES), "")
    parsed.text = text
    return parsed


_CODE_SPAN_RE = re.compile(r"`[^`]*`")


def word_text(text: str, project: str) -> str:
    """A title's text as the type and security words read it: code spans and any word that contains the
    project's own name ("ruff", "uv-security", "ty_python_semantic") left out."""
    text = _CODE_SPAN_RE.sub(" ", text)
    if project:
        name = re.escape(project)
        text = re.sub(rf"(?<![\w.-])[\w.-]*(?<![A-Za-z]){name}(?![A-Za-z])[\w.-]*", " ", text, flags=re.IGNORECASE)
    return " ".join(text.split())


def project_name(repo_name: str) -> str:
    """The project's own name from a repository name: "astral-sh/ruff" -> "ruff"; "" for none."""
    name = repo_name.strip().rstrip("/").rsplit("/", 1)[-1].lower()
    return name[:-4] if name.endswith(".git") else name


def label_key(label: str) -> tuple[str, str]:
    full = " ".join(label.strip().lower().split())
    return full, re.split(r"[:/]\s*", full)[-1].strip()


def bot_kind(name: str, email: str) -> tuple[bool, bool]:
    """(is a bot, is a dependency bot)."""
    who = f"{name} {email}".lower()
    dependency_bot = any(bot in who for bot in DEPENDENCY_BOTS)
    return dependency_bot or "[bot]" in who or any(bot in who for bot in BOT_AUTHORS), dependency_bot


def tag_type(tags: Iterable[str]) -> tuple[ChangeType | None, str]:
    """The type the tags name (the most specific one) and the tag that named it."""
    found: dict[ChangeType, str] = {}
    for tag in tags:
        rule = TAG_RULES.get(normalise_tag(tag))
        if rule is not None and rule.type is not None:
            found.setdefault(rule.type, tag)
    for kind in TYPE_PRIORITY:
        if kind in found:
            return kind, found[kind]
    return None, ""
