"""What each route that reads its own body takes, for ``/openapi.json`` and the Swagger page at ``/docs``.

Kefu's handlers parse their bodies themselves, so that a bad one gets Kefu's error (the field path of the Avro
contract, OpenAI's error shape on the chat route) rather than FastAPI's; FastAPI therefore cannot see the bodies,
and the OpenAPI document used to show none. :func:`document_bodies` adds them, and the error answers each route
gives, to the app's document: the events' schema comes from the Avro contract (:mod:`schemas.json_schema`), the
others name the fields and limits their parsers check. The parsers stay the authority; tests post every
documented example to the real API and fuzz it from this document (``tests/integration/test_api_fuzz.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from kefu.settings import Settings
from processors.validation import MAX_ID_CHARS as MAX_EVENT_ID_CHARS
from processors.validation import MAX_METADATA_ENTRIES, MAX_METADATA_VALUE_CHARS
from schemas.catalog import schema
from schemas.json_schema import JsonSchema, record_json_schema
from serving.api.analyst import MAX_SQL_CHARS
from serving.channels.agent import MAX_ID_CHARS as AGENT_ID_CHARS
from serving.channels.feedback import MAX_COMMENT_CHARS, MAX_ID_CHARS, MAX_INTENT_CHARS, POLARITIES, SOURCES

__all__ = ["BODIES", "ERRORS", "ROUTE_ERRORS", "document_bodies"]

EXAMPLE_EVENT = {
    "event_id": "e1",
    "conversation_id": "c1",
    "tenant_id": "acme",
    "channel": "web",
    "user_id": "u1",
    "role": "customer",
    "text": "我的快递到哪了？",
    "ts": "2026-11-21T08:00:00Z",
}

ERRORS: dict[int, str] = {
    400: "The body is not valid JSON, or (`/v1/sql`) the statement was refused or failed: `error` says why.",
    401: "No valid API key or JWT.",
    403: "The key's tenant may not do this (another tenant's data, or a web-chat key acting as an agent).",
    404: "No such conversation for this key's tenant.",
    409: "Another agent holds the conversation (`held_by`); send `take_over: true` to answer anyway.",
    413: "The body is larger than KEFU_MAX_REQUEST_BYTES, or carries more events than KEFU_MAX_EVENTS_PER_REQUEST.",
    422: "The body is well-formed JSON that breaks the contract: `error` (and `errors`, per event) name the field.",
    429: "Rate limited, or (`/v1/sql`) another analyst statement is running: retry after `Retry-After` seconds.",
    503: "A part the route needs is not running or not configured (the store, the reply stream, a channel).",
    504: "No reply came in time (`/v1/chat/completions`): is the responder running?",
}


def _json(body: JsonSchema, example: Any) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": body, "example": example}}}}


def _raw(media_type: str, description: str) -> dict[str, Any]:
    content = {media_type: {"schema": {"type": "string", "format": "binary"}}}
    return {"requestBody": {"required": True, "description": description, "content": content}}


def _id(description: str, max_length: int = MAX_ID_CHARS) -> JsonSchema:
    return {"type": "string", "minLength": 1, "maxLength": max_length, "description": description}


def event_schema(settings: Settings) -> JsonSchema:
    """A ConversationEvent as the API takes it: the Avro contract plus :func:`processors.validation.validate_event`'s
    limits (ids, text length, metadata size, the tenants this deployment knows)."""
    event = record_json_schema(schema("ConversationEvent").json)
    fields = event["properties"]
    for name in ("event_id", "conversation_id", "tenant_id"):
        fields[name] |= {"minLength": 1, "maxLength": MAX_EVENT_ID_CHARS, "pattern": r"\S"}
    fields["tenant_id"]["not"] = {"const": "*"}
    known = settings.known_tenants()
    if known is not None:
        fields["tenant_id"]["enum"] = sorted(known)
    fields["text"] |= {
        "maxLength": settings.max_text_chars,
        "description": f"{fields['text'].get('description', '')} Not blank, except in a system event.".strip(),
    }
    fields["ts"]["anyOf"][0]["minimum"] = 0
    fields["metadata"] |= {"maxProperties": MAX_METADATA_ENTRIES}
    fields["metadata"]["additionalProperties"] |= {"maxLength": MAX_METADATA_VALUE_CHARS}
    return event


def events_body(settings: Settings) -> dict[str, Any]:
    """``POST /v1/events``: one ConversationEvent or an array of them, as in the Avro contract."""
    event = event_schema(settings)
    many = {"type": "array", "items": event, "minItems": 1, "maxItems": settings.max_events_per_request}
    return _json({"anyOf": [many, event]}, [EXAMPLE_EVENT])


def webchat_body(settings: Settings) -> dict[str, Any]:
    """``POST /v1/channels/webchat/messages``: a widget's message; the rest of the event is filled in."""
    contract = event_schema(settings)["properties"]
    body: JsonSchema = {
        "type": "object",
        "required": ["conversation_id", "user_id", "text"],
        "properties": {
            "conversation_id": contract["conversation_id"],
            "user_id": contract["user_id"],
            "text": contract["text"],
            "message_id": {"type": "string", "description": "The client's id: a retried message is stored once."},
            "ts": contract["ts"],
            "locale": contract["locale"],
            "metadata": contract["metadata"],
        },
    }
    return _json(body, {"conversation_id": "c1", "user_id": "u1", "text": "退货的运费谁出？", "message_id": "m1"})


