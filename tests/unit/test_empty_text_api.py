"""Every ingesting route of the real API app refuses a message without text (422), before anything is produced.

The app's broker address leads nowhere: a refused request must answer without reaching it.
"""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from tests.kpi_rows import TENANT_KEY, kpi_api

KEY = {"X-API-Key": TENANT_KEY}
EMPTY_TEXT = {
    "index": 0,
    "path": "[0].text",
    "message": "text is empty or whitespace only; only system events may have no text",
    "error_class": "empty_text",
}


@pytest.fixture(scope="module")
def http() -> Iterator[TestClient]:
    with kpi_api() as app, TestClient(app) as client:  # the store holds acme's conversation c1 (agents' route)
        yield client


def event(index: int, **overrides: Any) -> dict[str, Any]:
    base = {
        "event_id": f"empty-{index}",
        "conversation_id": "c1",
        "tenant_id": "acme",
        "channel": "web",
        "user_id": "u1",
        "role": "customer",
        "text": "hi",
        "ts": 1_795_248_000_000,
    }
    return base | overrides


def rejected() -> float:
    return REGISTRY.get_sample_value("kefu_api_events_rejected_total", {"error_class": "empty_text"}) or 0.0


@pytest.mark.parametrize("blank", ["", "   ", "\u3000\n"])
def test_events_route_refuses_a_customer_message_without_text_naming_the_field(http: TestClient, blank: str) -> None:
    before = rejected()
    response = http.post("/v1/events", json=[event(0, text=blank)], headers=KEY)
    assert response.status_code == 422
    assert response.json()["errors"] == [EMPTY_TEXT]
    assert rejected() == before + 1


def test_events_route_refuses_blank_agent_and_bot_messages_and_lets_a_system_event_through(http: TestClient) -> None:
    batch = [event(0, role="system", text=""), event(1, role="agent", text=" "), event(2, role="bot", text="")]
    response = http.post("/v1/events", json=batch, headers=KEY)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["index"], e["path"], e["error_class"]) for e in errors] == [
        (1, "[1].text", "empty_text"),
        (2, "[2].text", "empty_text"),
    ]


def test_webchat_route_refuses_an_empty_message(http: TestClient) -> None:
    body = {"conversation_id": "c1", "user_id": "u1", "text": "", "message_id": "m-empty"}
    response = http.post("/v1/channels/webchat/messages", json=body, headers=KEY)
    assert response.status_code == 422
    assert response.json()["errors"] == [EMPTY_TEXT]


def email(body: str, subject: str | None) -> bytes:
    message = EmailMessage()
    message["From"] = "Li Lei <lilei@example.com>"
    message["To"] = "support@shop.example"
    if subject is not None:
        message["Subject"] = subject
    message["Message-ID"] = "<empty@mail.example.com>"
    message.set_content(body)
    return message.as_bytes()


@pytest.mark.parametrize(
    ("body", "subject"),
    [("", None), ("\n", "  "), ("\nOn Tue, 14 Nov 2023 at 22:13, Li Lei wrote:\n> Where is my refund?\n", "Re: x")],
)
def test_email_route_refuses_an_email_with_neither_body_nor_subject(
    http: TestClient, body: str, subject: str | None
) -> None:
    response = http.post("/v1/channels/email/acme", content=email(body, subject), headers=KEY)
    assert response.status_code == 422
    assert response.json()["errors"] == [EMPTY_TEXT]


def test_agents_reply_route_refuses_a_blank_reply_with_the_same_error(http: TestClient) -> None:
    body = {"text": " \n", "agent_id": "a7", "message_id": "m-blank"}
    response = http.post("/v1/conversations/c1/agent-replies", json=body, headers=KEY)
    assert response.status_code == 422
    assert response.json()["errors"] == [EMPTY_TEXT]


@pytest.mark.parametrize("content", ["", "  \n"])
def test_chat_completions_refuses_an_empty_last_user_message(http: TestClient, content: str) -> None:
    messages = [{"role": "user", "content": "我的快递到哪了？"}, {"role": "user", "content": content}]
    response = http.post("/v1/chat/completions", json={"messages": messages}, headers=KEY)
    assert response.status_code == 422
    assert response.json() == {  # OpenAI's shape: clients read error.message as a string
        "error": {
            "message": EMPTY_TEXT["message"],
            "type": "invalid_request_error",
            "param": "messages",
            "code": "empty_text",
        }
    }
