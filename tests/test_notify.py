"""Notifications over real HTTP to local receivers: apprise's json:// and jsons://, our DingTalk, WeCom,
Feishu and Slack senders (apprise's plugins for those have a fixed host, see docs/notifications.md),
limits per service, sent once, failures recorded and retried, secrets never printed or stored."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import pytest

from commitwatch.config import load_settings
from commitwatch.deliver.message import DigestOptions, build_digest
from commitwatch.deliver.notify import notify_reports, redact, target_id, url_secrets
from commitwatch.deliver.split import measure
from commitwatch.i18n import translator
from commitwatch.models import Analysis, ChangeType, Importance, Reason
from commitwatch.storage import Store, report_key
from tests.fakes.webhook_server import Answer, WebhookServer
from tests.reportdata import commit, entry, llm_report, tricky_report

DING_TOKEN = "d1n6t0k3nabcdef0123456789"
WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
LINK = re.compile(r"\[(?:\\.|[^\\\]\n])*\]\((?:\\.|[^\\()\n\s])*\)")


def settings_for(tmp_path: Path, targets: list[dict], **notify):
    return load_settings(environ={}, overrides={
        "output_dir": tmp_path / "out", "db": tmp_path / "store.db",
        "notify": {"targets": targets, "retries": 2, "retry_backoff": 0.0, "timeout": 5.0, **notify},
    })


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "store.db") as s:
        yield s


@pytest.fixture
def hook():
    with WebhookServer() as server:
        yield server


def no_sleep(_seconds: float) -> None:
    pass


def big_chinese_report(size: int = 60_000):
    """A report whose digest is over ``size`` bytes of Chinese text, with a link on every line."""
    base = llm_report("zh-CN")
    template = base.entries[0]
    entries = []
    i = 0
    while sum(len(e.analysis.summary[0].encode()) + 200 for e in entries) < size:
        sha = hashlib.sha1(str(i).encode()).hexdigest()
        commit = replace(template.commit, sha=sha, subject=f"修复：第 {i} 个调度器竞争条件 (#{1000 + i})")
        analysis = Analysis(change_type=template.change_type, importance=Importance.HIGH,
                            summary=[f"第 {i} 项：修正了在高并发下 KV 缓存回收与调度器之间的竞争条件，避免请求卡死。"])
        entries.append(replace(template, commit=commit, importance=Importance.HIGH, analysis=analysis))
        i += 1
    return replace(base, entries=entries, highlights=["今日要点：大量并发修复。"] * 5)


# --- apprise targets ---------------------------------------------------------------------------------------


def test_apprise_json_webhook_on_localhost_receives_the_digest(tmp_path, store, hook):
    settings = settings_for(tmp_path, [{"url": f"json://{hook.netloc}/hook"}],
                            report_base_url="https://reports.example.com/r")
    report = llm_report("zh-CN")
    outcome = notify_reports(settings, store, [report], environ={}, sleep=no_sleep)
    assert outcome.failed == [] and len(outcome.sent) == 1
    [body] = hook.bodies()
    assert hook.received[0].path == "/hook"
    assert body["title"] == "commitwatch 每日摘要（2026-02-07）"
    message = body["message"]
    assert "ai-dynamo/dynamo" in message and "🔴 高 2" in message
    assert "https://reports.example.com/r/2026/ai-dynamo-dynamo/2026-02-07.md" in message
    assert "https://github.com/ai-dynamo/dynamo/commit/" in message
    assert store.was_delivered(outcome.sent[0], report_key(report))


def test_apprise_jsons_webhook_over_tls_on_localhost(tmp_path, store):
    with WebhookServer(tls=True) as secure:
        settings = settings_for(tmp_path, [{"url": f"jsons://{secure.netloc}/secure?verify=no", "format": "text"}])
        outcome = notify_reports(settings, store, [llm_report("en")], environ={}, sleep=no_sleep)
        assert outcome.failed == []
        [body] = secure.bodies()
        assert body["title"] == "commitwatch daily digest (2026-02-07)"
        assert "2 commits" not in body["message"] or "High" in body["message"]
        assert "**" not in body["message"]  # text format: no Markdown


def test_apprise_target_that_fails_is_recorded_and_retried(tmp_path, store, hook):
    hook.script(Answer(500), Answer(500), Answer(500))
    settings = settings_for(tmp_path, [{"url": f"json://{hook.netloc}/hook"}])
    report = llm_report("zh-CN")
    first = notify_reports(settings, store, [report], environ={}, sleep=no_sleep)
    assert len(first.failed) == 1 and len(hook.received) == 3  # one try and two retries
    [row] = [r for r in store.deliveries(report_key(report))]
    assert row.status == "failed"
    second = notify_reports(settings, store, [report], environ={}, sleep=no_sleep)
    assert second.failed == [] and len(hook.bodies()) == 1


# --- native senders -----------------------------------------------------------------------------------------


def test_dingtalk_markdown_with_signature_reaches_the_local_endpoint(tmp_path, store, hook):
    secret = "SEC0123456789abcdef0123456789abcdef"
    url = f"dingtalk://{secret}@{DING_TOKEN}/"
    settings = settings_for(tmp_path, [{"url": url, "api_url": hook.url("/robot/send")}])
    notify_reports(settings, store, [llm_report("zh-CN")], environ={}, sleep=no_sleep)
    [request] = hook.received
    assert request.path == "/robot/send"
    assert request.query["access_token"] == [DING_TOKEN]
    timestamp, sign = request.query["timestamp"][0], request.query["sign"][0]
    expected = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    assert base64.b64decode(sign) == expected
    body = request.json
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == "commitwatch 每日摘要（2026-02-07）"
    assert body["markdown"]["text"].startswith("## commitwatch 每日摘要")
    assert "\\u" not in request.body.decode("utf-8")  # UTF-8 as is: \uXXXX would double Chinese text


def test_dingtalk_refusal_in_an_http_200_body_is_a_failure_without_retry(tmp_path, store, hook):
    hook.default = Answer.json({"errcode": 310000, "errmsg": "keywords not in content"})
    settings = settings_for(tmp_path, [{"url": f"dingtalk://{DING_TOKEN}/", "api_url": hook.url("/robot/send")}])
    outcome = notify_reports(settings, store, [llm_report("zh-CN")], environ={}, sleep=no_sleep)
    assert len(hook.received) == 1
    [(_target, detail)] = outcome.failed
    assert "310000" in detail and "keywords not in content" in detail


def test_wecom_markdown_and_text(tmp_path, store, hook):
    settings = settings_for(tmp_path, [
        {"url": f"wecombot://{WECOM_KEY}", "api_url": hook.url("/cgi-bin/webhook/send")},
        {"url": f"wecombot://{WECOM_KEY}?x=1", "api_url": hook.url("/cgi-bin/webhook/send"), "format": "text"},
    ])
    notify_reports(settings, store, [llm_report("zh-CN")], environ={}, sleep=no_sleep)
    markdown, text = hook.received
    assert markdown.query["key"] == [WECOM_KEY]
    assert markdown.json["msgtype"] == "markdown" and "### ai-dynamo/dynamo" in markdown.json["markdown"]["content"]
    assert text.json["msgtype"] == "text" and "###" not in text.json["text"]["content"]


def test_slack_webhook_gets_mrkdwn_sections(tmp_path, store, hook):
    hook.default = Answer.text("ok")
    url = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"
    settings = settings_for(tmp_path, [{"url": url, "api_url": hook.url("/services")}])
    outcome = notify_reports(settings, store, [tricky_report("zh-CN")], environ={}, sleep=no_sleep)
    assert outcome.failed == []
    [request] = hook.received
    assert request.path == "/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"
    blocks = request.json["blocks"]
    assert blocks and all(b["type"] == "section" and len(b["text"]["text"]) <= 3000 for b in blocks)
    text = "\n".join(b["text"]["text"] for b in blocks)
    assert "<https://github.com/ai-dynamo/dynamo/commit/" in text
    assert "<b>" not in text and "&lt;b&gt;" in text  # commit text cannot open Slack markup


def test_feishu_card(tmp_path, store, hook):
    hook.default = Answer.json({"code": 0, "msg": "success"})
    settings = settings_for(tmp_path, [{"url": "feishu://abcdef1234567890", "api_url": hook.url("/hook")}])
    notify_reports(settings, store, [llm_report("zh-CN")], environ={}, sleep=no_sleep)
    [request] = hook.received
    assert request.path == "/hook/abcdef1234567890"
    assert request.json["msg_type"] == "interactive"
    assert request.json["card"]["elements"][0]["text"]["tag"] == "lark_md"


# --- limits ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "api", "fmt", "limit", "content"), [
    (f"wecombot://{WECOM_KEY}", "/send", "markdown", 4096, lambda b: b["markdown"]["content"]),
    (f"wecombot://{WECOM_KEY}", "/send", "text", 2048, lambda b: b["text"]["content"]),
    (f"dingtalk://{DING_TOKEN}/", "/robot/send", "markdown", 20_000, lambda b: b["markdown"]["text"]),
    (f"dingtalk://{DING_TOKEN}/", "/robot/send", "text", 20_000, lambda b: b["text"]["content"]),
])
def test_a_60kb_chinese_digest_splits_into_valid_parts(tmp_path, store, hook, url, api, fmt, limit, content):
    report = big_chinese_report()
    digest = build_digest([report], DigestOptions(max_items=1000)).render("markdown")
    assert len(digest.encode()) > 60_000
    settings = settings_for(tmp_path, [{"url": url, "api_url": hook.url(api), "format": fmt, "max_items": 200}])
    outcome = notify_reports(settings, store, [report], environ={}, sleep=no_sleep)
    assert outcome.failed == []
    parts = [content(r.json) for r in hook.received]
    assert len(parts) > 1
    for index, (request, part) in enumerate(zip(hook.received, parts, strict=True), 1):
        request.body.decode("utf-8")  # strict: raises on a broken sequence
        assert measure(part, "bytes") <= limit
        if "dingtalk" in url:
            assert len(request.body) <= limit  # DingTalk's limit holds for the whole request body
        assert part.startswith(f"({index}/{len(parts)})\n")
    for e in report.entries[:200]:  # every listed commit's link whole, in exactly one part
        url = report.repo.commit_url(e.commit.sha)
        assert sum(part.count(url) for part in parts) == 1
    if fmt == "markdown":
        links = [link for part in parts for link in LINK.findall(part)]
        assert len([link for link in links if "/commit/" in link]) == min(200, len(report.entries))


def test_a_digest_of_more_parts_than_a_robot_takes_per_minute_is_paced(tmp_path, store, hook):
    report = big_chinese_report()
    settings = settings_for(tmp_path, [{"url": f"wecombot://{WECOM_KEY}", "api_url": hook.url("/send"),
                                        "format": "text", "max_items": 200}])
    waits: list[float] = []
    notify_reports(settings, store, [report], environ={}, sleep=waits.append)
    assert len(hook.received) > 20
    assert waits == [3.0] * (len(hook.received) - 1)  # 20 a minute: one part every 3 seconds
    waits.clear()
    small = settings_for(tmp_path, [{"url": f"wecombot://{WECOM_KEY}?x=2", "api_url": hook.url("/send")}])
    notify_reports(small, store, [llm_report("zh-CN")], environ={}, sleep=waits.append)
    assert waits == []


def test_telegram_limit_is_counted_in_utf16_units():
    from commitwatch.deliver.notify import LIMITS

    assert LIMITS["tgram"][0] == "utf16" and LIMITS["tgram"][1]["markdown"] == 4096


# --- sent once; failures --------------------------------------------------------------------------------------


def test_a_rerun_posts_nothing_and_force_posts_again(tmp_path, store, hook):
    settings = settings_for(tmp_path, [{"url": f"json://{hook.netloc}/hook"}])
    report = llm_report("zh-CN")
    notify_reports(settings, store, [report], environ={}, sleep=no_sleep)
    again = notify_reports(settings, store, [report], environ={}, sleep=no_sleep)
    assert len(hook.received) == 1 and again.skipped and not again.sent
    notify_reports(settings, store, [report], environ={}, sleep=no_sleep, force=True)
    assert len(hook.received) == 2


def test_a_failed_part_is_resumed_without_resending_earlier_parts(tmp_path, store, hook):
    report = big_chinese_report(20_000)
    settings = settings_for(tmp_path, [{"url": f"wecombot://{WECOM_KEY}", "api_url": hook.url("/send"),
                                        "format": "text", "max_items": 200}], retries=0)
    hook.script(Answer(), Answer(), Answer(500))  # parts 1 and 2 arrive, part 3 fails
    first = notify_reports(settings, store, [report], environ={}, sleep=no_sleep)
    assert len(first.failed) == 1 and "part 3/" in first.failed[0][1]
    total = int(re.match(r"\((\d+)/(\d+)\)", hook.received[0].json["text"]["content"]).group(2))
    second = notify_reports(settings, store, [report], environ={}, sleep=no_sleep)
    assert second.failed == []
    labels = [r.json["text"]["content"].split("\n", 1)[0] for r in hook.received if r.status == 200]
    assert labels == [f"({i}/{total})" for i in range(1, total + 1)]  # each part arrived exactly once


def test_retries_back_off_and_honour_retry_after(tmp_path, store, hook):
    hook.script(Answer(503, headers={"Retry-After": "7"}), Answer(500))
    waits: list[float] = []
    settings = settings_for(tmp_path, [{"url": f"dingtalk://{DING_TOKEN}/", "api_url": hook.url("/s")}],
                            retry_backoff=1.5, retries=3)
    outcome = notify_reports(settings, store, [llm_report("zh-CN")], environ={}, sleep=waits.append)
    assert outcome.failed == [] and len(hook.received) == 3
    assert waits == [7.0, 3.0]  # Retry-After, then the doubled backoff


def test_a_429_with_an_http_date_retry_after_waits_until_that_date(tmp_path, store, hook):
    from email.utils import formatdate

    hook.script(Answer(429, headers={"Retry-After": formatdate(time.time() + 20, usegmt=True)}),
                Answer(429, headers={"Retry-After": "nan"}))
    waits: list[float] = []
    settings = settings_for(tmp_path, [{"url": f"dingtalk://{DING_TOKEN}/", "api_url": hook.url("/s")}],
                            retry_backoff=1.5, retries=3)
    outcome = notify_reports(settings, store, [llm_report("zh-CN")], environ={}, sleep=waits.append)
    assert outcome.failed == [] and [r.status for r in hook.received] == [429, 429, 200]
    assert 15 < waits[0] <= 20  # the date, not the 1.5 s backoff
    assert waits[1] == 3.0  # an unreadable Retry-After ("nan") falls back to the doubled backoff


def test_a_retry_after_beyond_max_retry_wait_gives_up_at_once(tmp_path, store, hook):
    hook.default = Answer(429, headers={"Retry-After": "3600"})
    waits: list[float] = []
    settings = settings_for(tmp_path, [{"url": f"wecombot://{WECOM_KEY}/", "api_url": hook.url("/s")}],
                            retries=3, max_retry_wait=60.0)
    outcome = notify_reports(settings, store, [llm_report("zh-CN")], environ={}, sleep=waits.append)
    assert len(hook.received) == 1 and waits == []  # posting again within the hour would be refused again
    [(_, detail)] = outcome.failed
    assert "HTTP 429" in detail and "3600 s, more than max_retry_wait" in detail


def test_a_receiver_that_is_down_is_a_recorded_failure(tmp_path, store):
    with WebhookServer() as gone:
        netloc = gone.netloc
    settings = settings_for(tmp_path, [{"url": f"dingtalk://{DING_TOKEN}/", "api_url": f"http://{netloc}/s"}],
                            retries=1)
    outcome = notify_reports(settings, store, [llm_report("zh-CN")], environ={}, sleep=no_sleep)
    assert len(outcome.failed) == 1
    assert "ConnectionError" in outcome.failed[0][1]


# --- filters and content -----------------------------------------------------------------------------------------


def test_importance_and_repository_filters(tmp_path, store, hook):
    high_only = {"url": f"json://{hook.netloc}/high", "importance": ["high"], "repos": ["ai-dynamo/dynamo"]}
    other_repo = {"url": f"json://{hook.netloc}/other", "repos": ["vllm-project/vllm"]}
    medium = {"url": f"json://{hook.netloc}/medium", "importance": ["medium"], "max_items": 1}
    settings = settings_for(tmp_path, [high_only, other_repo, medium])
    report = llm_report("zh-CN")
    no_high = replace(report, entries=[e for e in report.entries if e.importance is not Importance.HIGH])
    outcome = notify_reports(settings, store, [no_high], environ={}, sleep=no_sleep)
    assert [r.path for r in hook.received] == ["/medium"]  # nothing high, nothing of vllm
    assert {why for _, why in outcome.skipped} == {"no commit of the selected importance", "no report for this target"}
    message = hook.received[0].json["message"]
    assert "🟡 中重要性（2）" in message and "另有 1 项" in message


def test_mentions_in_commit_text_are_neutralised(tmp_path, store, hook):
    report = llm_report("zh-CN")
    high = next(i for i, e in enumerate(report.entries) if e.importance is Importance.HIGH)
    first = report.entries[high]
    commit = replace(first.commit, subject="fix: ping @all and @octocat <@userid> <!channel>")
    entries = list(report.entries)
    entries[high] = replace(first, commit=commit)
    report = replace(report, entries=entries)
    settings = settings_for(tmp_path, [{"url": f"json://{hook.netloc}/h"}])
    notify_reports(settings, store, [report], environ={}, sleep=no_sleep)
    message = hook.received[0].json["message"]
    assert "@\u200ball" in message and "@\u200boctocat" in message
    assert not re.search(r"@(?!\u200b)\w", message)
    assert "U+200B" not in message  # the zero-width space stays invisible: the text reads the same
    assert "<!channel>" not in message and not re.search(r"<@\w", message)


def test_warnings_and_failed_repositories_are_stated():
    report = llm_report("en")
    digest = build_digest([report], DigestOptions(language="en"), failed=[("org/broken", "git fetch failed")])
    text = digest.render("text")
    assert "⚠️ Warnings" in text
    assert "org/broken: no report (git fetch failed)" in text
    assert "fell back" in text  # the report's LLM fallback


def test_one_line_summary_falls_back_to_the_rules_reason():
    report = llm_report("en")
    reason = Reason("type.conventional", (("type", "fix"),), 3)
    rules_entry = entry(commit("x", "fix: something", "2026-02-07T10:00:00+08:00"), ChangeType.FIX, Importance.HIGH,
                        reasons=(reason,))
    digest = build_digest([replace(report, entries=[rules_entry])], DigestOptions(language="en"))
    line = next(ln for ln in digest.render("text").split("\n") if "fix: something" in ln)
    assert line.endswith(" — " + translator("en").reason(reason))


# --- secrets ---------------------------------------------------------------------------------------------------


def test_secrets_never_reach_the_store_or_the_output(tmp_path, hook, capsys):
    token = "SUPERSECRETtoken0123456789"
    settings = settings_for(tmp_path, [
        {"url": f"dingtalk://{token}/", "api_url": hook.url("/s")},
        {"url": f"json://{hook.netloc}/hook/{token}?token={token}"},  # via apprise, which logs URLs
    ], retries=0)
    hook.default = Answer(500, b'{"errcode": 500, "errmsg": "echo ' + token.encode() + b'"}')
    with Store.open(tmp_path / "store.db") as s:
        outcome = notify_reports(settings, s, [llm_report("zh-CN")], environ={}, sleep=no_sleep)
    assert len(outcome.failed) == 2
    captured = capsys.readouterr()
    assert token not in captured.out + captured.err
    assert all(token not in t and token not in d for t, d in outcome.failed)
    dump = "\n".join(str(row) for row in sqlite3.connect(tmp_path / "store.db").execute("SELECT * FROM deliveries"))
    assert token not in dump and "dingtalk#" in dump


def test_target_ids_show_only_harmless_parts():
    assert target_id("json://hooks.example.com:8080/x?token=abc").startswith("json://hooks.example.com:8080#")
    assert target_id("json://user:pw@hooks.example.com/x").startswith("json://hooks.example.com#")
    assert re.fullmatch(r"dingtalk#[0-9a-f]{12}", target_id(f"dingtalk://{DING_TOKEN}/"))
    assert target_id("tgram://1:a/2") != target_id("tgram://1:b/2")
    url = f"wecombot://{WECOM_KEY}"
    assert WECOM_KEY not in redact(f"POST https://x/send?key={WECOM_KEY} failed", url_secrets(url))


def test_urls_from_the_environment(tmp_path):
    env = {"COMMITWATCH_NOTIFY_URLS": "json://a.example/x, jsons://b.example/y?to=a,b  mailto://u:p@c.example"}
    settings = load_settings(environ=env)
    assert settings.notify.urls == ["json://a.example/x", "jsons://b.example/y?to=a,b", "mailto://u:p@c.example"]


def test_config_targets_are_strict(tmp_path):
    from commitwatch.errors import ConfigError

    config = tmp_path / "c.toml"
    config.write_text('[[notify.targets]]\nurl = "json://x"\nformt = "text"\n')
    with pytest.raises(ConfigError, match="formt"):
        load_settings(config, environ={})
    config.write_text('[[notify.targets]]\nformat = "text"\n')
    with pytest.raises(ConfigError, match="url or url_env"):
        load_settings(config, environ={})


def test_url_env_target(tmp_path, store, hook):
    settings = settings_for(tmp_path, [{"url_env": "MY_HOOK"}])
    notify_reports(settings, store, [llm_report("zh-CN")], environ={"MY_HOOK": f"json://{hook.netloc}/e"},
                   sleep=no_sleep)
    assert [r.path for r in hook.received] == ["/e"]


def test_an_invalid_url_is_a_config_error_before_anything_is_sent(tmp_path, store, hook):
    from commitwatch.errors import ConfigError

    settings = settings_for(tmp_path, [{"url": f"json://{hook.netloc}/ok"}, {"url": "nosuchscheme://secret123"}])
    with pytest.raises(ConfigError) as info:
        notify_reports(settings, store, [llm_report("zh-CN")], environ={}, sleep=no_sleep)
    assert "secret123" not in info.value.message and hook.received == []


def test_digest_json_is_not_ascii_escaped(tmp_path, store, hook):
    settings = settings_for(tmp_path, [{"url": f"wecombot://{WECOM_KEY}", "api_url": hook.url("/s")}])
    notify_reports(settings, store, [llm_report("zh-CN")], environ={}, sleep=no_sleep)
    raw = hook.received[0].body.decode("utf-8")
    assert "每日摘要" in raw and json.loads(raw)


# --- through the command line: run, rerun, failures, notify ------------------------------------------------------


def cli_config(tmp_path: Path, repo_path: Path, hook: WebhookServer, extra: str = "") -> Path:
    config = tmp_path / "commitwatch.toml"
    config.write_text(
        f'timezone = "Asia/Shanghai"\noutput_dir = "{tmp_path / "out"}"\ndb = "{tmp_path / "cli.db"}"\n'
        f'cache_dir = "{tmp_path / "cache"}"\n\n[[repos]]\nrepo = "{repo_path}"\n\n'
        f'[notify]\nretries = 1\nretry_backoff = 0\n{extra}\n'
        f'[[notify.targets]]\nurl = "json://{hook.netloc}/daily"\nimportance = ["high", "medium", "low"]\n',
        encoding="utf-8",
    )
    return config


@pytest.fixture
def project(tmp_path):
    from tests.gitrepo import GitRepo

    repo = GitRepo.create(tmp_path / "proj")
    repo.write("src/engine.py", "x = 1\n")
    repo.commit("feat!: drop the --legacy flag @maintainers", committed="2026-02-07T10:00:00+08:00")
    repo.write("docs/a.md", "doc\n")
    repo.commit("docs: typo", committed="2026-02-07T11:00:00+08:00")
    return repo


def test_run_notifies_once_and_a_rerun_posts_nothing(tmp_path, project, hook):
    from tests.cli import run_cli

    config = cli_config(tmp_path, project.path, hook)
    run_cli("run", "--config", str(config), "--date", "2026-02-07", "--no-llm")
    assert len(hook.received) == 1
    message = hook.received[0].json["message"]
    assert "@\u200bmaintainers" in message
    run_cli("run", "--config", str(config), "--date", "2026-02-07", "--no-llm")
    assert len(hook.received) == 1  # the rerun posted nothing
    run_cli("notify", "--config", str(config), "--date", "2026-02-07")
    assert len(hook.received) == 1
    run_cli("notify", "--config", str(config), "--date", "2026-02-07", "--force")
    assert len(hook.received) == 2 and hook.received[1].json["message"] == message


def test_a_failing_receiver_leaves_the_report_intact_and_the_next_run_retries(tmp_path, project, hook):
    from tests.cli import run_cli

    config = cli_config(tmp_path, project.path, hook)
    hook.default = Answer(500, b"down")
    failed = run_cli("run", "--config", str(config), "--date", "2026-02-07", "--no-llm", expect=5)
    assert "notification to json://127.0.0.1" in failed.stderr and "failed" in failed.stderr
    report = tmp_path / "out" / "2026" / "proj" / "2026-02-07.md"
    assert report.is_file() and "drop the" in report.read_text(encoding="utf-8")
    with Store.open(tmp_path / "cli.db") as store:
        [row] = [r for r in store.history(None, 5)]
        assert row.status == "ok"
        rows = sqlite3.connect(tmp_path / "cli.db").execute("SELECT status FROM deliveries").fetchall()
        assert {"failed"} == {r[0] for r in rows}
    assert len(hook.received) == 2  # one try, one retry
    hook.default = Answer()
    run_cli("run", "--config", str(config), "--date", "2026-02-07", "--no-llm")
    assert [r.status for r in hook.received] == [500, 500, 200]


def test_notify_without_a_stored_report_is_a_usage_error(tmp_path, project, hook):
    from tests.cli import run_cli

    config = cli_config(tmp_path, project.path, hook)
    result = run_cli("notify", "--config", str(config), "--date", "2026-01-01", expect=2)
    assert "no stored zh-CN report for 2026-01-01" in result.stderr and hook.received == []


def test_report_of_one_repository_sends_no_notification(tmp_path, project, hook):
    from tests.cli import run_cli

    config = cli_config(tmp_path, project.path, hook)
    run_cli("report", "--config", str(config), "--date", "2026-02-07", "--no-llm")
    assert hook.received == []  # only `run` notifies; `notify` sends a stored day on demand
    run_cli("notify", "--config", str(config), "--date", "2026-02-07")
    assert len(hook.received) == 1


def test_a_run_whose_every_repository_fails_still_sends_a_digest_each_time(tmp_path, project, hook):
    from tests.cli import run_cli

    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"  # pasted as a branch: the error quotes it
    config = tmp_path / "commitwatch.toml"
    config.write_text(
        f'timezone = "Asia/Shanghai"\noutput_dir = "{tmp_path / "out"}"\ndb = "{tmp_path / "cli.db"}"\n'
        f'cache_dir = "{tmp_path / "cache"}"\n\n[[repos]]\nrepo = "{tmp_path / "gone"}"\n\n'
        f'[[repos]]\nrepo = "{project.path}"\nbranch = "{token}"\n\n'
        f'[notify]\nretries = 0\n\n[[notify.targets]]\nurl = "json://{hook.netloc}/daily"\n'
        f'[[notify.targets]]\nurl = "json://{hook.netloc}/high"\nimportance = ["high"]\n',
        encoding="utf-8",
    )
    run_cli("run", "--config", str(config), "--date", "2026-02-07", "--no-llm", expect=3)
    assert sorted(r.path for r in hook.received) == ["/daily", "/high"]  # an importance filter does not hide it
    body = hook.received[0].json
    assert body["title"] == "commitwatch：本次运行失败，未生成任何报告"
    message = body["message"]
    assert "gone：未能生成报告（no such path" in message and "proj：未能生成报告（unknown branch" in message
    assert token not in message and "[REDACTED:github-token]" in message.replace("\\", "")
    run_cli("run", "--config", str(config), "--date", "2026-02-07", "--no-llm", expect=3)
    assert len(hook.received) == 4  # the second failed run is not "already sent": it is told too


def test_an_earlier_window_that_failed_is_retried_by_the_next_run(tmp_path, store, hook):
    from datetime import timedelta

    settings = settings_for(tmp_path, [{"url": f"json://{hook.netloc}/hook"}], retries=0)
    day1 = llm_report("zh-CN")
    w = day1.window
    day2 = replace(day1, window=replace(w, start=w.start + timedelta(days=1), end=w.end + timedelta(days=1),
                                        day=w.day + timedelta(days=1)))
    for report in (day1, day2):
        store.save_report(None, report)
    hook.script(Answer(500))
    first = notify_reports(settings, store, [day1], retry_failed=True, environ={}, sleep=no_sleep)
    assert len(first.failed) == 1
    # the next run is for another window (a cron with --since-last-run): day 1 goes out too
    second = notify_reports(settings, store, [day2], retry_failed=True, environ={}, sleep=no_sleep)
    assert second.failed == [] and len(second.sent) == 2
    titles = [b["title"] for b in hook.bodies()]
    assert titles == ["commitwatch 每日摘要（2026-02-08）", "commitwatch 每日摘要（2026-02-07）"]
    third = notify_reports(settings, store, [day2], retry_failed=True, environ={}, sleep=no_sleep)
    assert third.sent == [] and len(hook.bodies()) == 2
    assert store.failed_deliveries(day1.generated_at - timedelta(days=3650)) == []


def test_earlier_failures_older_than_the_retry_window_are_left_alone(tmp_path, store, hook):
    from datetime import datetime, timedelta, timezone

    settings = settings_for(tmp_path, [{"url": f"json://{hook.netloc}/hook"}], retries=0)
    day1 = llm_report("zh-CN")
    store.save_report(None, day1)
    hook.script(Answer(500))
    notify_reports(settings, store, [day1], environ={}, sleep=no_sleep)
    later = datetime.now(timezone.utc) + timedelta(days=8)
    outcome = notify_reports(settings, store, [], retry_failed=True, environ={}, sleep=no_sleep, now=later)
    assert outcome.sent == [] and len(hook.received) == 1