def email_body(settings: Settings) -> dict[str, Any]:
    """``POST /v1/channels/email/{tenant_id}``: one RFC 822 message, raw."""
    return _raw("message/rfc822", "One e-mail as received (RFC 822); its thread is the conversation.")


def wechat_body(settings: Settings) -> dict[str, Any]:
    """``POST /v1/channels/wechat``: WeChat's XML callback, verified by its signature."""
    return _raw("text/xml", "WeChat's message XML, as its servers post it.")


def chat_body(settings: Settings) -> dict[str, Any]:
    """``POST /v1/chat/completions``: the OpenAI chat request fields Kefu reads; others are accepted and ignored."""
    message = {
        "type": "object",
        "required": ["role", "content"],
        "properties": {"role": {"type": "string", "enum": ["system", "user", "assistant"]}, "content": {}},
    }
    body: JsonSchema = {
        "type": "object",
        "required": ["messages"],
        "properties": {
            "model": {"type": "string", "description": "Echoed back; the responder chooses the generator."},
            "messages": {
                "type": "array",
                "items": message,
                "description": "The last `user` message with string content is the customer's question.",
            },
            "user": {"type": "string", "description": "Conversation id (unless X-Conversation-Id is sent)."},
            "stream": {"type": "boolean", "default": False, "description": "Server-sent events, sentence by sentence."},
            "stream_options": {
                "type": "object",
                "properties": {"include_usage": {"type": "boolean", "description": "End with a usage chunk."}},
            },
        },
    }
    example = {"model": "kefu", "user": "c1", "messages": [{"role": "user", "content": "退货的运费谁出？"}]}
    return _json(body, example)


def feedback_body(settings: Settings) -> dict[str, Any]:
    """``POST /v1/feedback``: ratings from customers, corrected labels from agents and analysts."""
    body: JsonSchema = {
        "type": "object",
        "required": ["conversation_id"],
        "minProperties": 2,
        "properties": {
            "conversation_id": _id("The rated conversation."),
            "source": {"type": "string", "enum": list(SOURCES), "default": "customer"},
            "tenant_id": _id("Required with an operator key; otherwise the key's tenant."),
            "reply_id": _id("The bot reply rated."),
            "message_id": _id("The customer message corrected (required with a correction)."),
            "user_id": _id("Who gave it; a customer id that is personal data is stored as a pseudonym."),
            "feedback_id": _id("The client's id: a retried rating is stored once."),
            "csat": {"type": "integer", "minimum": 1, "maximum": 5},
            "thumbs": {"type": "string", "enum": ["up", "down"]},
            "resolved": {"type": "boolean"},
            "corrected_intent": {"type": "string", "minLength": 1, "maxLength": MAX_INTENT_CHARS},
            "corrected_polarity": {"type": "string", "enum": list(POLARITIES)},
            "comment": {"type": "string", "maxLength": MAX_COMMENT_CHARS, "description": "PII-masked when stored."},
        },
        "description": "At least one of csat, thumbs, resolved, corrected_intent, corrected_polarity, comment.",
    }
    return _json(body, {"conversation_id": "c1", "reply_id": "r-1", "thumbs": "up", "csat": 5})


