"""docs/report.schema.json: every JSON document commitwatch writes validates against it, and the schema
describes every field the documents carry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from commitwatch.demo import build_demo_repo
from commitwatch.render import SCHEMA_VERSION, report_to_dict
from tests.cli import run_cli
from tests.fakes.openai_server import FakeOpenAI
from tests.reportdata import empty_report, llm_report, rules_report, translator, tricky_report

SCHEMA_PATH = Path(__file__).parent.parent / "docs" / "report.schema.json"


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def check(validator: Draft202012Validator, doc: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def undescribed(doc: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Paths of fields in ``doc`` that the schema does not describe (with a description)."""
    out: list[str] = []
    if isinstance(doc, dict) and "properties" in schema:
        for key, value in doc.items():
            sub = schema["properties"].get(key)
            if sub is None or not sub.get("description"):
                out.append(f"{where}.{key}")
            elif sub is not None:
                out += undescribed(value, sub, f"{where}.{key}")
    elif isinstance(doc, list) and isinstance(schema.get("items"), dict):
        for item in doc[:3]:
            out += undescribed(item, schema["items"], f"{where}[]")
    return out


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    """Real documents from the CLI: rules, LLM (the fake server), a weekly digest and an empty day."""
    tmp = tmp_path_factory.mktemp("schema")
    repo = build_demo_repo(tmp / "cache")
    out = tmp / "out"
    env = {"COMMITWATCH_DB": str(tmp / "store.db"), "COMMITWATCH_LLM_API_KEY": "sk-test"}
    base = ["--repo", str(repo), "--output-dir", str(out), "--format", "json"]
    docs: dict[str, dict[str, Any]] = {}

    def read(name: str) -> dict[str, Any]:
        return json.loads((out / "2026" / "dynamo-sample" / name).read_text(encoding="utf-8"))

    run_cli("report", *base, "--no-llm", "--date", "2026-02-07", env=env)
    docs["rules"] = read("2026-02-07.json")
    run_cli("report", *base, "--no-llm", "--date", "2026-02-09", env=env)
    docs["empty"] = read("2026-02-09.json")
    with FakeOpenAI() as server:
        config = tmp / "cw.toml"
        config.write_text(f'[llm]\nbase_url = "{server.base_url}"\nmodel = "fake-model"\n', encoding="utf-8")
        run_cli("report", "--config", str(config), *base, "--date", "2026-02-07", "--lang", "en", env=env)
        docs["llm"] = read("2026-02-07.json")
    run_cli("report", *base, "--week", "2026-W06", env=env)
    docs["weekly"] = read("2026-W06.json")
    yield docs


@pytest.mark.parametrize("kind", ["rules", "empty", "llm", "weekly"])
def test_generated_documents_validate(validator, documents, kind: str) -> None:
    doc = documents[kind]
    assert doc["schema_version"] == SCHEMA_VERSION
    check(validator, doc)
    assert not undescribed(doc, validator.schema), "describe these fields in docs/report.schema.json"


def test_the_documents_are_what_they_claim(documents) -> None:
    assert documents["rules"]["stats"]["total"] == 31 and documents["rules"]["analyzer"]["kind"] == "rules"
    assert documents["empty"]["commits"] == [] and documents["empty"]["stats"]["total"] == 0
    assert {c["analyzer"] for c in documents["llm"]["commits"]} == {"llm"}
    assert all(c["analysis"] is not None for c in documents["llm"]["commits"])
    assert documents["weekly"]["day"] is None and documents["weekly"]["stats"]["total"] == 31


@pytest.mark.parametrize("builder", [llm_report, rules_report, tricky_report, empty_report])
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_fixture_reports_validate(validator, builder, lang: str) -> None:
    doc = report_to_dict(builder(lang), translator=translator(lang))
    check(validator, doc)
    assert not undescribed(doc, validator.schema)


def test_the_schema_rejects_what_breaks_the_contract(validator) -> None:
    doc = report_to_dict(llm_report("en"), translator=translator("en"))
    assert validator.is_valid(doc)
    broken = [
        {**doc, "schema_version": 2},
        {k: v for k, v in doc.items() if k != "commits"},
        {**doc, "commits": [{**doc["commits"][0], "importance": "urgent"}]},
        {**doc, "commits": [{**doc["commits"][0], "sha": "xyz"}]},
        {**doc, "window": {**doc["window"], "start": "yesterday"}},
        {**doc, "analyzer": {"kind": "magic", "model": None}},
        {**doc, "commits": [{**doc["commits"][0], "url": "javascript:alert(1)"}]},
        {**doc, "stats": {**doc["stats"], "high": -1}},
    ]
    for bad in broken:
        assert not validator.is_valid(bad)
    # fields may be added: an unknown field at any level is still valid
    extended = {**doc, "future": 1, "commits": [{**doc["commits"][0], "ratings": [], "reviews": {"count": 1}}]}
    assert validator.is_valid(extended)
    assert set(undescribed(extended, validator.schema)) == {"$.commits[].ratings", "$.commits[].reviews", "$.future"}
