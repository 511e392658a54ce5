"""``local up | status | logs | down``: the CLI over the local runtime library.

Every verb first checks that the environment exists and that its deployer's target runs
on the local engine (``Target.engine == "local"``; exit 2 otherwise). ``up``
materialises ``runtime-config.json`` from the store and starts the supervisor; ``up`` on a
runtime that already runs is idempotent (it re-applies the store's state and returns the
running router's URL). The runtime library (``greentic_iac.local``) is imported inside the
handlers so other verbs stay fast.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

from greentic_iac.cli.context import Context, Rendered
from greentic_iac.errors import ConflictError, InvalidInputError
from greentic_iac.spec import EnvironmentState, validate_environment_id

# Reproducible weighted draws for tests and demos (never needed in normal use).
SEED_ENV = "GREENTIC_LOCAL_SEED"
LOG_TAIL_LINES = 200


def _local_engine_descriptors(ctx: Context) -> list[str]:
    """The registered deployers whose ``Target.engine`` is ``"local"`` (for the message)."""
    from greentic_iac.targets import registered_targets

    return [t.descriptor for t in registered_targets(ctx.registry) if t.engine == "local"]


def require_local_engine(ctx: Context, state: EnvironmentState) -> None:
    """InvalidInputError unless the environment's deployer target runs on the local engine
    (``Target.engine == "local"``): the local runtime runs nothing else."""
    deployer = state.environment.deployer()
    if deployer is not None:
        from greentic_iac.targets import target_for

        if target_for(state, lambda: ctx.registry).engine == "local":
            return
    bound = str(deployer.kind) if deployer is not None else "no deployer"
    local = " or ".join(_local_engine_descriptors(ctx)) or "a deployer with the local engine"
    raise InvalidInputError(
        f"environment_id: environment {state.environment.environment_id} uses {bound}, "
        f"not {local}; the local runtime only runs deployers whose engine is local"
    )


def _local_state(ctx: Context) -> tuple[EnvironmentState, Path]:
    from greentic_iac.local.sync import environment_dir

    environment_id = validate_environment_id(ctx.args.environment_id)
    state = ctx.store.load(environment_id)
    require_local_engine(ctx, state)
    return state, environment_dir(ctx.greentic_home, environment_id)


def _seed(ctx: Context) -> int | None:
    """``--seed``, else ``$GREENTIC_LOCAL_SEED``: a reproducible weighted choice (tests, demos)."""
    if getattr(ctx.args, "seed", None) is not None:
        return int(ctx.args.seed)
    raw = os.environ.get(SEED_ENV)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInputError(f"{SEED_ENV}: {raw!r} is not an integer") from None


def up(ctx: Context, payload: None) -> dict[str, Any]:
    from greentic_iac.local import DEFAULT_ROUTER_PORT, is_running, runtime_status, start_runtime
    from greentic_iac.local.sync import materialise, push_state

    state, env_dir = _local_state(ctx)
    requested: int | None = ctx.args.port
    if requested is not None and not 0 <= requested <= 65535:
        raise InvalidInputError(f"--port: {requested} is not a TCP port (0-65535)")
    if is_running(env_dir):
        status = runtime_status(env_dir)
        running_port = int(str(status.get("router_url", "")).rsplit(":", 1)[-1] or 0)
        if requested not in (None, 0, running_port):
            raise ConflictError(
                f"environment {env_dir.name}: the runtime already runs on port {running_port}; "
                "run `greentic-iac local down` first to move it"
            )
        generation = push_state(env_dir, state)
        return {
            "environment_id": env_dir.name,
            "already_running": True,
            "router_url": status.get("router_url"),
            "pid": status.get("pid"),
            "port": running_port,
            "generation": generation,
        }
    config = materialise(env_dir, state)
    port = DEFAULT_ROUTER_PORT if requested is None else requested
    detach = bool(ctx.args.detach)
    started = time.monotonic()
    handle = start_runtime(
        env_dir,
        port=port,
        detach=detach,
        trust_override_header=state.policy.trust_override_header,
        rng_seed=_seed(ctx),
    )
    result = {
        **handle.to_json_dict(),
        "already_running": False,
        "generation": config.generation,
        "deployments": len(config.deployments),
        "revisions": sum(len(d.revisions) for d in config.deployments),
        # How long until the router answered: what a person waited for.
        "started_in_s": round(time.monotonic() - started, 2),
    }
    if detach:
        return result
    # Foreground: SIGTERM stops everything the same way Ctrl-C does.
    # The signal may land anywhere in this block (even before wait() starts, right after
    # the banner a caller waits for), so the interrupt is caught here, not only in wait().
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        print(
            f"local runtime up at {handle.router_url} (pid {handle.pid}; {result['revisions']} "
            f"revisions, started in {result['started_in_s']:.1f}s); Ctrl-C to stop",
            file=sys.stderr,
            flush=True,
        )
        code = handle.wait()
    except KeyboardInterrupt:
        code = 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    from greentic_iac.local import stop_runtime

    stopped = stop_runtime(env_dir)
    return {
        **result,
        "exit_code": code,
        "stopped": True,
        "orphans_killed": stopped["orphans_killed"],
    }


def _interrupt(signum: int, frame: object) -> None:
    del signum, frame
    raise KeyboardInterrupt


def status(ctx: Context, payload: None) -> dict[str, Any]:
    from greentic_iac.local import runtime_status

    state, env_dir = _local_state(ctx)
    result = runtime_status(env_dir)
    result["state_generation"] = state.generation
    if result.get("running"):
        # Whether the router has applied the store's latest state (it polls every 0.2 s).
        result["current"] = result.get("generation") == state.generation
    return result


def _tail(path: Path, lines: int) -> list[str]:
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        return [line.rstrip("\n") for line in deque(handle, maxlen=lines)]


def logs(ctx: Context, payload: None) -> dict[str, Any] | Rendered:
    """The last LOG_TAIL_LINES lines of each log (JSON), or as text at a terminal."""
    from greentic_iac.local import log_paths

    env_dir = _local_state(ctx)[1]
    paths = log_paths(env_dir, ctx.args.revision)
    tails = {name: (path, _tail(path, LOG_TAIL_LINES)) for name, path in paths.items()}
    if ctx.output == "table":
        blocks = [
            f"==> {path} (last {LOG_TAIL_LINES} lines) <==\n" + "\n".join(lines)
            for path, lines in tails.values()
        ]
        return Rendered("\n\n".join(blocks) if blocks else "no logs yet")
    return {
        "tail_lines": LOG_TAIL_LINES,
        "logs": [
            {"name": name, "path": str(path), "lines": lines}
            for name, (path, lines) in tails.items()
        ],
    }


def down(ctx: Context, payload: None) -> dict[str, Any]:
    from greentic_iac.local import stop_runtime

    env_dir = _local_state(ctx)[1]
    return {"environment_id": env_dir.name, **stop_runtime(env_dir)}
