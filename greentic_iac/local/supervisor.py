"""The supervisor: one OS process per live revision, the router in front, a control API.

It runs as its own process (``python -m greentic_iac.local supervise``), detached or in
the foreground. It starts a process per revision in warming, ready or draining, health
checks it before the router may use it, restarts it with exponential backoff when it
crashes, and watches ``runtime-config.json``: a new generation swaps the route table in one
assignment and reconciles processes (new revisions start; removed ones first drain their
in-flight requests, then their process group is stopped). The control API on 127.0.0.1
(bearer token from the 0600 supervisor record) reports status and forces a reload.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import logging
import os
import secrets
import signal
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from greentic_iac.errors import GreenticError
from greentic_iac.local.config_io import parse_runtime_config, read_runtime_config
from greentic_iac.local.cookie import CookieSigner, load_or_create_key
from greentic_iac.local.dispatcher import Dispatcher
from greentic_iac.local.layout import RuntimeLayout
from greentic_iac.local.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from greentic_iac.local.pins import SessionPins
from greentic_iac.local.process_env import resolved_secrets, revision_environment
from greentic_iac.local.processes import parent_death_preexec, process_start_ticks
from greentic_iac.local.record import ChildRecord, SupervisorRecord, write_record
from greentic_iac.local.router import Backend, Router, RouterOptions, RouterServer, drain_wait
from greentic_iac.local.routes import RouteTable
from greentic_iac.local.settings import LocalRuntimeSettings, local_runtime_settings
from greentic_iac.spec import RuntimeConfig, RuntimeDeployment, RuntimeRevision
from greentic_iac.spec.config_keys import workload_config

log = logging.getLogger("greentic_iac.local.supervisor")

WATCH_INTERVAL_SECONDS = 0.2
STARTUP_HEALTH_SECONDS = 30.0
HEALTH_INTERVAL_SECONDS = 2.0
DRAIN_TIMEOUT_SECONDS = 30.0
STOP_GRACE_SECONDS = 5.0
BACKOFF_INITIAL_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 10.0


@dataclass(frozen=True)
class SupervisorOptions:
    port: int
    router: RouterOptions
    rng_seed: int | None = None


def bind_listener(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:``port`` (0: any free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RevisionProcess:
    """One revision's OS process: spawn, health check, restart with backoff, stop."""

    def __init__(
        self,
        supervisor: Supervisor,
        environment_id: str,
        deployment: RuntimeDeployment,
        revision: RuntimeRevision,
    ) -> None:
        self.supervisor = supervisor
        self.environment_id = environment_id
        self.deployment = deployment
        self.revision = revision
        self.revision_id = revision.revision_id
        self.backend = Backend(revision.revision_id, "")
        self.state = "starting"
        self.proc: asyncio.subprocess.Process | None = None
        self.port: int | None = None
        self.start_ticks: int | None = None
        self.restarts = 0
        self.last_exit: int | None = None
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"revision-{self.revision_id}")

    def argv(self, port: int) -> list[str]:
        if self.revision.command:
            return list(self.revision.command)
        return [
            sys.executable,
            "-m",
            "greentic_iac.local",
            "app",
            "--environment",
            self.environment_id,
            "--deployment-id",
            self.deployment.deployment_id,
            "--revision-id",
            self.revision_id,
            "--bundle-id",
            self.deployment.bundle_id,
            "--bundle-digest",
            self.revision.bundle_digest,
            "--port",
            str(port),
        ]

    def _config(self) -> dict[str, str]:
        """The revision's application config (frozen while it drains, never the tool's
        own keys); recomputed the same way from an older runtime-config.json."""
        if self.revision.config is not None:
            return dict(self.revision.config)
        config = self.supervisor.config
        environment = config.config if config else {}
        return dict(workload_config(environment, self.deployment.config))

    def environ(self, port: int) -> dict[str, str]:
        """An allow-listed environment (process_env.py), never the supervisor's own."""
        config = self.supervisor.config
        settings = self.supervisor.settings
        allowed = settings.pass_environment
        if not self.revision.command:
            # The built-in app is this package run by this interpreter: it needs the
            # supervisor's import path (a checkout on PYTHONPATH), nothing else of its env.
            allowed = (*allowed, "PYTHONPATH")
        return revision_environment(
            parent=os.environ,
            pass_environment=allowed,
            config=self._config(),
            secrets=resolved_secrets(
                self.supervisor.env_dir,
                self.environment_id,
                config.secrets_pack if config else None,
            ),
            revision={
                "PORT": str(port),
                "GREENTIC_ENVIRONMENT": self.environment_id,
                "GREENTIC_DEPLOYMENT_ID": self.deployment.deployment_id,
                "GREENTIC_REVISION_ID": self.revision_id,
                "GREENTIC_BUNDLE_ID": self.deployment.bundle_id,
                "GREENTIC_BUNDLE_DIGEST": self.revision.bundle_digest,
                "GREENTIC_SUPERVISOR_PID": str(os.getpid()),
            },
        )

    async def _run(self) -> None:
        backoff = BACKOFF_INITIAL_SECONDS
        while not self._stopping:
            started = time.monotonic()
            try:
                await self._spawn()
            except OSError as exc:
                self.state = "failed"
                log.error("revision %s: cannot start: %s", self.revision_id, exc)
            else:
                await self._serve_until_exit()
            if self._stopping:
                break
            if time.monotonic() - started > 30:
                backoff = BACKOFF_INITIAL_SECONDS
            self.restarts += 1
            log.warning(
                "revision %s exited (code %s); restarting in %.1fs",
                self.revision_id,
                self.last_exit,
                backoff,
            )
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX_SECONDS)

    async def _spawn(self) -> None:
        port = _free_port()
        layout = self.supervisor.layout
        layout.logs_dir.mkdir(parents=True, exist_ok=True)
        with layout.revision_log(self.revision_id).open("ab") as log_file:
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv(port),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log_file,
                stderr=asyncio.subprocess.STDOUT,
                env=self.environ(port),
                cwd=self.supervisor.env_dir,
                start_new_session=True,
                preexec_fn=parent_death_preexec(),
            )
        self.port = port
        self.start_ticks = process_start_ticks(self.proc.pid)
        self.backend = Backend(self.revision_id, f"http://127.0.0.1:{port}")
        self.supervisor.backends_changed(self)
        self.state = "starting"

    async def _serve_until_exit(self) -> None:
        assert self.proc is not None
        proc = self.proc
        health = asyncio.create_task(self._health_loop())
        try:
            self.last_exit = await proc.wait()
        finally:
            health.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await health
        self.backend.alive = False
        self.state = "exited"
        self.supervisor.backends_changed(self)

    async def _health_loop(self) -> None:
        deadline = time.monotonic() + STARTUP_HEALTH_SECONDS
        while not await self._healthy():
            if time.monotonic() > deadline:
                log.error("revision %s failed its start-up health check", self.revision_id)
                self.state = "unhealthy"
                self._terminate()
                return
            await asyncio.sleep(0.05)
        self.backend.alive = True
        self.state = "healthy"
        self.supervisor.health_changed.set()
        failures = 0
        while True:
            await asyncio.sleep(HEALTH_INTERVAL_SECONDS)
            if await self._healthy():
                failures = 0
                self.backend.alive = True
                self.state = "healthy"
            else:
                failures += 1
                if failures >= 3:
                    self.backend.alive = False
                    self.state = "unhealthy"

    async def _healthy(self) -> bool:
        # Any HTTP answer below 500 counts, so a bundle command without /healthz still
        # passes once it serves (documented in docs/targets/local.md).
        try:
            async with self.supervisor.http.get(
                f"{self.backend.url}/healthz", timeout=aiohttp.ClientTimeout(total=1.0)
            ) as response:
                return response.status < 500
        except (aiohttp.ClientError, TimeoutError, OSError):
            return False

    def _terminate(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGTERM)

    async def stop(self) -> None:
        self._stopping = True
        self.state = "stopping"
        self.backend.alive = False
        proc = self.proc
        if proc is not None and proc.returncode is None:
            pgid = proc.pid
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), STOP_GRACE_SECONDS)
            # The leader may be gone while a grandchild lingers: SIGKILL what is left.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), STOP_GRACE_SECONDS)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.state = "stopped"

    def status(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "healthy": self.backend.alive,
            "pid": self.proc.pid if self.proc and self.proc.returncode is None else None,
            "port": self.port,
            "restarts": self.restarts,
            "last_exit": self.last_exit,
            "command": list(self.revision.command) if self.revision.command else None,
            "log": str(self.supervisor.layout.revision_log(self.revision_id)),
        }


