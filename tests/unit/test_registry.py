"""The embedded schema registry: its store, its Confluent REST surface, and confluent-kafka's client against it."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext
from fastapi.testclient import TestClient

from schemas.catalog import schema
from schemas.registry import IncompatibleSchema, InvalidRequest, InvalidSchema, NotFound, SchemaStore
from schemas.registry.server import CONTENT_TYPE, create_registry_app
from schemas.wire import AvroCodec


def record(*fields: dict[str, Any], name: str = "E") -> str:
    return json.dumps({"type": "record", "name": name, "namespace": "t", "fields": list(fields)})


V1 = record({"name": "a", "type": "int"})
V2 = record({"name": "a", "type": "int"}, {"name": "b", "type": "string", "default": ""})
# Adds a required field: not BACKWARD compatible with V1.
V_BREAKING = record({"name": "a", "type": "int"}, {"name": "c", "type": "string"})


@pytest.fixture
def store() -> SchemaStore:
    return SchemaStore()


def not_found_code(call: Any, *args: Any) -> int:
    with pytest.raises(NotFound) as caught:
        call(*args)
    return caught.value.code


# -- store -------------------------------------------------------------------------------------------------------


def test_registering_the_same_schema_twice_returns_the_same_version_and_id(store: SchemaStore) -> None:
    first = store.register("s", V1)
    assert store.register("s", V1) == first
    assert store.register("s", json.dumps(json.loads(V1), indent=4)) == first  # whitespace does not matter
    assert store.versions("s") == [1]


def test_same_schema_under_two_subjects_shares_one_id(store: SchemaStore) -> None:
    _, first_id = store.register("a-value", V1)
    version, second_id = store.register("b-value", V1)
    assert (version, second_id) == (1, first_id)
    assert store.subjects_of(first_id) == [("a-value", 1), ("b-value", 1)]


def test_new_compatible_versions_get_increasing_numbers_and_new_ids(store: SchemaStore) -> None:
    assert store.register("s", V1) == (1, 1)
    assert store.register("s", V2) == (2, 2)
    assert store.versions("s") == [1, 2]
    assert store.version("s", "latest") == (2, 2, V2)
    assert store.version("s", 1) == (1, 1, V1)


def test_incompatible_schema_is_rejected_under_the_default_backward_level(store: SchemaStore) -> None:
    store.register("s", V1)
    with pytest.raises(IncompatibleSchema, match=r"E\.c: new field has no default"):
        store.register("s", V_BREAKING)
    assert store.versions("s") == [1]


def test_incompatible_schema_is_accepted_under_none(store: SchemaStore) -> None:
    store.register("s", V1)
    store.set_level("NONE", "s")
    assert store.register("s", V_BREAKING) == (2, 2)


def test_subject_level_overrides_the_global_level(store: SchemaStore) -> None:
    store.set_level("NONE")
    store.set_level("backward", "strict")
    assert (store.level(), store.level("strict"), store.level("other")) == ("NONE", "BACKWARD", "NONE")


def test_unknown_level_is_rejected(store: SchemaStore) -> None:
    with pytest.raises(InvalidRequest):
        store.set_level("SIDEWAYS")


def test_state_persists_across_a_new_store_on_the_same_path(tmp_path: Path) -> None:
    path = tmp_path / "registry" / "schemas.json"
    first = SchemaStore(path)
    first.register("s", V1)
    first.register("s", V2)
    first.register("other", V1)
    first.set_level("FULL", "s")
    first.delete_subject("other")

    reopened = SchemaStore(path)
    assert reopened.subjects() == ["s"]
    assert reopened.subjects(include_deleted=True) == ["other", "s"]
    assert reopened.version("s", "latest") == (2, 2, V2)
    assert reopened.level("s") == "FULL"
    assert reopened.register("s", V1) == (1, 1)  # still known: idempotent after reload
    third = record({"name": "a", "type": "int"}, {"name": "z", "type": "long", "default": 0})
    assert reopened.register("s", third) == (3, 3)  # ids continue, never reused


def test_soft_delete_hides_the_subject_but_keeps_schema_ids(store: SchemaStore) -> None:
    store.register("s", V1)
    store.register("s", V2)
    assert store.delete_subject("s") == [1, 2]
    assert store.subjects() == []
    assert store.subjects(include_deleted=True) == ["s"]
    assert not_found_code(store.version, "s", "latest") == 40401
    assert store.schema_text(1) == V1
    assert store.subjects_of(1) == []


def test_permanent_delete_removes_the_subject_entirely(store: SchemaStore) -> None:
    store.register("s", V1)
    store.delete_subject("s")
    assert store.delete_subject("s", permanent=True) == [1]
    assert store.subjects(include_deleted=True) == []
    assert not_found_code(store.versions, "s") == 40401


def test_a_subject_can_be_registered_again_after_a_permanent_delete(store: SchemaStore) -> None:
    store.register("s", V1)
    store.delete_subject("s", permanent=True)
    assert store.register("s", V_BREAKING)[0] == 1  # no history left to be compatible with


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        json.dumps({"type": "record", "fields": []}),  # no name
        json.dumps({"type": "record", "name": "E", "fields": [{"name": "a", "type": "t.Missing"}]}),
        json.dumps({"type": "enum", "name": "E", "symbols": ["a", "a"]}),
    ],
)
def test_invalid_schema_is_rejected_and_nothing_is_registered(store: SchemaStore, text: str) -> None:
    with pytest.raises(InvalidSchema):
        store.register("s", text)
    assert store.subjects(include_deleted=True) == []


def test_lookups_of_missing_things_carry_confluent_error_codes(store: SchemaStore) -> None:
    store.register("s", V1)
    assert not_found_code(store.versions, "missing") == 40401
    assert not_found_code(store.version, "s", 7) == 40402
    assert not_found_code(store.schema_text, 99) == 40403
    assert not_found_code(store.lookup, "s", V2) == 40403


def test_check_against_latest_and_transitively(store: SchemaStore) -> None:
    v1 = record({"name": "a", "type": "int"}, {"name": "x", "type": "int", "default": 0})
    v2 = record({"name": "a", "type": "int"})
    v3 = record({"name": "a", "type": "int"}, {"name": "x", "type": "string", "default": ""})
    store.register("s", v1)
    store.register("s", v2)
    assert store.check("s", v3) == []
    assert store.check("s", v3, 1) == ["E.x: int cannot be read as string"]
    store.set_level("BACKWARD_TRANSITIVE", "s")
    assert store.check("s", v3) == ["E.x: int cannot be read as string"]


# -- REST surface ------------------------------------------------------------------------------------------------


@pytest.fixture
def http(store: SchemaStore) -> TestClient:
    return TestClient(create_registry_app(store))


def register(http: TestClient, subject: str, text: str, **extra: Any) -> Any:
    return http.post(f"/subjects/{subject}/versions", json={"schema": text, **extra})


def assert_error(response: Any, status: int, code: int) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error_code"] == code
    assert response.json()["message"]


def test_register_returns_id_and_confluent_content_type(http: TestClient) -> None:
    response = register(http, "s", V1)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(CONTENT_TYPE)
    assert response.json() == {"id": 1, "subject": "s", "version": 1}


def test_schema_by_id_and_version_endpoints(http: TestClient) -> None:
    register(http, "s", V1)
    register(http, "s", V2)
    assert http.get("/schemas/ids/2").json() == {"schema": V2}
    assert http.get("/schemas/ids/1/schema").json() == json.loads(V1)
    assert http.get("/subjects").json() == ["s"]
    assert http.get("/subjects/s/versions").json() == [1, 2]
    assert http.get("/subjects/s/versions/latest").json() == {"subject": "s", "id": 2, "version": 2, "schema": V2}
    assert http.get("/subjects/s/versions/1/schema").json() == json.loads(V1)
    assert http.get("/schemas/ids/1/versions").json() == [{"subject": "s", "version": 1}]
    lookup = http.post("/subjects/s", json={"schema": V1})
    assert (lookup.status_code, lookup.json()["version"], lookup.json()["id"]) == (200, 1, 1)


def test_missing_subject_is_404_with_40401(http: TestClient) -> None:
    assert_error(http.get("/subjects/missing/versions"), 404, 40401)
    assert_error(http.get("/subjects/missing/versions/latest"), 404, 40401)


def test_missing_version_is_404_with_40402(http: TestClient) -> None:
    register(http, "s", V1)
    assert_error(http.get("/subjects/s/versions/5"), 404, 40402)


def test_missing_schema_is_404_with_40403(http: TestClient) -> None:
    register(http, "s", V1)
    assert_error(http.get("/schemas/ids/99"), 404, 40403)
    assert_error(http.post("/subjects/s", json={"schema": V2}), 404, 40403)


@pytest.mark.parametrize(
    "body",
    [
        {"schema": "not json"},
        {"schema": json.dumps({"type": "record", "fields": []})},
        {"schema": json.dumps({"type": "object"}), "schemaType": "JSON"},
        {"schema": V1, "references": [{"name": "x", "subject": "y", "version": 1}]},
        {"schema": {"type": "record"}},
    ],
)
def test_invalid_schema_is_422_with_42201(http: TestClient, body: dict[str, Any]) -> None:
    assert_error(http.post("/subjects/s/versions", json=body), 422, 42201)


def test_incompatible_schema_is_409(http: TestClient) -> None:
    register(http, "s", V1)
    response = register(http, "s", V_BREAKING)
    assert_error(response, 409, 409)
    assert "E.c" in response.json()["message"]


def test_compatibility_check_endpoints(http: TestClient) -> None:
    register(http, "s", V1)
    assert http.post("/compatibility/subjects/s/versions/latest", json={"schema": V2}).json() == {"is_compatible": True}
    verbose = http.post("/compatibility/subjects/s/versions/latest?verbose=true", json={"schema": V_BREAKING})
    assert verbose.json() == {"is_compatible": False, "messages": ["E.c: new field has no default"]}
    assert http.post("/compatibility/subjects/s/versions", json={"schema": V_BREAKING}).json() == {
        "is_compatible": False
    }


def test_config_get_and_put_globally_and_per_subject(http: TestClient) -> None:
    assert http.get("/config").json() == {"compatibilityLevel": "BACKWARD"}
    assert http.put("/config", json={"compatibility": "full"}).json() == {"compatibility": "FULL"}
    assert http.get("/config").json() == {"compatibilityLevel": "FULL"}
    assert http.put("/config/s", json={"compatibility": "NONE"}).json() == {"compatibility": "NONE"}
    assert http.get("/config/s").json() == {"compatibilityLevel": "NONE"}
    assert http.get("/config/other").json() == {"compatibilityLevel": "FULL"}
    register(http, "s", V1)
    assert register(http, "s", V_BREAKING).status_code == 200


def test_unknown_compatibility_level_is_rejected(http: TestClient) -> None:
    response = http.put("/config", json={"compatibility": "SIDEWAYS"})
    assert response.status_code == 422
    assert http.get("/config").json() == {"compatibilityLevel": "BACKWARD"}


def test_unknown_compatibility_level_has_confluent_error_code_42203(http: TestClient) -> None:
    assert_error(http.put("/config", json={"compatibility": "SIDEWAYS"}), 422, 42203)


def test_non_numeric_version_is_422_with_42202(store: SchemaStore) -> None:
    http = TestClient(create_registry_app(store), raise_server_exceptions=False)
    register(http, "s", V1)
    assert_error(http.get("/subjects/s/versions/abc"), 422, 42202)


def test_delete_subject_soft_then_permanent(http: TestClient) -> None:
    register(http, "s", V1)
    assert http.delete("/subjects/s").json() == [1]
    assert http.get("/subjects").json() == []
    assert http.get("/subjects?deleted=true").json() == ["s"]
    assert http.delete("/subjects/s?permanent=true").json() == [1]
    assert http.get("/subjects?deleted=true").json() == []
    assert_error(http.delete("/subjects/s"), 404, 40401)


def test_health_and_types(http: TestClient) -> None:
    register(http, "s", V1)
    assert http.get("/health").json() == {"status": "ok", "subjects": 1}
    assert http.get("/schemas/types").json() == ["AVRO"]


# -- confluent-kafka's client against a live server --------------------------------------------------------------


@pytest.fixture
def live_url(tmp_path: Path) -> Iterator[str]:
    """The registry app on uvicorn, on a free loopback port, in a background thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_registry_app(SchemaStore(tmp_path / "registry.json"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30  # a readiness wait, not an assertion on speed
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the registry server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def test_confluent_client_register_and_read_back(live_url: str) -> None:
    client = SchemaRegistryClient({"url": live_url})
    text = schema("ConversationEvent").text
    schema_id = client.register_schema("conversations.inbound-value", Schema(text, "AVRO"))
    assert client.register_schema("conversations.inbound-value", Schema(text, "AVRO")) == schema_id
    assert json.loads(client.get_schema(schema_id).schema_str or "") == schema("ConversationEvent").json
    latest = client.get_latest_version("conversations.inbound-value")
    assert (latest.schema_id, latest.version, latest.subject) == (schema_id, 1, "conversations.inbound-value")
    assert client.get_subjects() == ["conversations.inbound-value"]
    assert client.get_versions("conversations.inbound-value") == [1]


def test_confluent_client_compatibility_calls(live_url: str) -> None:
    client = SchemaRegistryClient({"url": live_url})
    client.register_schema("s", Schema(V1, "AVRO"))
    assert client.test_compatibility("s", Schema(V2, "AVRO")) is True
    assert client.test_compatibility("s", Schema(V_BREAKING, "AVRO")) is False
    with pytest.raises(SchemaRegistryError) as caught:
        client.register_schema("s", Schema(V_BREAKING, "AVRO"))
    assert caught.value.http_status_code == 409
    answer: Any = client.set_compatibility("s", "NONE")
    assert answer == {"compatibility": "NONE"}
    assert client.test_compatibility("s", Schema(V_BREAKING, "AVRO")) is True
    assert client.register_schema("s", Schema(V_BREAKING, "AVRO")) == 2


def test_confluent_client_sees_404_for_unknown_ids(live_url: str) -> None:
    client = SchemaRegistryClient({"url": live_url})
    with pytest.raises(SchemaRegistryError) as caught:
        client.get_schema(12345)
    assert (caught.value.http_status_code, caught.value.error_code) == (404, 40403)


def test_avro_serializer_to_deserializer_round_trip_through_the_server(live_url: str) -> None:
    client = SchemaRegistryClient({"url": live_url})
    context = SerializationContext("conversations.feedback", MessageField.VALUE)
    datum = {
        "event_id": "f1",
        "conversation_id": "c1",
        "tenant_id": "acme",
        "reply_id": "r1",
        "message_id": None,
        "user_id": "u1",
        "source": "agent",
        "csat": 4,
        "thumbs": "down",
        "resolved": False,
        "corrected_intent": "refund",
        "corrected_polarity": "negative",
        "comment": "发货太慢",
        "ts": 1795248000000,
    }
    data = AvroSerializer(client, schema("Feedback").text)(datum, context)
    assert data is not None
    decoded = AvroDeserializer(client)(data, context)
    assert decoded is not None
    assert decoded["ts"].timestamp() * 1000 == datum["ts"]
    assert {**decoded, "ts": datum["ts"]} == datum
    # Kefu's own codec reads the same bytes through the same server.
    assert AvroCodec(client, schema("Feedback")).decode(data) == datum