def agent_reply_body(settings: Settings) -> dict[str, Any]:
    """``POST /v1/conversations/{conversation_id}/agent-replies``: an agent's message to the customer."""
    body: JsonSchema = {
        "type": "object",
        "required": ["text", "agent_id"],
        "properties": {
            "text": {"type": "string", "minLength": 1},
            "agent_id": _id("Who answers; their messages hold the conversation.", AGENT_ID_CHARS),
            "message_id": _id("The client's id: a retried reply is sent once.", AGENT_ID_CHARS),
            "locale": {"type": "string"},
            "release": {"type": "boolean", "default": False, "description": "The last message: back to the bot."},
            "take_over": {"type": "boolean", "default": False, "description": "Answer a conversation another holds."},
        },
    }
    return _json(body, {"text": "您好，我是客服小王，马上为您处理。", "agent_id": "a7", "message_id": "m1"})


def sql_body(settings: Settings) -> dict[str, Any]:
    """``POST /v1/sql``: one read-only statement with bound parameters."""
    scalar = {"type": ["string", "number", "boolean", "null"]}
    body: JsonSchema = {
        "type": "object",
        "required": ["sql"],
        "properties": {
            "sql": {"type": "string", "minLength": 1, "maxLength": MAX_SQL_CHARS, "description": "One SELECT."},
            "params": {"type": "object", "additionalProperties": scalar, "description": "`{name:Type}` values."},
            "tenant": {
                "type": ["string", "null"],
                "minLength": 1,
                "description": "An operator key's choice of tenant (a tenant's key reads its own).",
            },
        },
    }
    since = "2026-11-21 00:00:00"
    sql = "SELECT intent, count() AS n FROM events WHERE ts > {since:DateTime} GROUP BY intent"
    return _json(body, {"sql": sql, "params": {"since": since}})


#: (method, path) -> the request body of that route.
BODIES: dict[tuple[str, str], Callable[[Settings], dict[str, Any]]] = {
    ("post", "/v1/events"): events_body,
    ("post", "/v1/channels/webchat/messages"): webchat_body,
    ("post", "/v1/channels/email/{tenant_id}"): email_body,
    ("post", "/v1/channels/wechat"): wechat_body,
    ("post", "/v1/chat/completions"): chat_body,
    ("post", "/v1/feedback"): feedback_body,
    ("post", "/v1/conversations/{conversation_id}/agent-replies"): agent_reply_body,
    ("post", "/v1/sql"): sql_body,
}

_ANY_KEYED = (401, 429)  # every route behind a key: no key, and the per-user and per-IP limits
#: (method, path) -> the error statuses that route answers with, beyond FastAPI's own 422 for bad parameters.
ROUTE_ERRORS: dict[tuple[str, str], tuple[int, ...]] = {
    ("post", "/v1/events"): (*_ANY_KEYED, 400, 403, 413, 422),
    ("post", "/v1/channels/webchat/messages"): (*_ANY_KEYED, 403, 413, 422),
    ("post", "/v1/channels/email/{tenant_id}"): (*_ANY_KEYED, 403, 413, 422),
    ("post", "/v1/channels/wechat"): (403, 413, 503),
    ("get", "/v1/channels/wechat"): (403, 503),
    ("post", "/v1/chat/completions"): (*_ANY_KEYED, 400, 403, 413, 422, 503, 504),
    ("post", "/v1/feedback"): (*_ANY_KEYED, 400, 403, 413, 422),
    ("post", "/v1/conversations/{conversation_id}/agent-replies"): (*_ANY_KEYED, 400, 403, 404, 409, 413, 422, 503),
    ("post", "/v1/sql"): (*_ANY_KEYED, 400, 403, 413, 422, 503),
    ("get", "/v1/kpis"): (*_ANY_KEYED, 403, 503),
    ("get", "/v1/kpis/csat"): (*_ANY_KEYED, 403, 503),
    ("get", "/v1/handoffs"): (*_ANY_KEYED, 403, 503),
    ("get", "/v1/conversations/{conversation_id}/transcript"): (*_ANY_KEYED, 403, 404, 503),
    ("get", "/v1/conversations/{conversation_id}/messages"): (*_ANY_KEYED, 403),
}


def document_bodies(app: FastAPI, settings: Settings) -> None:
    """Make ``app.openapi()`` (``/openapi.json``) carry :data:`BODIES` and :data:`ROUTE_ERRORS`.

    A route named here that the app lacks is a ``KeyError`` when the document is first built, so a renamed route
    cannot lose its documentation quietly (the API tests fetch the document).
    """

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, routes=app.routes)
            for (method, path), body in BODIES.items():
                document["paths"][path][method].update(body(settings))
            for (method, path), statuses in ROUTE_ERRORS.items():
                answers = document["paths"][path][method].setdefault("responses", {})
                for status in statuses:
                    answers.setdefault(str(status), {"description": ERRORS[status]})
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise the document