class Supervisor:
    def __init__(self, env_dir: Path, options: SupervisorOptions) -> None:
        self.env_dir = env_dir
        self.layout = RuntimeLayout(env_dir)
        self.options = options
        self.processes: dict[str, RevisionProcess] = {}
        self.retiring: dict[str, RevisionProcess] = {}
        self.config: RuntimeConfig | None = None
        self.settings = LocalRuntimeSettings()
        self.config_error: str | None = None
        self.health_changed = asyncio.Event()
        self.token = secrets.token_urlsafe(24)
        self.record: SupervisorRecord | None = None
        self._config_signature: tuple[int, int, int] | None = None
        self._config_text: str | None = None
        self._stop = asyncio.Event()
        self._reload_lock = asyncio.Lock()
        self._http: aiohttp.ClientSession | None = None
        self.router: Router | None = None
        self.router_server: RouterServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def http(self) -> aiohttp.ClientSession:
        assert self._http is not None
        return self._http

    # -- record -----------------------------------------------------------------------

    def _write_record(self) -> None:
        if self.record is None:
            return
        children = {}
        for revision_id, process in {**self.retiring, **self.processes}.items():
            if process.proc is not None and process.proc.returncode is None:
                children[revision_id] = ChildRecord(
                    pid=process.proc.pid,
                    pgid=process.proc.pid,
                    start_ticks=process.start_ticks,
                    port=process.port,
                )
        self.record.children = children
        write_record(self.layout.supervisor_record, self.record)

    def backends_changed(self, process: RevisionProcess) -> None:
        if self.router is not None and (
            process.revision_id in self.processes or process.revision_id in self.retiring
        ):
            self.router.backends[process.revision_id] = process.backend
        self._write_record()

    # -- config -----------------------------------------------------------------------

    def _signature(self) -> tuple[int, int, int] | None:
        try:
            st = self.layout.runtime_config.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    async def reload(self) -> int:
        """Re-read the config now; returns the applied generation. Raises GreenticError."""
        async with self._reload_lock:
            signature = self._signature()
            try:
                data = self.layout.runtime_config.read_bytes()
            except FileNotFoundError:
                self.config_error = f"{self.layout.runtime_config}: missing"
                raise
            self._config_signature = signature
            text = data.decode("utf-8", errors="replace")
            if text == self._config_text and self.config is not None:
                return self.config.generation
            try:
                config = parse_runtime_config(self.env_dir, data)
            except GreenticError as exc:
                self.config_error = str(exc)
                raise
            self.config_error = None
            self._config_text = text
            await self._apply(config)
            return config.generation

    async def _watch(self) -> None:
        while not self._stop.is_set():
            await asyncio.sleep(WATCH_INTERVAL_SECONDS)
            if self._signature() == self._config_signature:
                continue
            try:
                await self.reload()
            except (GreenticError, OSError) as exc:
                log.error(
                    "runtime config not applied, keeping generation %s: %s",
                    self.config.generation if self.config else None,
                    exc,
                )

    async def _apply(self, config: RuntimeConfig) -> None:
        assert self.router is not None
        wanted: dict[str, tuple[RuntimeDeployment, RuntimeRevision]] = {
            r.revision_id: (d, r) for d in config.deployments for r in d.revisions
        }
        for revision_id, (deployment, revision) in wanted.items():
            process = self.processes.get(revision_id) or self.retiring.pop(revision_id, None)
            if process is None:
                process = RevisionProcess(self, config.environment_id, deployment, revision)
                self.processes[revision_id] = process
                process.start()
            else:
                self.processes[revision_id] = process
                process.revision = revision
                process.deployment = deployment
            self.router.backends[revision_id] = process.backend
        # Swap first (removed revisions stop receiving new requests), then retire them.
        self.router.swap_table(RouteTable.from_config(config))
        self.config = config
        self.settings = local_runtime_settings(config.settings)
        self.router.options = dataclasses.replace(
            self.router.options, trusted_proxies=self.settings.proxy_networks()
        )
        if self.router_server is not None:
            self.router_server.limits.trusted_proxies = self.router.options.trusted_proxies
        for revision_id in [r for r in self.processes if r not in wanted]:
            process = self.processes.pop(revision_id)
            self.retiring[revision_id] = process
            task = asyncio.create_task(self._retire(process), name=f"retire-{revision_id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        log.info("applied runtime config generation %s", config.generation)

    async def _retire(self, process: RevisionProcess) -> None:
        assert self.router is not None
        await drain_wait(self.router, process.revision_id, DRAIN_TIMEOUT_SECONDS)
        if self.retiring.get(process.revision_id) is not process:
            return  # brought back by a newer config while draining
        await process.stop()
        self.retiring.pop(process.revision_id, None)
        self.router.backends.pop(process.revision_id, None)
        self._write_record()

    async def _wait_initial_health(self) -> None:
        deadline = time.monotonic() + STARTUP_HEALTH_SECONDS
        while not all(p.backend.alive for p in self.processes.values()):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self.health_changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.health_changed.wait(), min(remaining, 0.5))

    # -- control API --------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        assert self.router is not None and self.record is not None
        router = self.router
        deployments = []
        for deployment in self.config.deployments if self.config else []:
            revisions = []
            for revision in deployment.revisions:
                process = self.processes.get(revision.revision_id)
                revisions.append(
                    {
                        "revision_id": revision.revision_id,
                        "lifecycle": revision.lifecycle.value,
                        "weight_bps": revision.weight_bps,
                        "requests": router.requests.get(revision.revision_id, 0),
                        "in_flight": router.in_flight.get(revision.revision_id, 0),
                        "process": process.status() if process else None,
                    }
                )
            deployments.append(
                {
                    "deployment_id": deployment.deployment_id,
                    "bundle_id": deployment.bundle_id,
                    "host": deployment.route_binding.host,
                    "path_prefix": deployment.route_binding.path_prefix,
                    "split_generation": deployment.split_generation,
                    "revisions": revisions,
                }
            )
        return {
            "running": True,
            "environment_id": self.record.environment_id,
            "status": self.record.status,
            "pid": self.record.pid,
            "router_url": self.record.router_url,
            "started_at": self.record.started_at,
            "generation": router.table.generation,
            "config_error": self.config_error,
            "trust_override_header": self.options.router.trust_override_header,
            "deployments": deployments,
            "retiring": {
                rid: {**p.status(), "in_flight": router.in_flight.get(rid, 0)}
                for rid, p in self.retiring.items()
            },
            "requests": router.status()["requests"],
        }

    def control_app(self) -> web.Application:
        expected = f"Bearer {self.token}"

        @web.middleware
        async def authorise(request: web.Request, handler: Any) -> web.StreamResponse:
            supplied = request.headers.get("Authorization", "")
            if not secrets.compare_digest(supplied.encode(), expected.encode()):
                return web.json_response({"error": "unauthorised"}, status=401)
            response: web.StreamResponse = await handler(request)
            return response

        async def get_status(_: web.Request) -> web.Response:
            return web.json_response(self.status())

        async def post_reload(_: web.Request) -> web.Response:
            try:
                generation = await self.reload()
            except (GreenticError, OSError) as exc:
                return web.json_response({"error": str(exc)}, status=400)
            return web.json_response({"generation": generation})

        async def get_metrics(_: web.Request) -> web.Response:
            assert self.router is not None
            return web.Response(
                body=self.router.metrics.exposition(),
                headers={"Content-Type": METRICS_CONTENT_TYPE},
            )

        async def post_stop(_: web.Request) -> web.Response:
            self._stop.set()
            return web.json_response({"stopping": True})

        app = web.Application(middlewares=[authorise])
        app.router.add_get("/status", get_status)
        app.router.add_post("/reload", post_reload)
        app.router.add_post("/stop", post_stop)
        app.router.add_get("/metrics", get_metrics)
        return app

    # -- lifecycle ----------------------------------------------------------------------

    def _fail(self, kind: str, message: str, environment_id: str) -> int:
        record = SupervisorRecord(
            pid=os.getpid(),
            start_ticks=process_start_ticks(os.getpid()),
            environment_id=environment_id,
            status="failed",
            error=message,
            error_kind=kind,
            started_at=time.time(),
        )
        write_record(self.layout.supervisor_record, record)
        log.error("%s", message)
        return 4 if kind == "conflict" else 2

    async def run(self) -> int:
        env_id = self.env_dir.name
        try:
            config = read_runtime_config(self.env_dir)
            key = load_or_create_key(self.layout.cookie_key)
        except GreenticError as exc:
            return self._fail("invalid", str(exc), env_id)
        try:
            router_sock = bind_listener(self.options.port)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return self._fail(
                    "conflict",
                    f"port {self.options.port} on 127.0.0.1 is already in use; "
                    "choose another with --port",
                    env_id,
                )
            return self._fail(
                "invalid", f"cannot listen on port {self.options.port}: {exc}", env_id
            )
        control_sock = bind_listener(0)
        # Validated with the config; limits are read at start, trusted proxies on every apply.
        settings = local_runtime_settings(config.settings)
        router_options = dataclasses.replace(
            self.options.router,
            trusted_proxies=settings.proxy_networks(),
            header_timeout_seconds=settings.header_timeout_seconds,
            idle_timeout_seconds=settings.idle_timeout_seconds,
            max_connections=settings.max_connections,
            max_connections_per_client=settings.max_connections_per_client,
        )
        dispatcher = Dispatcher(
            CookieSigner(key),
            seed=self.options.rng_seed,
            pins=SessionPins(
                settings.max_session_pins, max_per_source=settings.max_session_pins_per_client
            ),
            trust_override=router_options.trust_override_header,
            cookie_ttl_seconds=router_options.cookie_ttl_seconds,
        )
        self.router = Router(dispatcher, router_options)
        router_server = RouterServer(self.router, shutdown_timeout=DRAIN_TIMEOUT_SECONDS)
        self.router_server = router_server
        control_runner = web.AppRunner(self.control_app(), access_log=None, handle_signals=False)
        port = router_sock.getsockname()[1]
        self.record = SupervisorRecord(
            pid=os.getpid(),
            start_ticks=process_start_ticks(os.getpid()),
            environment_id=config.environment_id,
            status="starting",
            router_url=f"http://127.0.0.1:{port}",
            port=port,
            control_url=f"http://127.0.0.1:{control_sock.getsockname()[1]}",
            token=self.token,
            started_at=time.time(),
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.add_signal_handler(sig, self._stop.set)
        self._http = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
        try:
            await router_server.setup()
            await control_runner.setup()
            await web.SockSite(control_runner, control_sock).start()
            self._write_record()
            self._config_signature = self._signature()
            self._config_text = self.layout.runtime_config.read_text(encoding="utf-8")
            await self._apply(config)
            await self._wait_initial_health()
            await router_server.listen(router_sock)
            self.record.status = "running"
            self._write_record()
            log.info(
                "router listening on %s (generation %s)", self.record.router_url, config.generation
            )
            watcher = asyncio.create_task(self._watch())
            await self._stop.wait()
            watcher.cancel()
            self.record.status = "stopping"
            self._write_record()
            # Stop accepting, let in-flight requests finish, then stop the processes.
            await router_server.cleanup()
            await asyncio.gather(
                *(p.stop() for p in [*self.processes.values(), *self.retiring.values()])
            )
            await control_runner.cleanup()
        finally:
            await self._http.close()
            for process in [*self.processes.values(), *self.retiring.values()]:
                process._terminate()
        with contextlib.suppress(FileNotFoundError):
            self.layout.supervisor_record.unlink()
        log.info("stopped")
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m greentic_iac.local supervise")
    parser.add_argument("--env-dir", required=True, type=Path)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--trust-override-header", action="store_true")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    options = SupervisorOptions(
        port=args.port,
        router=RouterOptions(trust_override_header=args.trust_override_header),
        rng_seed=args.seed,
    )
    supervisor = Supervisor(args.env_dir.resolve(), options)
    return asyncio.run(supervisor.run())
