from pathlib import Path

import pytest

from commitwatch.config import load_settings, parse_formats
from commitwatch.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "commitwatch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_file_or_env():
    settings = load_settings(environ={})
    assert settings.timezone == "Asia/Shanghai"
    assert settings.language == "zh-CN"
    assert settings.formats == ["md", "json"]
    assert settings.output_dir == Path("reports")
    assert not settings.llm.configured


def test_precedence_defaults_file_env_flags(tmp_path):
    config = write(tmp_path, 'timezone = "UTC"\nlanguage = "en"\noutput_dir = "from-file"\n')
    env = {"COMMITWATCH_TIMEZONE": "Europe/Berlin", "COMMITWATCH_OUTPUT_DIR": "from-env"}
    settings = load_settings(config, environ=env, overrides={"output_dir": Path("from-flag")})
    assert settings.language == "en"  # file beats default
    assert settings.timezone == "Europe/Berlin"  # env beats file
    assert settings.output_dir == Path("from-flag")  # flag beats env


def test_flags_left_unset_do_not_override(tmp_path):
    config = write(tmp_path, 'language = "en"\n')
    settings = load_settings(config, environ={}, overrides={"language": None, "timezone": None})
    assert settings.language == "en"


def test_llm_env_fills_nested_section(tmp_path):
    config = write(tmp_path, '[llm]\nbase_url = "http://file/v1"\nconcurrency = 3\n')
    settings = load_settings(config, environ={"COMMITWATCH_LLM_MODEL": "m1"})
    assert settings.llm.base_url == "http://file/v1"
    assert settings.llm.model == "m1"
    assert settings.llm.concurrency == 3
    assert settings.llm.configured


def test_unknown_key_names_file_and_key(tmp_path):
    config = write(tmp_path, "[llm]\nbase_ulr = \"https://typo\"\n")
    with pytest.raises(ConfigError) as info:
        load_settings(config, environ={})
    assert str(config) in info.value.message
    assert "llm.base_ulr" in info.value.message
    assert "unknown key" in info.value.message


def test_unknown_top_level_key_in_repos_table(tmp_path):
    config = write(tmp_path, '[[repos]]\nrepo = "a/b"\nbranchh = "main"\n')
    with pytest.raises(ConfigError, match=r"repos\.0\.branchh"):
        load_settings(config, environ={})


def test_wrong_type_names_key(tmp_path):
    config = write(tmp_path, "[llm]\nconcurrency = \"many\"\n")
    with pytest.raises(ConfigError, match=r"'llm\.concurrency'"):
        load_settings(config, environ={})


def test_invalid_toml_says_where(tmp_path):
    config = write(tmp_path, "timezone = \n")
    with pytest.raises(ConfigError, match="invalid TOML") as info:
        load_settings(config, environ={})
    assert str(config) in info.value.message


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_config_path_from_env(tmp_path):
    config = write(tmp_path, 'language = "en"\n')
    settings = load_settings(environ={"COMMITWATCH_CONFIG": str(config)})
    assert settings.language == "en"


def test_bad_timezone_in_file(tmp_path):
    config = write(tmp_path, 'timezone = "Mars/Olympus"\n')
    with pytest.raises(ConfigError, match="unknown time zone 'Mars/Olympus'"):
        load_settings(config, environ={})


def test_bad_formats_env():
    with pytest.raises(ConfigError, match="COMMITWATCH_FORMATS"):
        load_settings(environ={"COMMITWATCH_FORMATS": "md,pdf"})


def test_parse_formats_dedupes_and_validates():
    assert parse_formats(" md , JSON ") == ["md", "json"]
    assert parse_formats("html,md") == ["html", "md"]
    with pytest.raises(ValueError, match="choose from md, html, json, atom"):
        parse_formats("pdf")


def test_full_design_example_parses(tmp_path):
    config = write(
        tmp_path,
        """
timezone = "Asia/Shanghai"
language = "zh-CN"
output_dir = "reports"
formats = ["md", "json"]

[[repos]]
repo = "ai-dynamo/dynamo"
branch = "main"
github = "ai-dynamo/dynamo"

[llm]
base_url = "https://integrate.api.nvidia.com/v1"
model = "deepseek-ai/deepseek-v3.1"
api_key_env = "COMMITWATCH_LLM_API_KEY"

[github]
api_url = "https://api.github.com"
token_env = "GITHUB_TOKEN"

[publish]
github_repo = "me/upstream-reports"
branch = "main"
path_template = "reports/{year}/{repo_slug}/{date}.md"
issue = false

[notify]
urls = []
""",
    )
    settings = load_settings(config, environ={})
    assert settings.repos[0].github == "ai-dynamo/dynamo"
    assert settings.llm.model == "deepseek-ai/deepseek-v3.1"


def test_paths_expand_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    config = write(tmp_path, 'db = "~/store.db"\noutput_dir = "~/reports"\ncache_dir = "~/cache"\n')
    settings = load_settings(config, environ={})
    assert settings.db == tmp_path / "store.db"
    assert settings.output_dir == tmp_path / "reports"
    assert settings.cache_dir == tmp_path / "cache"
