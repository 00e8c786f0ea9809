"""What the analysis stage tells the reader (warnings, fallback reasons), in the report's language.

Plain text; renderers escape it. ``{name}`` placeholders are filled with ``str.format``.
"""

from __future__ import annotations

from .. import i18n

_MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        # fallback reasons (CommitEntry.fallback_reason), by LLMFailure.kind
        "reason.auth": "the provider refused access ({detail})",
        "reason.quota": "the provider's quota or balance is exhausted ({detail})",
        "reason.not_found": "model or endpoint not found ({detail})",
        "reason.rejected": "the request was rejected ({detail})",
        "reason.context_length": "the prompt exceeded the model's context even after shrinking ({detail})",
        "reason.timeout": "no answer after {attempts} attempts ({detail})",
        "reason.connection": "cannot reach the LLM server ({detail})",
        "reason.rate_limited": "still rate limited after {attempts} attempts ({detail})",
        "reason.retry_after_too_long": "rate limited: {detail}",
        "reason.unavailable": "the server kept failing after {attempts} attempts ({detail})",
        "reason.bad_response": "unreadable responses after {attempts} attempts",
        "reason.circuit_open": "the LLM was no longer called after repeated refusals ({detail})",
        "reason.response_format": "the server accepted no structured-output mode ({detail})",
        "reason.invalid_output": "the model's answer was invalid even after one repair ({detail})",
        "reason.token_limit": "the run's token limit ({limit}) was reached",
        "reason.internal": "internal error: {detail}",
        # warnings (AnalysisOutcome.warnings)
        "warn.fallback": "{count} of {total} commits were analysed by the rules instead of the LLM: {reasons}.",
        "warn.breaker": (
            "The LLM provider refused repeatedly ({detail}); commitwatch stopped calling it and used the rules "
            "analyzer for the rest of the run."
        ),
        "warn.token_limit": (
            "The run's token limit ({limit}) was reached; {count} commits were analysed by the rules instead."
        ),
        "warn.grounding_areas": "Dropped {count} impact areas that named paths the commits did not touch.",
        "warn.grounding_cves": "Removed {count} CVE ids that appear nowhere in the commits.",
        "warn.floor": (
            "{count} LLM answers rated a commit below what its hard signals (advisory, breaking marker, removed "
            "interface) allow; their importance was raised."
        ),
        "floor.raised": "[Importance raised to {level} by a hard signal ({why}); the model said {model}.]",
        "warn.language": "{count} LLM answers were not in English even after asking again; they are shown as given.",
        "warn.redacted": "Redacted {count} secrets ({kinds}) from {commits} commits before sending them to the LLM.",
        "warn.redacted_commits": (
            "Redacted {count} secrets ({kinds}) from {commits} commits: they are in no request, report or store."
        ),
        "warn.highlights": "The highlights were produced by the rules: {reason}.",
        "highlights.none_valid": "the LLM named no commit of this report",
        # rules highlights
        "highlight.rules": "{sha} {subject} ({change_type}, {importance} importance: {reason})",
        "highlight.rules_no_reason": "{sha} {subject} ({change_type}, {importance} importance)",
        "list.separator": "; ",
    },
    "zh-CN": {
        "reason.auth": "提供方拒绝访问（{detail}）",
        "reason.quota": "提供方额度或余额不足（{detail}）",
        "reason.not_found": "模型或接口不存在（{detail}）",
        "reason.rejected": "请求被拒绝（{detail}）",
        "reason.context_length": "缩减后提示仍超出模型上下文长度（{detail}）",
        "reason.timeout": "尝试 {attempts} 次后仍无响应（{detail}）",
        "reason.connection": "无法连接 LLM 服务（{detail}）",
        "reason.rate_limited": "尝试 {attempts} 次后仍被限流（{detail}）",
        "reason.retry_after_too_long": "被限流：{detail}",
        "reason.unavailable": "尝试 {attempts} 次后服务仍然出错（{detail}）",
        "reason.bad_response": "尝试 {attempts} 次后响应仍无法解析",
        "reason.circuit_open": "提供方多次拒绝后已停止调用 LLM（{detail}）",
        "reason.response_format": "服务端不接受任何结构化输出方式（{detail}）",
        "reason.invalid_output": "模型输出无效，修复一次后仍无效（{detail}）",
        "reason.token_limit": "已达到本次运行的 token 上限（{limit}）",
        "reason.internal": "内部错误：{detail}",
        "warn.fallback": "{total} 个提交中有 {count} 个改用规则分析（LLM 未能完成）：{reasons}。",
        "warn.breaker": "LLM 提供方多次拒绝请求（{detail}），本次运行已停止调用，其余提交改用规则分析。",
        "warn.token_limit": "已达到本次运行的 token 上限（{limit}），{count} 个提交改用规则分析。",
        "warn.grounding_areas": "已删除 {count} 个影响范围：它们指向的路径不在提交改动的文件中。",
        "warn.grounding_cves": "已删除 {count} 个在提交中并未出现的 CVE 编号。",
        "warn.floor": (
            "{count} 个 LLM 回答给出的重要程度低于硬性信号（安全公告、破坏性变更标记、移除的接口）所允许的下限，"
            "已上调。"
        ),
        "floor.raised": "【硬性信号（{why}）将重要程度上调为 {level}；模型给出的是 {model}。】",
        "warn.language": "{count} 个 LLM 回答在重新要求后仍不是简体中文，按原样展示。",
        "warn.redacted": "发送给 LLM 之前，已从 {commits} 个提交中脱敏 {count} 处密钥（{kinds}）。",
        "warn.redacted_commits": (
            "已从 {commits} 个提交中脱敏 {count} 处密钥（{kinds}）：它们不会出现在任何请求、报告或存储中。"
        ),
        "warn.highlights": "今日要点由规则生成：{reason}。",
        "highlights.none_valid": "LLM 给出的要点没有对应本报告中的提交",
        "highlight.rules": "{sha} {subject}（{change_type}，{importance}重要度：{reason}）",
        "highlight.rules_no_reason": "{sha} {subject}（{change_type}，{importance}重要度）",
        "list.separator": "；",
    },
}


def message(language: str, key: str, **params: object) -> str:
    """The message ``key`` in ``language`` (English when the language or key is unknown)."""
    lang = i18n.normalize_language(language)
    template = _MESSAGES.get(lang, {}).get(key) or _MESSAGES["en"].get(key, key)
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template
