"""HTTP surface of the embedded registry: the Confluent Schema Registry REST subset (AVRO only).

Enough for ``confluent_kafka.schema_registry`` clients, ``AvroSerializer``/``AvroDeserializer`` and curl:
register, lookup, schema by id, subjects, versions, delete, compatibility config and checks. Production uses
Confluent Schema Registry or Karapace at ``KEFU_SCHEMA_REGISTRY_URL`` instead.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from schemas.registry.store import IncompatibleSchema, InvalidRequest, InvalidSchema, NotFound, SchemaStore

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse({"error_code": code, "message": message}, status_code=status, media_type=CONTENT_TYPE)


def _ok(body: Any) -> JSONResponse:
    return JSONResponse(body, media_type=CONTENT_TYPE)


async def _schema_body(request: Request) -> str:
    body = await request.json()
    if not isinstance(body, dict) or not isinstance(body.get("schema"), str):
        raise InvalidSchema("request body must be an object with a 'schema' string")
    if body.get("schemaType", "AVRO").upper() != "AVRO":
        raise InvalidSchema(f"schemaType {body['schemaType']!r} is not supported; this registry serves AVRO")
    if body.get("references"):
        raise InvalidSchema("schema references are not supported by the embedded registry")
    text: str = body["schema"]
    return text


def create_registry_app(store: SchemaStore) -> FastAPI:
    app = FastAPI(title="Kefu embedded schema registry", docs_url=None, redoc_url=None)

    @app.exception_handler(NotFound)
    async def not_found(_: Request, error: NotFound) -> JSONResponse:
        return _error(404, error.code, str(error))

    @app.exception_handler(InvalidSchema)
    async def invalid(_: Request, error: InvalidSchema) -> JSONResponse:
        return _error(422, 42201, str(error))

    @app.exception_handler(InvalidRequest)
    async def invalid_request(_: Request, error: InvalidRequest) -> JSONResponse:
        return _error(422, error.code, str(error))

    @app.exception_handler(IncompatibleSchema)
    async def incompatible(_: Request, error: IncompatibleSchema) -> JSONResponse:
        return _error(409, 409, f"Schema being registered is incompatible with an earlier schema: {error}")

    @app.get("/")
    async def root() -> JSONResponse:
        return _ok({})

    @app.get("/health")
    async def health() -> JSONResponse:
        return _ok({"status": "ok", "subjects": len(store.subjects())})

    @app.get("/schemas/types")
    async def types() -> JSONResponse:
        return _ok(["AVRO"])

    @app.get("/schemas/ids/{schema_id}")
    async def by_id(schema_id: int) -> JSONResponse:
        return _ok({"schema": store.schema_text(schema_id)})

    @app.get("/schemas/ids/{schema_id}/schema")
    async def raw_by_id(schema_id: int) -> JSONResponse:
        return _ok(json.loads(store.schema_text(schema_id)))

    @app.get("/schemas/ids/{schema_id}/subjects")
    async def subjects_by_id(schema_id: int) -> JSONResponse:
        return _ok(sorted({s for s, _ in store.subjects_of(schema_id)}))

    @app.get("/schemas/ids/{schema_id}/versions")
    async def versions_by_id(schema_id: int) -> JSONResponse:
        return _ok([{"subject": s, "version": v} for s, v in store.subjects_of(schema_id)])

    @app.get("/subjects")
    async def subjects(deleted: bool = False) -> JSONResponse:
        return _ok(store.subjects(include_deleted=deleted))

    @app.get("/subjects/{subject}/versions")
    async def versions(subject: str) -> JSONResponse:
        return _ok(store.versions(subject))

    @app.post("/subjects/{subject}/versions")
    async def register(subject: str, request: Request) -> JSONResponse:
        version, sid = store.register(subject, await _schema_body(request))
        return _ok({"id": sid, "subject": subject, "version": version})

    @app.post("/subjects/{subject}")
    async def lookup(subject: str, request: Request) -> JSONResponse:
        text = await _schema_body(request)
        version, sid = store.lookup(subject, text)
        return _ok({"subject": subject, "id": sid, "version": version, "schema": store.schema_text(sid)})

    @app.get("/subjects/{subject}/versions/{version}")
    async def get_version(subject: str, version: str) -> JSONResponse:
        number, sid, text = store.version(subject, version)
        return _ok({"subject": subject, "id": sid, "version": number, "schema": text})

    @app.get("/subjects/{subject}/versions/{version}/schema")
    async def get_version_schema(subject: str, version: str) -> JSONResponse:
        _, _, text = store.version(subject, version)
        return _ok(json.loads(text))

    @app.delete("/subjects/{subject}")
    async def delete_subject(subject: str, permanent: bool = False) -> JSONResponse:
        return _ok(store.delete_subject(subject, permanent=permanent))

    @app.get("/config")
    async def get_config() -> JSONResponse:
        return _ok({"compatibilityLevel": store.level()})

    @app.put("/config")
    async def put_config(request: Request) -> JSONResponse:
        body = await request.json()
        return _ok({"compatibility": store.set_level(str(body.get("compatibility", "")))})

    @app.get("/config/{subject}")
    async def get_subject_config(subject: str) -> JSONResponse:
        return _ok({"compatibilityLevel": store.level(subject)})

    @app.put("/config/{subject}")
    async def put_subject_config(subject: str, request: Request) -> JSONResponse:
        body = await request.json()
        return _ok({"compatibility": store.set_level(str(body.get("compatibility", "")), subject)})

    @app.post("/compatibility/subjects/{subject}/versions/{version}")
    async def check(subject: str, version: str, request: Request, verbose: bool = False) -> JSONResponse:
        errors = store.check(subject, await _schema_body(request), version)
        body: dict[str, Any] = {"is_compatible": not errors}
        if verbose:
            body["messages"] = errors
        return _ok(body)

    @app.post("/compatibility/subjects/{subject}/versions")
    async def check_all(subject: str, request: Request, verbose: bool = False) -> JSONResponse:
        errors = store.check(subject, await _schema_body(request))
        body: dict[str, Any] = {"is_compatible": not errors}
        if verbose:
            body["messages"] = errors
        return _ok(body)

    return app
