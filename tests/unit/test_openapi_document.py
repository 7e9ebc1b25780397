"""``/openapi.json`` describes every body the API reads, with examples its own schemas accept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator

from serving.api.openapi_bodies import BODIES, ROUTE_ERRORS
from tests.kpi_rows import kpi_api


@pytest.fixture(scope="module")
def document() -> Iterator[dict[str, Any]]:
    with kpi_api() as app, TestClient(app) as http:
        response = http.get("/openapi.json")
        assert response.status_code == 200
        yield response.json()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def test_every_post_route_documents_its_body(document: dict[str, Any]) -> None:
    posts = {(method, path) for method, path, _ in operations(document) if method == "post"}
    assert posts == {key for key in BODIES if key[0] == "post"}
    for method, path in BODIES:
        assert document["paths"][path][method]["requestBody"]["required"] is True


@pytest.mark.parametrize(("method", "path"), sorted(BODIES))
def test_each_json_example_is_valid_under_its_schema(document: dict[str, Any], method: str, path: str) -> None:
    content = document["paths"][path][method]["requestBody"]["content"]
    if "application/json" not in content:
        assert next(iter(content.values()))["schema"] == {"type": "string", "format": "binary"}
        return
    body = content["application/json"]
    Draft202012Validator.check_schema(body["schema"])
    errors = list(Draft202012Validator(body["schema"]).iter_errors(body["example"]))
    assert not errors, [error.message for error in errors]


def test_the_events_body_is_the_avro_contract(document: dict[str, Any]) -> None:
    schema = document["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    many, one = schema["anyOf"]
    assert many["items"] == one
    assert many["maxItems"] == 1000  # KEFU_MAX_EVENTS_PER_REQUEST's default
    assert one["required"] == ["event_id", "conversation_id", "tenant_id", "channel", "user_id", "role", "text", "ts"]
    assert one["properties"]["role"]["enum"] == ["customer", "bot", "agent", "system"]
    validator = Draft202012Validator(schema)
    assert not validator.is_valid({"event_id": "e1"})
    assert not validator.is_valid([])


def test_error_answers_are_described(document: dict[str, Any]) -> None:
    for (method, path), statuses in ROUTE_ERRORS.items():
        answers = document["paths"][path][method]["responses"]
        assert {str(status) for status in statuses} <= set(answers), (method, path)
    agent = document["paths"]["/v1/conversations/{conversation_id}/agent-replies"]["post"]["responses"]
    assert "take_over" in agent["409"]["description"]
