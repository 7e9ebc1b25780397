"""A real embedded platform (`kefu up`: Tansu, registry, Faust worker, HTTP API) for the integration tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from tests.integration.smtp_inbox import Inbox, start_smtp_server

# `kefu up` is ready in ~10 s on a quiet machine; a shared, loaded one (CI, several engineers) needs longer.
STARTUP_TIMEOUT_S = float(os.environ.get("KEFU_TEST_STARTUP_TIMEOUT_S", "300"))


@dataclass
class Platform:
    process: subprocess.Popen[bytes]
    data_dir: Path
    status: dict[str, Any]
    startup_s: float

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "KEFU_DATA_DIR": str(self.data_dir)}

    def kefu(self, *args: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kefu", *args],
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
            env=self.env,
            timeout=timeout,
        )


def eventually(probe: Callable[[], Any], timeout_s: float = 30.0, every_s: float = 0.5) -> Any:
    """``probe()``'s first truthy answer within ``timeout_s``, asked every ``every_s``; else its last answer."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = probe()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(every_s)


def start_platform(data_dir: Path, ready_timeout_s: float = STARTUP_TIMEOUT_S, **env: str) -> Platform:
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "kefu", "up"],
        # The backbone tests need neither the models nor the responder; their own tests start them.
        env={
            **os.environ,
            "KEFU_DATA_DIR": str(data_dir),
            "KEFU_SERVING": "off",
            "KEFU_RESPONDER_ENABLED": "false",
            "KEFU_READY_TIMEOUT_S": str(STARTUP_TIMEOUT_S),
            **env,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = started + ready_timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"kefu up exited with {process.returncode}:\n{output}")
        result = subprocess.run(
            [sys.executable, "-m", "kefu", "status", "--json"],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "KEFU_DATA_DIR": str(data_dir)},
        )
        if result.returncode == 0:
            return Platform(process, data_dir, json.loads(result.stdout), time.monotonic() - started)
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"kefu up was not healthy within {ready_timeout_s:.0f} s")


def stop_platform(platform: Platform) -> int:
    platform.process.send_signal(signal.SIGTERM)
    return platform.process.wait(timeout=60)


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    running = start_platform(tmp_path_factory.mktemp("kefu-data"))
    print(f"\nembedded platform healthy after {running.startup_s:.1f}s")
    yield running
    stop_platform(running)


WECHAT_TOKEN = "kefu-test-token"
KB_QUESTION = "退货的运费谁出？"  # verbatim in the sample FAQ: an extractive, cited answer without a generator
# Tenant `default` runs an A/B experiment, so replies carry a variant (the conversation loop checks it).
EXPERIMENTS = {
    "experiments": [
        {
            "name": "gen",
            "tenant_id": "default",
            "variants": [
                {"name": "control", "params": {"generator_profile": "quality"}},
                {"name": "fast", "params": {"generator_profile": "fast"}},
            ],
        }
    ]
}


def start_responder_platform(data_dir: Path, **env: str) -> Platform:
    """A platform with the responder on (models off unless ``env`` points it at some) and the sample knowledge
    base ingested into tenant ``default``; bounds generous enough for a loaded, shared machine."""
    running = start_platform(
        data_dir,
        ready_timeout_s=600,
        KEFU_RESPONDER_ENABLED="true",
        KEFU_READY_TIMEOUT_S="500",
        **env,
    )
    ingested = running.kefu("kb", "ingest", "--sample", "--tenant", "default", timeout=300)
    if ingested.returncode != 0:
        stop_platform(running)
        raise RuntimeError(f"kefu kb ingest --sample failed:\n{ingested.stderr}")
    return running


@pytest.fixture(scope="session")
def smtp_inbox() -> Iterator[Inbox]:
    """The SMTP server the responder platform mails its answers to e-mail customers to."""
    controller, inbox = start_smtp_server()
    yield inbox
    controller.stop()


@pytest.fixture(scope="session")
def responder_platform(tmp_path_factory: pytest.TempPathFactory, smtp_inbox: Inbox) -> Iterator[Platform]:
    """ONE responder platform (models off, sample KB) for the modules that only talk to it: the conversation
    loop, chat channels, the chat page, the OpenAI client, e-mail answers and the PII scan. Each test uses its own
    conversation ids (and tenants where it counts rows), none stops or breaks a part of it; fault tests start
    their own."""
    data_dir = tmp_path_factory.mktemp("kefu-responder")
    experiments = data_dir / "experiments.json"
    experiments.write_text(json.dumps(EXPERIMENTS))
    running = start_responder_platform(
        data_dir,
        KEFU_EXPERIMENTS_FILE=str(experiments),
        KEFU_WECHAT_TOKEN=WECHAT_TOKEN,
        KEFU_CHAT_REPLY_TIMEOUT_S="240",  # the first answer loads the models on a busy machine
        KEFU_SMTP_HOST="127.0.0.1",
        KEFU_SMTP_PORT=str(smtp_inbox.port),
        KEFU_SMTP_SECURITY="none",
    )
    print(f"\nresponder platform healthy after {running.startup_s:.1f}s")
    try:
        # loads the embedder in the worker before the first test's deadlines start
        warm = ask(running, f"warm-{uuid.uuid4().hex[:6]}", KB_QUESTION, timeout_s=300)
        assert warm.status_code == 200, warm.text
        yield running
    finally:
        stop_platform(running)


def ask(platform: Platform, conversation: str, text: str, timeout_s: float = 90) -> httpx.Response:
    """One customer message through ``POST /v1/chat/completions`` (full API key), waiting for the bot's answer."""
    return httpx.post(
        f"{platform.status['http']}/v1/chat/completions",
        headers={"Authorization": f"Bearer {platform.status['api_key']}", "X-Conversation-Id": conversation},
        json={"model": "kefu", "messages": [{"role": "user", "content": text}]},
        timeout=timeout_s,
    )


def read_topic(bootstrap: str, topic: str, marker: bytes, expected: int, timeout_s: float = 60.0) -> list[Any]:
    """Messages of ``topic`` whose key or value contains ``marker`` (a test run's id), from the beginning, until
    ``expected`` of them arrived or ``timeout_s`` passed without one.

    Assigns partitions directly (no consumer-group join), so reading starts at once.
    """
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"test-{uuid.uuid4().hex}", "enable.auto.commit": False}
    )
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    messages: list[Any] = []
    last = time.monotonic()
    try:
        while len(messages) < expected and time.monotonic() - last < timeout_s:
            batch = consumer.consume(1000, 0.5)
            for message in batch:
                if message.error() is None and _has(message, marker):
                    messages.append(message)
                    last = time.monotonic()
        # Linger briefly so duplicates that would arrive right after the expected count are seen too.
        messages += [m for m in consumer.consume(10_000, 1.0) if m.error() is None and _has(m, marker)]
    finally:
        consumer.close()
    return messages


def _has(message: Any, marker: bytes) -> bool:
    return marker in (message.value() or b"") or marker in (message.key() or b"")
