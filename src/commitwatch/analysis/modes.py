"""Structured-output modes, strongest first, and the ``response_format`` each one sends."""

from __future__ import annotations

from enum import Enum
from typing import Any


class Mode(str, Enum):
    """Structured-output modes, strongest first."""

    JSON_SCHEMA = "json_schema"
    JSON_OBJECT_SCHEMA = "json_object+schema"  # {"type": "json_object", "schema": ...} (llama.cpp, vLLM)
    JSON_OBJECT = "json_object"
    PROMPT = "prompt"

    @property
    def schema_in_prompt(self) -> bool:
        return self is not Mode.JSON_SCHEMA

    @property
    def public(self) -> str:
        """The name users configure (``llm.structured_output``)."""
        return "json_object" if self is Mode.JSON_OBJECT_SCHEMA else self.value


LADDERS: dict[str, tuple[Mode, ...]] = {
    "auto": (Mode.JSON_SCHEMA, Mode.JSON_OBJECT_SCHEMA, Mode.JSON_OBJECT, Mode.PROMPT),
    "json_schema": (Mode.JSON_SCHEMA,),
    "json_object": (Mode.JSON_OBJECT_SCHEMA, Mode.JSON_OBJECT),
    "prompt": (Mode.PROMPT,),
}


def response_format(mode: Mode, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
    if mode is Mode.JSON_SCHEMA:
        return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": False}}
    if mode is Mode.JSON_OBJECT_SCHEMA:
        return {"type": "json_object", "schema": schema}
    if mode is Mode.JSON_OBJECT:
        return {"type": "json_object"}
    return None
