"""Secret redaction: nothing that looks like a credential leaves the machine; code stays readable."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commitwatch.analysis.redact import redact

GHP = "ghp_" + "Zx9" * 12
PAT = "github_pat_11ABCDEFG0" + "abcdefghij" * 6
AWS = "AKIAIOSFODNN7EXAMPLE"
OPENAI = "sk-proj-" + "Ab1" * 15
SLACK = "https://hooks.slack.com/services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX"
KEY_BLOCK = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabcdef==\n-----END RSA PRIVATE KEY-----"


@pytest.mark.parametrize(
    ("text", "secret", "kind"),
    [
        (f"token: {GHP}", GHP, "github-token"),
        (f"GH_TOKEN={PAT}", PAT, "github-token"),
        ("gho_" + "a" * 36, "gho_" + "a" * 36, "github-token"),
        ("ghs_" + "b" * 36, "ghs_" + "b" * 36, "github-token"),
        (f"aws_access_key_id = {AWS}", AWS, "aws-access-key"),
        (f"client = OpenAI(api_key='{OPENAI}')", OPENAI, "openai-key"),
        (f"webhook: {SLACK}", SLACK, "slack-webhook"),
        (f"key:\n{KEY_BLOCK}\nafter", "MIIEowIBAAKCAQEA7", "private-key"),
        ('DB_PASSWORD="s3cr3t-value"', "s3cr3t-value", "password"),
        ("password=hunter2", "hunter2", "password"),
        ("client_secret: 'abcd1234efgh'", "abcd1234efgh", "secret"),
        ("Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345", "abcdefghijklmnopqrstuvwxyz012345", "bearer-token"),
    ],
)
def test_known_secret_shapes_are_replaced_with_a_marker_naming_the_kind(text, secret, kind):
    result = redact(text)
    assert secret not in result.text
    assert f"[REDACTED:{kind}]" in result.text
    assert result.found[kind] >= 1


def test_a_private_key_block_in_a_diff_is_removed_whole_and_the_rest_kept():
    diff = "+config:\n" + "\n".join("+" + line for line in KEY_BLOCK.splitlines()) + "\n+done: true\n"
    result = redact(diff)
    assert "MIIE" not in result.text and "abcdef==" not in result.text
    assert result.text.startswith("+config:\n+[REDACTED:private-key]")
    assert result.text.endswith("+done: true\n")


def test_a_truncated_private_key_block_is_removed_to_the_end():
    result = redact("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA")
    assert result.text == "[REDACTED:private-key]"


@pytest.mark.parametrize(
    "code",
    [
        "client = Client(api_key=api_key)",
        "password = get_password()",
        "self.password = password",
        'secret: "${{ secrets.DEPLOY_KEY }}"',
        'password: "changeme"',
        "password = None",
        "token_count = len(tokens)",
        "def check(password: str) -> bool:",
    ],
)
def test_code_and_placeholders_are_not_redacted(code):
    result = redact(code)
    assert result.text == code
    assert result.count == 0


def test_the_key_name_of_an_assignment_stays_visible():
    assert redact('db_password = "correct horse"').text == 'db_password = "[REDACTED:password]"'


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", min_size=36, max_size=60),
       st.text(max_size=40), st.text(max_size=40))
def test_a_github_token_never_survives_whatever_surrounds_it(body, before, after):
    token = "ghp_" + body
    result = redact(f"{before} {token} {after}")
    assert token not in result.text


def test_redaction_is_idempotent():
    once = redact(f"a {GHP} b password='xyz12345'").text
    assert redact(once).text == once
