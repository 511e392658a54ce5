"""Bad payloads for every mutating verb: exit 2, one line naming the field, store unchanged."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.cli.conftest import SCRIPT

pytestmark = pytest.mark.integration

ULID = "01KS4MYQ376C5MGJBSAK8TFNAM"


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """One seeded home per module (seeding costs three CLI runs); tests copy it."""
    from greentic_iac.cli.main import run

    home = tmp_path_factory.mktemp("seeded") / "home"
    answers = tmp_path_factory.mktemp("answers")

    def call(*argv: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        extra: list[str] = []
        if payload is not None:
            path = answers / f"{len(list(answers.iterdir()))}.json"
            path.write_text(json.dumps(payload))
            extra = ["--answers", str(path)]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert run(["--home", str(home), "--output", "json", *argv, *extra]) == 0
        return dict(json.loads(out.getvalue())["result"])

    call("env", "init")
    deployment_id = call(
        "bundles",
        "add",
        payload={
            "environment_id": "local",
            "bundle_id": "b",
            "route_binding": {"host": "localhost"},
        },
    )["deployment_id"]
    staged = call(
        "revisions",
        "stage",
        payload={
            "environment_id": "local",
            "deployment_id": deployment_id,
            "bundle_digest": "sha256:aa",
        },
    )["revision_id"]
    return home, {"deployment_id": deployment_id, "staged": staged}


@pytest.fixture
def seeded(seeded_template: tuple[Path, dict[str, str]], home: Path) -> dict[str, str]:
    template, ids = seeded_template
    shutil.rmtree(home)
    shutil.copytree(template, home, symlinks=True)
    return ids


CASES: list[tuple[str, str, Any, str]] = [
    # (noun, verb, payload (callable of ids) or raw text, expected fragment of the one-line error)
    (
        "bundles",
        "add",
        lambda ids: {"environment_id": "local", "route_binding": {"host": "localhost"}},
        "bundle_id: field required",
    ),
    (
        "bundles",
        "add",
        lambda ids: {"environment_id": "local", "bundle_id": 5, "route_binding": {"host": "x"}},
        "bundle_id",
    ),
    (
        "bundles",
        "add",
        lambda ids: {
            "environment_id": "local",
            "bundle_id": "b",
            "route_binding": {"host": "x"},
            "colour": 1,
        },
        "colour: unknown field",
    ),
    (
        "bundles",
        "add",
        lambda ids: {"environment_id": "../x", "bundle_id": "b", "route_binding": {"host": "x"}},
        "environment_id",
    ),
    (
        "bundles",
        "add",
        lambda ids: {
            "environment_id": "local",
            "bundle_id": "b",
            "route_binding": {"host": "localhost", "path_prefix": "/"},
        },
        "route_binding: host 'localhost'",
    ),
    (
        "bundles",
        "remove",
        lambda ids: {"environment_id": "local", "deployment_id": ULID},
        "deployment_id",
    ),
    (
        "revisions",
        "stage",
        lambda ids: {
            "environment_id": "local",
            "deployment_id": ULID,
            "bundle_digest": "sha256:aa",
        },
        "deployment_id: deployment",
    ),
    (
        "revisions",
        "stage",
        lambda ids: {
            "environment_id": "local",
            "deployment_id": ids["deployment_id"],
            "bundle_digest": "md5:aa",
        },
        "bundle_digest",
    ),
    (
        "revisions",
        "warm",
        lambda ids: {"environment_id": "local", "revision_id": ULID},
        "revision_id: revision",
    ),
    (
        "revisions",
        "drain",
        lambda ids: {"environment_id": "local", "revision_id": ids["staged"]},
        "staged -> draining is not allowed",
    ),
    (
        "revisions",
        "archive",
        lambda ids: {"environment_id": "local", "revision_id": "nope"},
        "revision_id",
    ),
    (
        "traffic",
        "set",
        lambda ids: {
            "environment_id": "local",
            "deployment_id": ids["deployment_id"],
            "entries": [{"revision_id": ids["staged"], "weight_percent": 100}],
        },
        "only ready revisions may take weight",
    ),
    (
        "traffic",
        "set",
        lambda ids: {
            "environment_id": "local",
            "deployment_id": ids["deployment_id"],
            "entries": [{"revision_id": ids["staged"], "weight_percent": 99.5}],
        },
        "weights sum to 99.5%, they must sum to 100%",
    ),
    (
        "traffic",
        "set",
        lambda ids: {
            "environment_id": "local",
            "deployment_id": ids["deployment_id"],
            "entries": [{"revision_id": ULID, "weight_bps": 10000}],
        },
        "entries[0].revision_id",
    ),
    ("traffic", "set", lambda ids: {"environment_id": "local", "entries": []}, "entries: must not"),
    (
        "traffic",
        "set",
        lambda ids: {
            "environment_id": "local",
            "deployment_id": ids["deployment_id"],
            "entries": [],
        },
        "entries: must not be empty",
    ),
    (
        "traffic",
        "set",
        lambda ids: {"environment_id": "local", "deployments": []},
        "deployments: must",
    ),
    (
        "traffic",
        "set",
        lambda ids: {
            "environment_id": "local",
            "deployments": [
                {
                    "deployment_id": ids["deployment_id"],
                    "entries": [{"revision_id": ids["staged"], "weight_bps": 10000}],
                },
                {"deployment_id": ULID, "entries": []},
            ],
        },
        "deployments[1].entries: must not be empty",
    ),
    (
        "traffic",
        "set",
        lambda ids: {
            "environment_id": "local",
            "deployments": [
                {
                    "deployment_id": ids["deployment_id"],
                    "entries": [{"revision_id": ids["staged"], "weight_bps": 9000}],
                },
            ],
        },
        "deployments[0].entries: weights sum to 9000 bps",
    ),
    (
        "traffic",
        "rollback",
        lambda ids: {"environment_id": "local", "deployment_id": ids["deployment_id"]},
        "no previous split",
    ),
    (
        "config",
        "set",
        lambda ids: {"environment_id": "local", "key": "bad key!", "value": "x"},
        "key",
    ),
    ("env", "create", lambda ids: {"environment_id": "Prod", "packs": []}, "environment_id"),
    (
        "env",
        "create",
        lambda ids: {
            "environment_id": "local",
            "packs": [
                {"slot": "telemetry", "kind": "greentic.telemetry.stdout@0.1.0"},
                {"slot": "deployer", "kind": "acme.deployer.nowhere@1.0.0"},
            ],
        },
        "packs[1].kind: no env-pack handler is registered for 'acme.deployer.nowhere'",
    ),
    ("env", "remove", lambda ids: {"environment_id": "local"}, "still has 1 deployment"),
    ("bundles", "add", "{not json", "not valid JSON"),
    ("bundles", "add", "", "answers file is empty"),
    ("bundles", "add", "[1, 2]", "must be a JSON object"),
    ("traffic", "set", "null", "must be a JSON object"),
]


@pytest.mark.parametrize(("noun", "verb", "payload", "fragment"), CASES)
def test_bad_payload_changes_nothing(
    cli: Any,
    home: Path,
    tree_digest: Any,
    seeded: dict[str, str],
    noun: str,
    verb: str,
    payload: Any,
    fragment: str,
) -> None:
    before = tree_digest(home)
    answers = payload(seeded) if callable(payload) else payload
    run = cli(noun, verb, answers=answers)
    assert run.code == 2, (run.code, run.stderr)
    lines = run.stderr.strip().splitlines()
    assert fragment in lines[0], lines[0]
    # One line per problem: each further line names the answers file and a field too.
    assert all(line.count(": ") >= 2 for line in lines), run.stderr
    assert "Traceback" not in run.stderr
    assert run.json["error"]["exit_code"] == 2
    assert tree_digest(home) == before


# Strict JSON and strict types, run in this process (a console-script start per case would
# cost ten times the checks themselves); the assertions are the ones above.
STRICT_CASES: list[tuple[str, str, Any, str]] = [
    # A key holding a line break (U+0085, which str.splitlines honours) stays one line.
    (
        "bundles",
        "add",
        '{"environment_id": "local", "bundle_id": "b", "route_binding": {"host": "x.y"},'
        ' "a\\u0085b": 1}',
        "['a\\x85b']: unknown field",
    ),
    # Strict JSON: what json.loads accepts quietly is refused, naming the field.
    (
        "bundles",
        "add",
        '{"environment_id": "local", "bundle_id": "b", "bundle_id": "c",'
        ' "route_binding": {"host": "x.y"}}',
        "(document): duplicate key 'bundle_id'",
    ),
    (
        "bundles",
        "add",
        '{"environment_id": "local", "bundle_id": "b", "route_binding": {"host": "x.y"},'
        ' "settings": {"ports": {"a": 1, "a": 2}}}',
        "settings.ports: duplicate key 'a'",
    ),
    *[
        (
            "bundles",
            "add",
            '{"environment_id": "local", "bundle_id": "b", "route_binding": {"host": "x.y"},'
            f' "settings": {{"desired_count": {number}}}}}',
            f"settings.desired_count: {fragment}",
        )
        for number, fragment in (
            ("NaN", "NaN is not a number"),
            ("-Infinity", "-Infinity is not a number"),
            ("1e999", "number out of range"),
            ("9" * 5000, "integer out of range"),
        )
    ],
    ("bundles", "add", "[" * 100_000, "(document): nested deeper than 32 levels"),
    (
        "bundles",
        "add",
        '{"environment_id": "local", "bundle_id": "b", "route_binding": {"host": "x.y"},'
        ' "settings": {"a": ' + "[" * 40 + "]" * 40 + "}}",
        "nested deeper than 32 levels",
    ),
    (
        "revisions",
        "stage",
        lambda ids: (
            '{"environment_id": "local", "deployment_id": "'
            + ids["deployment_id"]
            + '", "bundle_digest": "sha256:aa", "command": ["run", "\\ud800"]}'
        ),
        "command[1]: contains a lone surrogate",
    ),
    (
        "revisions",
        "stage",
        lambda ids: {
            "environment_id": "local",
            "deployment_id": ids["deployment_id"],
            "bundle_digest": "sha256:aa",
            "command": ["run\u0000me"],
        },
        "command[0]: contains a NUL character",
    ),
    (
        "bundles",
        "add",
        lambda ids: {
            "environment_id": "local",
            "bundle_id": "b",
            "route_binding": {"host": "x.y"},
            "expected_generation": True,
        },
        "expected_generation: Input should be a valid integer",
    ),
    (
        "env",
        "remove",
        lambda ids: {"environment_id": "local", "force": 1},
        "force: Input should be a valid boolean",
    ),
    (
        "config",
        "set",
        lambda ids: {"environment_id": "local", "key": "PORT", "value": 8080},
        "value: Input should be a valid string",
    ),
]


@pytest.mark.parametrize(("noun", "verb", "payload", "fragment"), STRICT_CASES)
def test_strict_answers_change_nothing(
    home: Path,
    tmp_path: Path,
    tree_digest: Any,
    seeded: dict[str, str],
    noun: str,
    verb: str,
    payload: Any,
    fragment: str,
) -> None:
    from tests.support.cli_runner import run_cli

    before = tree_digest(home)
    answers = payload(seeded) if callable(payload) else payload
    path = tmp_path / "strict.json"
    path.write_text(answers if isinstance(answers, str) else json.dumps(answers))
    run = run_cli(home, noun, verb, "--answers", str(path))
    assert run.code == 2, (run.code, run.stderr)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in run.stderr
    assert run.json["error"]["exit_code"] == 2
    assert tree_digest(home) == before


def test_answers_that_are_a_directory_or_missing(
    cli: Any, home: Path, tree_digest: Any, seeded: dict[str, str], tmp_path: Path
) -> None:
    before = tree_digest(home)
    for source, fragment in (
        (str(tmp_path), "is a directory"),
        (str(tmp_path / "missing.json"), "not found"),
    ):
        run = cli("bundles", "add", "--answers", source)
        assert run.code == 2 and fragment in run.stderr
    assert tree_digest(home) == before


def test_missing_environment_is_exit_2(cli: Any) -> None:
    run = cli("env", "show", "nowhere")
    assert run.code == 2
    assert "nowhere" in run.stderr


@pytest.mark.parametrize("bad", ["../x", "Prod"])
def test_bad_environment_ids_on_read_verbs(cli: Any, bad: str) -> None:
    run = cli("revisions", "list", bad)
    assert run.code == 2 and "environment_id" in run.stderr


def _schema(noun: str, verb: str) -> dict[str, Any]:
    from greentic_iac.cli.main import run

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert run([noun, verb, "--schema"]) == 0
    return dict(json.loads(out.getvalue()))


def test_schema_for_every_verb(cli: Any, home: Path, tree_digest: Any) -> None:
    import jsonschema

    from greentic_iac.cli.verbs import VERBS

    before = tree_digest(home)
    # One verb through the console script; the rest in-process (same code path, no spawn).
    assert json.loads(cli("traffic", "set", "--schema").stdout)["title"] == "TrafficSetPayload"
    for verb in VERBS:
        jsonschema.Draft202012Validator.check_schema(_schema(verb.noun, verb.name))
    assert tree_digest(home) == before


def test_schemas_accept_the_seed_payloads(cli: Any) -> None:
    import jsonschema

    seed = {
        ("bundles", "add"): {
            "environment_id": "local",
            "bundle_id": "fast2flow",
            "route_binding": {"host": "localhost", "path_prefix": "/"},
        },
        ("revisions", "stage"): {
            "environment_id": "local",
            "deployment_id": "01KS4MYQ376C5MGJBSAK8TFNAM",
            "bundle_digest": "sha256:abc123",
        },
        ("revisions", "warm"): {
            "environment_id": "local",
            "revision_id": "01KS4N68NZ4AG30J041NA6SC9H",
        },
        ("traffic", "set"): {
            "environment_id": "local",
            "deployment_id": "01KS4MYQ376C5MGJBSAK8TFNAM",
            "idempotency_key": "first-rollout",
            "entries": [{"revision_id": "01KS4N68NZ4AG30J041NA6SC9H", "weight_percent": 100}],
        },
        ("env-packs", "add"): {
            "environment_id": "demo",
            "slot": "secrets",
            "kind": "acme.secrets.vault@0.4.2",
            "pack_ref": "oci://ghcr.io/acme/greentic-secrets-vault:0.4.2",
            "answers_ref": "env-packs/secrets/answers.json",
        },
        ("env-packs", "remove"): {"environment_id": "demo", "slot": "secrets"},
        ("extensions", "add"): {
            "environment_id": "demo",
            "kind": "acme.oauth.auth0@1.0.0",
            "pack_ref": "oci://ghcr.io/acme/greentic-oauth-auth0:1.0.0",
            "instance_id": "primary",
            "answers_ref": "extensions/acme.oauth.auth0-primary/answers.json",
        },
    }
    for (noun, verb), payload in seed.items():
        schema = _schema(noun, verb)
        jsonschema.validate(payload, schema)


def test_answers_that_cannot_be_read_are_refused_without_hanging(
    cli: Any, home: Path, tree_digest: Any, seeded: dict[str, str], tmp_path: Path
) -> None:
    fifo = tmp_path / "answers.fifo"
    os.mkfifo(fifo)
    unreadable = tmp_path / "answers.bin"
    unreadable.write_bytes(b'{"environment_id": "\xff"}')
    before = tree_digest(home)
    for source, fragment in (
        # No writer ever opens the FIFO: reading it would block for ever (cli times out).
        (str(fifo), "not a regular file"),
        (str(tmp_path / ("a" * 300)), "File name too long"),
        ("/dev/null/answers.json", "cannot read answers file"),
        (str(unreadable), "not UTF-8 text"),
    ):
        run = cli("bundles", "add", "--answers", source)
        assert run.code == 2, (source, run.stderr)
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and fragment in lines[0], (source, run.stderr)
    assert SCRIPT is not None
    piped = subprocess.run(
        [SCRIPT, "--home", str(home), "bundles", "add", "--answers", "-"],
        input=b'{"environment_id": "\xfe"}',
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert piped.returncode == 2
    assert piped.stderr.decode().splitlines() == ["error: <stdin>: answers file is not UTF-8 text"]
    closed = subprocess.run(
        ["sh", "-c", 'exec "$0" --home "$1" bundles add --answers - <&-', SCRIPT, str(home)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert closed.returncode == 2, closed.stderr
    assert closed.stderr.decode().splitlines() == [
        "error: <stdin>: --answers - needs a standard input, and it is closed"
    ]
    assert tree_digest(home) == before


@pytest.fixture
def immutable() -> Iterator[Callable[[Path], None]]:
    """``chattr +i`` (root ignores file modes, not this flag), undone after the test."""
    marked: list[Path] = []

    def mark(path: Path) -> None:
        if shutil.which("chattr") is None:
            pytest.skip("chattr is not installed")
        done = subprocess.run(
            ["chattr", "+i", str(path)], check=False, capture_output=True, timeout=10
        )
        if done.returncode != 0:
            pytest.skip(f"chattr +i is not permitted here: {done.stderr.decode().strip()}")
        marked.append(path)

    yield mark
    for path in reversed(marked):
        subprocess.run(["chattr", "-i", str(path)], check=False, capture_output=True, timeout=10)


def test_an_immutable_audit_log_or_home_is_one_line_exit_1(
    cli: Any, home: Path, seeded: dict[str, str], tmp_path: Path, immutable: Any
) -> None:
    payload = {"environment_id": "local", "bundle_id": "c", "route_binding": {"host": "c.x"}}
    audit = home / "environments" / "local" / "audit" / "events.jsonl"
    immutable(audit)
    run = cli("bundles", "add", answers=payload)
    assert run.code == 1, run.stderr
    assert run.stderr.strip().splitlines() == [f"error: {audit}: Operation not permitted"]
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr

    parent = tmp_path / "read-only"
    parent.mkdir()
    immutable(parent)
    run = cli("--home", str(parent / "home"), "env", "init")
    assert run.code == 1, run.stderr
    assert run.stderr.strip().splitlines() == [f"error: {parent / 'home'}: Operation not permitted"]


EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.mark.parametrize(
    ("example", "deployment_settings", "revision_settings", "fragment"),
    [
        ("k8s", {"port": "x"}, {"replicas": -1}, "settings.port: Input should be a valid integer"),
        ("k8s", {"colour": 1}, {"port": 70000}, "settings.colour: unknown field"),
        ("aws-ecs", {"port": 80}, {"container_port": 0}, "settings.port: unknown field"),
    ],
)
def test_settings_the_deployer_refuses_are_refused_when_written(
    tmp_path: Path,
    tree_digest: Any,
    example: str,
    deployment_settings: dict[str, Any],
    revision_settings: dict[str, Any],
    fragment: str,
) -> None:
    """Checked only at plan time, one bad value broke plan/preview/export for everyone."""
    from tests.support.cli_runner import run_cli

    home = tmp_path / "home"
    # The example environment, named local so no grant is needed to change it.
    environment = json.loads((EXAMPLES / example / "environment.json").read_text())
    environment["environment_id"] = "local"
    answers = tmp_path / "answers.json"

    def call(noun: str, verb: str, payload: dict[str, Any]) -> Any:
        answers.write_text(json.dumps({"environment_id": "local", **payload}))
        return run_cli(home, noun, verb, "--answers", str(answers))

    answers.write_text(json.dumps(environment))
    assert run_cli(home, "env", "create", "--answers", str(answers)).code == 0
    route = {"host": "app.example.com"}
    before = tree_digest(home)
    refused = call(
        "bundles",
        "add",
        {"bundle_id": "b", "route_binding": route, "settings": deployment_settings},
    )
    assert refused.code == 2, refused.stderr
    assert refused.stderr.splitlines() == [refused.stderr.strip()]
    assert fragment in refused.stderr and "refuses it" in refused.stderr
    assert tree_digest(home) == before

    added = call("bundles", "add", {"bundle_id": "b", "route_binding": route})
    assert added.code == 0, added.stderr
    deployment_id = added.result["deployment_id"]
    before = tree_digest(home)
    stage = {"deployment_id": deployment_id, "bundle_digest": "sha256:ab", "image": "nginx:1"}
    refused = call("revisions", "stage", {**stage, "settings": revision_settings})
    assert refused.code == 2, refused.stderr
    assert refused.stderr.startswith("error: settings."), refused.stderr
    assert tree_digest(home) == before
    # What the deployer accepts is still accepted, and the plan still compiles.
    assert call("revisions", "stage", {**stage, "settings": {}}).code == 0
    assert run_cli(home, "plan", "local").code == 0


def test_deployer_settings_its_schema_allows_but_its_model_refuses_are_refused(
    tmp_path: Path, tree_digest: Any
) -> None:
    """A Fargate cpu/memory pair passes the manifest's JSON Schema; the target refuses it."""
    from tests.support.cli_runner import run_cli

    home = tmp_path / "home"
    environment = json.loads((EXAMPLES / "aws-ecs" / "environment.json").read_text())
    environment["environment_id"] = "local"
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(environment))
    assert run_cli(home, "env", "create", "--answers", str(answers)).code == 0
    deployer = next(p for p in environment["packs"] if p["slot"] == "deployer")
    settings = {**deployer["settings"], "service": {"cpu": 256, "memory": 4096}}
    update = {**deployer, "environment_id": "local", "settings": settings}
    update.setdefault("pack_ref", "builtin://greentic.deployer.aws-ecs")
    answers.write_text(json.dumps(update))
    before = tree_digest(home)
    refused = run_cli(home, "env-packs", "update", "--answers", str(answers))
    assert refused.code == 2, refused.stderr
    assert refused.stderr.splitlines() == [
        "error: settings.service: memory 4096 MiB is not valid with cpu 256 (allowed 512-2048 "
        "in steps of 512) (greentic.deployer.aws-ecs@1.0.0 refuses it)"
    ]
    assert tree_digest(home) == before
    assert run_cli(home, "plan", "local").code == 0
    update["settings"] = {**settings, "service": {"cpu": 256, "memory": 1024}}
    answers.write_text(json.dumps(update))
    assert run_cli(home, "env-packs", "update", "--answers", str(answers)).code == 0


def test_every_problem_is_listed_each_naming_its_field(cli: Any, home: Path) -> None:
    run = cli(
        "traffic",
        "set",
        answers={
            "environment_id": "local",
            "deployment_id": 5,
            "entries": [{"revision_id": "x", "weight_bps": 10000}, {"weight_percent": 200}],
            "bogus": 1,
        },
    )
    assert run.code == 2
    lines = run.stderr.strip().splitlines()
    fields = [line.removeprefix("error: ").split(": ")[1] for line in lines]
    assert fields == [
        "deployment_id",
        "entries[0].revision_id",
        "entries[1].revision_id",
        "entries[1].weight_percent",
        "bogus",
    ]
    assert "more)" not in run.stderr
