"""A stand-in for the ``pulumi`` CLI, driven by the Automation API in the apply tests.

The fixture copies this file to ``<tmp>/bin/pulumi`` with a shebang for this interpreter.
Every call appends one JSON line to ``$FAKE_PULUMI_LOG``: its argv (without
``--non-interactive``) and the environment variables that matter; the passphrase is
recorded only as *whether* it was set, never its value. Stacks and their config live in
``$FAKE_PULUMI_STATE``. ``$FAKE_PULUMI_SCENARIO`` (JSON) says, per operation (``preview``,
``up``, ``destroy``, ``preview-destroy`` for ``destroy --preview-only``, ``refresh``), which
engine events to write to ``--event-log``, what to print and the exit code; ``outputs`` and
``secret_outputs`` answer ``stack output``.
"""

import json
import os
import sys
import time
from pathlib import Path

VERSION = "v3.200.0"  # <= 3.205: the Automation API tails an --event-log file
RECORDED_ENV = (
    "PULUMI_BACKEND_URL",
    "PULUMI_CONFIG_PASSPHRASE_FILE",
    "PULUMI_AUTOMATION_API",
    "PULUMI_SKIP_UPDATE_CHECK",
    "GREENTIC_HOME",
    "GREENTIC_STORE",
)


def option(argv, name):
    if name in argv:
        index = argv.index(name)
        if index + 1 < len(argv):
            return argv[index + 1]
    return None


def load(path, default):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return default


def default_events(operation, stack):
    urn = f"urn:pulumi:{stack}::greentic-iac::kubernetes:apps/v1:Deployment::web"
    if operation == "preview-destroy":
        return [
            {"preludeEvent": {"config": {}}},
            {
                "resourcePreEvent": {
                    "metadata": {
                        "op": "delete",
                        "urn": urn,
                        "type": "kubernetes:apps/v1:Deployment",
                        "provider": "",
                    }
                }
            },
            {"summaryEvent": {"durationSeconds": 1, "resourceChanges": {"delete": 1}}},
        ]
    return [
        {"preludeEvent": {"config": {}}},
        {
            "resourcePreEvent": {
                "metadata": {
                    "op": "create",
                    "urn": urn,
                    "type": "kubernetes:apps/v1:Deployment",
                    "provider": "",
                }
            }
        },
        {"summaryEvent": {"durationSeconds": 1, "resourceChanges": {"create": 1, "same": 2}}},
    ]


def main():
    argv = [a for a in sys.argv[1:] if a != "--non-interactive"]
    record = {
        "argv": argv,
        "cwd": os.getcwd(),
        "env": {name: os.environ.get(name) for name in RECORDED_ENV},
        "passphrase_set": bool(os.environ.get("PULUMI_CONFIG_PASSPHRASE")),
    }
    with open(os.environ["FAKE_PULUMI_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")

    state_path = Path(os.environ["FAKE_PULUMI_STATE"])
    state = load(state_path, {"stacks": {}})
    scenario = load(os.environ.get("FAKE_PULUMI_SCENARIO", ""), {})
    stack = option(argv, "--stack")

    if argv[:1] == ["version"]:
        print(VERSION)
        return 0
    if argv[:2] == ["stack", "select"]:
        if stack not in state["stacks"]:
            print(f"error: no stack named '{stack}' found", file=sys.stderr)
            return 255
        return 0
    if argv[:2] == ["stack", "init"]:
        name = argv[2]
        state["stacks"][name] = {
            "config": {},
            "secrets_provider": option(argv, "--secrets-provider"),
        }
        state_path.write_text(json.dumps(state))
        return 0
    if argv[:2] == ["config", "set-all"]:
        config = state["stacks"][stack]["config"]
        for index, arg in enumerate(argv):
            if arg in ("--plaintext", "--secret"):
                key, _, value = argv[index + 1].partition("=")
                config[key] = value
        state_path.write_text(json.dumps(state))
        return 0
    if argv[:1] == ["config"] and "--json" in argv and "set-all" not in argv:
        config = state["stacks"][stack]["config"]
        print(json.dumps({k: {"value": v, "secret": False} for k, v in config.items()}))
        return 0
    if argv[:2] == ["config", "rm"]:
        state["stacks"][stack]["config"].pop(argv[2], None)
        state_path.write_text(json.dumps(state))
        return 0
    if argv[:2] == ["stack", "output"]:
        outputs = scenario.get("outputs", {})
        if "--show-secrets" not in argv:
            outputs = {
                k: ("[secret]" if k in scenario.get("secret_outputs", []) else v)
                for k, v in outputs.items()
            }
        print(json.dumps(outputs))
        return 0
    if argv[:2] == ["stack", "history"]:
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        entry = {
            "kind": "update",
            "startTime": now,
            "endTime": now,
            "message": "",
            "environment": {},
            "config": {},
            "result": "succeeded",
            "version": 1,
            "resourceChanges": {"create": 1},
        }
        print(json.dumps([entry]))
        return 0
    if argv and argv[0] in ("preview", "up", "destroy", "refresh"):
        # `destroy --preview-only` (Automation API preview_destroy) is its own scenario.
        operation = "preview-destroy" if argv[:2] == ["destroy", "--preview-only"] else argv[0]
        behaviour = scenario.get(operation, {})
        events = behaviour.get("events", default_events(operation, stack))
        event_log = option(argv, "--event-log")
        if event_log:
            with open(event_log, "a", encoding="utf-8") as handle:
                for sequence, event in enumerate([*events, {"cancelEvent": {}}]):
                    handle.write(json.dumps({"sequence": sequence, "timestamp": 0, **event}) + "\n")
        if behaviour.get("stdout"):
            print(behaviour["stdout"])
        if behaviour.get("stderr"):
            print(behaviour["stderr"], file=sys.stderr)
        return int(behaviour.get("exit", 0))
    print(f"error: the fake pulumi does not know {' '.join(argv)!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
