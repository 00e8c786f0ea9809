"""The `commitwatch` command end to end: real git repositories, real files, real exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import run_cli
from tests.gitrepo import GitRepo


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("COMMITWATCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("COMMITWATCH_DB", str(tmp_path / "store.db"))
    for name in ("COMMITWATCH_CONFIG", "COMMITWATCH_LLM_BASE_URL", "COMMITWATCH_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def day_repo(tmp_path) -> GitRepo:
    """Four commits around 2026-02-07 in Asia/Shanghai; two fall inside that local day."""
    repo = GitRepo.create(tmp_path / "proj")
    repo.write("README.md", "hello\n")
    repo.commit("chore: init", committed="2026-02-06T23:59:59+08:00")
    repo.write("src/engine.py", "x = 1\n")
    repo.commit("feat(engine): add engine (#12)", committed="2026-02-07T00:00:00+08:00")
    repo.write("docs/guide.md", "guide\n")
    repo.commit(
        "docs: guide | with pipe",
        committed="2026-02-07T15:59:59+00:00",  # 23:59:59 in Shanghai
        authored="2026-01-01T00:00:00+00:00",
    )
    repo.write("src/engine.py", "x = 2\n")
    repo.commit("fix: next day", committed="2026-02-08T00:00:00+08:00")
    return repo


def report_files(out: Path, slug: str, day: str) -> tuple[str, dict]:
    md = (out / day[:4] / slug / f"{day}.md").read_text(encoding="utf-8")
    data = json.loads((out / day[:4] / slug / f"{day}.json").read_text(encoding="utf-8"))
    return md, data


def test_report_lists_exactly_the_local_day(day_repo, tmp_path):
    out = tmp_path / "out"
    result = run_cli(
        "report", "--repo", str(day_repo.path), "--date", "2026-02-07", "--tz", "Asia/Shanghai",
        "--output-dir", str(out),
    )
    assert "2026-02-07.md" in result.stderr
    md, data = report_files(out, "proj", "2026-02-07")
    assert [c["subject"] for c in data["commits"]] == ["docs: guide | with pipe", "feat(engine): add engine (#12)"]
    assert [c["committed_at"] for c in data["commits"]] == ["2026-02-07T23:59:59+08:00", "2026-02-07T00:00:00+08:00"]
    assert data["stats"]["total"] == 2
    assert data["window"] == {
        "start": "2026-02-07T00:00:00+08:00", "end": "2026-02-08T00:00:00+08:00", "tz": "Asia/Shanghai",
    }
    assert data["analyzer"] == {"kind": "rules", "model": None}
    assert "2026-02-07 23:59:59" in md and "2026-02-07 00:00:00" in md
    assert "fix: next day" not in md and "chore: init" not in md
    assert "规则" in md  # the header says the rules produced it


def test_same_repo_other_zone_other_commits(day_repo, tmp_path):
    out = tmp_path / "out"
    run_cli("report", "--repo", str(day_repo.path), "--date", "2026-02-07", "--tz", "UTC", "--lang", "en",
            "--output-dir", str(out))
    md, data = report_files(out, "proj", "2026-02-07")
    assert [c["subject"] for c in data["commits"]] == ["fix: next day", "docs: guide | with pipe"]
    assert data["language"] == "en"
    assert "Daily" in md


def test_table_cell_escapes_pipe(day_repo, tmp_path):
    out = tmp_path / "out"
    run_cli("report", "--repo", str(day_repo.path), "--date", "2026-02-07", "--output-dir", str(out),
            "--format", "md")
    md = (out / "2026" / "proj" / "2026-02-07.md").read_text(encoding="utf-8")
    rows = [line for line in md.splitlines() if line.startswith("| 2026-02-07")]
    assert len(rows) == 2
    for row in rows:
        assert len(re.findall(r"(?<!\\)\|", row)) == 4  # three cells
    assert not (out / "2026" / "proj" / "2026-02-07.json").exists()


def test_empty_day_gives_short_report(day_repo, tmp_path):
    out = tmp_path / "out"
    run_cli("report", "--repo", str(day_repo.path), "--date", "2026-03-01", "--output-dir", str(out))
    md, data = report_files(out, "proj", "2026-03-01")
    assert data["commits"] == [] and data["stats"]["total"] == 0
    assert "| " not in md  # no empty table
    assert len(md.splitlines()) < 20


def test_range_window_file_name(day_repo, tmp_path):
    out = tmp_path / "out"
    run_cli("report", "--repo", str(day_repo.path), "--since", "2026-02-07T00:00", "--until",
            "2026-02-09T00:00", "--tz", "Asia/Shanghai", "--output-dir", str(out), "--format", "json")
    data = json.loads((out / "2026" / "proj" / "2026-02-07T0000--2026-02-09T0000.json").read_text())
    assert data["stats"]["total"] == 3


def test_run_reports_every_configured_repo(day_repo, tmp_path):
    other = GitRepo.create(tmp_path / "other")
    other.write("a.txt", "a\n")
    other.commit("feat: other thing", committed="2026-02-07T12:00:00+08:00")
    config = tmp_path / "cw.toml"
    config.write_text(
        f'output_dir = "{tmp_path / "out"}"\nformats = ["json"]\n'
        f'[[repos]]\nrepo = "{day_repo.path}"\ngithub = "acme/proj"\n'
        f'[[repos]]\nrepo = "{other.path}"\n',
        encoding="utf-8",
    )
    run_cli("run", "--config", str(config), "--date", "2026-02-07")
    proj = json.loads((tmp_path / "out/2026/proj/2026-02-07.json").read_text())
    assert proj["commits"][1]["url"].startswith("https://github.com/acme/proj/commit/")
    assert json.loads((tmp_path / "out/2026/other/2026-02-07.json").read_text())["stats"]["total"] == 1


def test_run_keeps_going_when_one_repo_fails(day_repo, tmp_path):
    config = tmp_path / "cw.toml"
    config.write_text(
        f'output_dir = "{tmp_path / "out"}"\n[[repos]]\nrepo = "{tmp_path / "missing"}"\n'
        f'[[repos]]\nrepo = "{day_repo.path}"\n',
        encoding="utf-8",
    )
    result = run_cli("run", "--config", str(config), "--date", "2026-02-07", expect=3)
    assert "commitwatch: error:" in result.stderr
    assert (tmp_path / "out/2026/proj/2026-02-07.md").exists()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--date", "2026-02-30"], 2, "malformed date"),
        (["--tz", "Asia/Atlantis"], 2, "unknown time zone"),
        (["--format", "pdf"], 2, "unknown format"),
        (["--lang", "fr"], 2, "unknown language"),
        (["--date", "2026-02-07", "--since", "2026-02-07"], 2, "cannot be combined"),
        (["--branch", "no-such-branch"], 3, "no-such-branch"),
    ],
)
def test_usage_and_source_errors(day_repo, tmp_path, args, code, message):
    result = run_cli("report", "--repo", str(day_repo.path), "--output-dir", str(tmp_path / "o"), *args,
                     expect=code)
    assert any(line.startswith("commitwatch: error:") for line in result.stderr.splitlines())
    assert message in result.stderr
    assert "hint:" in result.stderr
    assert "Traceback" not in result.stderr


def test_nonexistent_path(tmp_path):
    result = run_cli("report", "--repo", str(tmp_path / "nope"), expect=3)
    assert "commitwatch: error:" in result.stderr and "hint:" in result.stderr


def test_not_a_git_repository(tmp_path):
    (tmp_path / "plain").mkdir()
    result = run_cli("report", "--repo", str(tmp_path / "plain"), expect=3)
    assert "not a git repository" in result.stderr


def test_unreachable_remote(tmp_path):
    config = tmp_path / "cw.toml"
    config.write_text('[git]\nallowed_protocols = ["git"]\n', encoding="utf-8")
    result = run_cli("report", "--config", str(config), "--repo", "git://127.0.0.1:9/nothing.git",
                     "--date", "2026-02-07", expect=3)
    assert "hint:" in result.stderr


def test_invalid_config_names_file_and_key(tmp_path, day_repo):
    config = tmp_path / "cw.toml"
    config.write_text('[llm]\nbase_ulr = "https://x"\n', encoding="utf-8")
    result = run_cli("report", "--config", str(config), "--repo", str(day_repo.path), expect=2)
    assert str(config) in result.stderr and "llm.base_ulr" in result.stderr


def test_traceback_flag_shows_traceback(tmp_path):
    result = run_cli("--traceback", "report", "--repo", str(tmp_path / "nope"), expect=3)
    assert "Traceback" in result.stderr


def test_report_without_repo_is_usage_error():
    result = run_cli("report", expect=2)
    assert "--repo" in result.stderr


def test_quiet_prints_nothing_on_success(day_repo, tmp_path):
    result = run_cli("--quiet", "report", "--repo", str(day_repo.path), "--date", "2026-02-07",
                     "--output-dir", str(tmp_path / "o"))
    assert result.stderr == "" and result.stdout == ""


def test_demo_reports_the_31_commits(tmp_path):
    out = tmp_path / "out"
    run_cli("demo", "--output-dir", str(out))
    md, data = report_files(out, "dynamo-sample", "2026-02-07")
    assert data["stats"]["total"] == 31
    assert sum(data["stats"][k] for k in ("high", "medium", "low")) == 31
    assert data["commits"][0]["subject"] == "docs: full migration of docs/ to fern format in fern/ (#6050)"
    assert "本日共 31 个提交" in md


def test_console_script_runs(tmp_path, day_repo):
    exe = Path(sys.executable).with_name("commitwatch")
    proc = subprocess.run(
        [str(exe), "report", "--repo", str(day_repo.path), "--date", "2026-02-07", "--output-dir",
         str(tmp_path / "o")],
        capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                                             "COMMITWATCH_CACHE_DIR": str(tmp_path / "c")},
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "o/2026/proj/2026-02-07.md").exists()



def test_the_console_script_skips_teardown_but_not_exit_handlers_output_or_the_code(tmp_path, day_repo):
    """``entry`` ends the process with ``os._exit`` after the command: exit handlers still run (a
    ``sitecustomize`` registers one), piped output arrives whole, and the exit code is the command's."""
    site = tmp_path / "site"
    site.mkdir()
    marker = tmp_path / "atexit-ran"
    (site / "sitecustomize.py").write_text(
        f"import atexit, pathlib\natexit.register(lambda: pathlib.Path({str(marker)!r}).write_text('yes'))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COMMITWATCH_CACHE_DIR": str(tmp_path / "c"),
           "PYTHONPATH": str(site), "COMMITWATCH_DB": str(tmp_path / "s.db")}
    command = [sys.executable, "-m", "commitwatch"]
    proc = subprocess.run([*command, "report", "--repo", str(day_repo.path), "--date", "2026-02-07",
                           "--output-dir", str(tmp_path / "o"), "--format", "md"], capture_output=True, text=True,
                          env=env)
    assert proc.returncode == 0, proc.stderr
    assert marker.read_text() == "yes"
    assert str(tmp_path / "o/2026/proj/2026-02-07.md") in proc.stderr.replace("\n", "")  # the last lines came
    listing = subprocess.run([*command, "--help"], capture_output=True, text=True, env=env)
    assert listing.returncode == 0 and "run" in listing.stdout and listing.stdout.endswith("\n")
    failed = subprocess.run([*command, "report", "--repo", str(tmp_path / "nope")], capture_output=True, text=True,
                            env=env)
    assert failed.returncode == 3
    assert "no such path" in failed.stderr

