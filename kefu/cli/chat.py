"""``kefu chat``: talk to the running platform's bot in the terminal (streamed, with citations and hand-offs)."""

from __future__ import annotations

import json
import sys
import uuid
from typing import Annotated, Any

import httpx
import typer

from kefu.cli.chat_stream import Answer, StreamError, citation_lines, handoff_line, read_chunks
from kefu.settings import get_settings
from kefu.state import pid_alive, read_state

TIMEOUT = httpx.Timeout(10.0, read=120.0)


def _endpoint(url: str | None, api_key: str | None) -> tuple[str, str]:
    state = read_state(get_settings())
    live = state if state is not None and pid_alive(state.pid) else None
    url = url or (live.http if live else None)
    api_key = api_key or (live.api_key if live else None) or (live.webchat_key if live else None)
    if not url or not api_key:
        print(
            "no running platform found (`kefu status`); start it with `kefu up` or pass --url and --api-key",
            file=sys.stderr,
        )
        raise typer.Exit(2)
    return url.rstrip("/"), api_key


def _ask(client: httpx.Client, url: str, conversation: str, question: str, quiet: bool) -> dict[str, Any]:
    """Send one question; print the answer as it streams (unless quiet); return text and Kefu's fields."""
    body = {"model": "kefu", "stream": True, "user": conversation, "messages": [{"role": "user", "content": question}]}
    answer = Answer()
    with client.stream(
        "POST", f"{url}/v1/chat/completions", json=body, headers={"X-Conversation-Id": conversation}
    ) as response:
        if response.status_code != 200:
            response.read()
            raise StreamError(f"{response.status_code}: {response.text[:300]}")
        for piece in read_chunks(response.iter_lines()):
            shown = answer.add(piece)
            if not quiet and shown:
                sys.stdout.write(shown)
                sys.stdout.flush()
    kefu = answer.kefu
    if kefu is None:
        raise StreamError("the stream ended without Kefu's final chunk")
    if not quiet:
        print()
        for line in citation_lines(kefu):
            print("  " + line)
        notice = handoff_line(kefu)
        if notice:
            print(notice)
    return {"conversation_id": conversation, "text": answer.text, "kefu": kefu}


def _agent_messages(client: httpx.Client, url: str, conversation: str, after: int) -> int:
    """Print human agents' messages since ``after`` (ms); the newest time seen."""
    response = client.get(f"{url}/v1/conversations/{conversation}/messages", params={"after": after})
    if response.status_code == 200:
        for message in response.json()["messages"]:
            print(f"[人工客服 agent {message['user_id']}] {message['text']}")
            after = max(after, int(message["ts"]))
    return after


def chat(
    once: Annotated[str | None, typer.Option("--once", help="Ask one question, print the answer and exit.")] = None,
    url: Annotated[str | None, typer.Option(help="API URL; default: the running platform's (kefu status).")] = None,
    api_key: Annotated[str | None, typer.Option(help="API key; default: the running platform's dev key.")] = None,
    conversation: Annotated[str | None, typer.Option(help="Conversation id; default: a new one.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="With --once: print text and Kefu's fields as JSON.")] = False,
) -> None:
    """Chat with the bot in the terminal; an empty line or Ctrl-D ends. Citations and hand-offs are shown."""
    url, key = _endpoint(url, api_key)
    conversation = conversation or f"cli-{uuid.uuid4()}"
    with httpx.Client(timeout=TIMEOUT, headers={"X-API-Key": key}) as client:
        try:
            if once is not None:
                answer = _ask(client, url, conversation, once, quiet=as_json)
                if as_json:
                    print(json.dumps(answer, ensure_ascii=False))
                return
            print(f"Kefu 客服 · conversation {conversation} (empty line or Ctrl-D to quit)")
            seen = 0
            while True:
                seen = _agent_messages(client, url, conversation, seen)
                try:
                    question = input("你> ").strip()
                except EOFError:
                    print()
                    return
                if not question:
                    return
                sys.stdout.write("客服> ")
                _ask(client, url, conversation, question, quiet=False)
        except (httpx.HTTPError, StreamError) as error:
            print(f"chat failed: {error}", file=sys.stderr)
            raise typer.Exit(1) from None


def register(app: typer.Typer) -> None:
    app.command()(chat)