def test_cli_docs_are_current():
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, str(root / "scripts" / "gen_docs.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_render_rebuilds_byte_identical_files_offline(day_repo, tmp_path):
    out = tmp_path / "out"
    run_cli("report", "--repo", str(day_repo.path), "--date", "2026-02-07", "--output-dir", str(out))
    originals = {p.name: p.read_bytes() for p in (out / "2026" / "proj").iterdir()}
    # the repository may be gone: render reads only the store
    moved = day_repo.path.rename(tmp_path / "gone")
    rebuilt = tmp_path / "rebuilt"
    run_cli("render", "--repo", str(day_repo.path), "--date", "2026-02-07", "--output-dir", str(rebuilt))
    assert {p.name: p.read_bytes() for p in (rebuilt / "2026" / "proj").iterdir()} == originals
    assert moved.exists()


def test_render_without_stored_report(day_repo, tmp_path):
    result = run_cli("render", "--repo", str(day_repo.path), "--date", "2026-02-07", expect=2)
    assert "no stored zh-CN report" in result.stderr and "commitwatch report" in result.stderr


def test_history_lists_runs(day_repo, tmp_path):
    run_cli("report", "--repo", str(day_repo.path), "--date", "2026-02-07", "--output-dir", str(tmp_path / "o"))
    run_cli("report", "--repo", str(day_repo.path), "--date", "2026-02-08", "--output-dir", str(tmp_path / "o"))
    result = run_cli("history")
    lines = [line for line in result.stdout.splitlines() if " proj " in f" {line} "]
    assert len(lines) == 2
    assert "2026-02-08" in lines[0] and "2026-02-07" in lines[1]  # newest first
    assert all(" ok " in line and "rules" in line for line in lines)


def test_weekly_digest_from_stored_dailies(day_repo, tmp_path):
    out = tmp_path / "out"
    for day in ("2026-02-02", "2026-02-03", "2026-02-04", "2026-02-05", "2026-02-06", "2026-02-07", "2026-02-08"):
        run_cli("report", "--repo", str(day_repo.path), "--date", day, "--output-dir", str(out), "--format", "json")
    run_cli("report", "--repo", str(day_repo.path), "--week", "2026-W06", "--output-dir", str(out))
    data = json.loads((out / "2026" / "proj" / "2026-W06.json").read_text(encoding="utf-8"))
    assert data["window"]["start"] == "2026-02-02T00:00:00+08:00"
    assert data["window"]["end"] == "2026-02-09T00:00:00+08:00"
    assert [c["subject"] for c in data["commits"]] == [
        "fix: next day", "docs: guide | with pipe", "feat(engine): add engine (#12)", "chore: init"]
    assert (out / "2026" / "proj" / "2026-W06.md").exists()


def test_weekly_digest_needs_stored_reports(day_repo):
    result = run_cli("report", "--repo", str(day_repo.path), "--week", "2026-W06", expect=2)
    assert "hint:" in result.stderr


def test_malformed_week(day_repo):
    result = run_cli("report", "--repo", str(day_repo.path), "--week", "2026-W60", expect=2)
    assert "ISO week" in result.stderr or "weeks" in result.stderr


def test_corrupted_store_is_an_error_and_left_alone(day_repo, tmp_path):
    db = tmp_path / "broken.db"
    db.write_bytes(b"this is not a database" * 100)
    result = run_cli("report", "--repo", str(day_repo.path), "--date", "2026-02-07", "--db", str(db), expect=2)
    assert "hint:" in result.stderr
    assert db.read_bytes() == b"this is not a database" * 100


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_demo_report_links_all_resolve(tmp_path, lang):
    from commitwatch.render.anchors import Slugger
    from tests.reportdata import headings

    out = tmp_path / "out"
    run_cli("demo", "--output-dir", str(out), "--lang", lang, "--format", "md")
    md = (out / "2026" / "dynamo-sample" / "2026-02-07.md").read_text(encoding="utf-8")
    slugger = Slugger()
    anchors = {slugger.slug(text) for _level, text in headings(md)}
    targets = re.findall(r"\]\(#([^)]*)\)", md)
    sections = sum(1 for level, _text in headings(md) if level == 4)  # medium and high; low commits are one line
    assert sections >= 18 and len(targets) >= sections + 3
    assert [t for t in targets if t not in anchors] == []


def test_since_last_run_from_the_command_line(tmp_path):
    from datetime import datetime, timedelta, timezone

    repo = GitRepo.create(tmp_path / "live")
    recent = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat(timespec="seconds")
    repo.write("a.py", "1\n")
    repo.commit("feat: landed an hour ago", committed=recent)
    out = tmp_path / "out"
    args = ("report", "--repo", str(repo.path), "--since-last-run", "--output-dir", str(out), "--format", "json")
    run_cli(*args)
    first = [json.loads(p.read_text()) for p in out.rglob("*.json")]
    assert [c["subject"] for d in first for c in d["commits"]] == ["feat: landed an hour ago"]
    repo.write("a.py", "2\n")
    repo.commit("fix: landed after the first run", committed="2020-01-01T00:00:00+00:00")  # an old date
    run_cli(*args)
    reports = sorted(out.rglob("*.json"), key=lambda p: p.stat().st_mtime)
    latest = json.loads(reports[-1].read_text())
    assert [c["subject"] for c in latest["commits"]] == ["fix: landed after the first run"]
    result = run_cli("report", "--repo", str(repo.path), "--since-last-run", "--date", "2026-02-07", expect=2)
    assert "cannot be combined" in result.stderr
