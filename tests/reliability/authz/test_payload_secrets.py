"""Issue 17: a secret in a plain payload field (config, settings, image, answers_ref,
tenant.team, command, ...) is refused with exit 2 naming the field, before anything is
stored, and the error never echoes the value; ``secrets put`` is where a secret goes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli_runner import run_cli

from .conftest import ConsoleScript

pytestmark = [pytest.mark.integration, pytest.mark.reliability]  # the console script runs

# Built at run time so this file holds no literal secret shape of its own.
AWS_KEY_ID = "AKIA" + "ZXCVBNMQWERTYPLK"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYzXcvbnmQWE"
GITHUB = "ghp_" + "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6"
SLACK = "xoxb-" + "2048-1024-abcdefghijklmnop"
PRIVATE_KEY = (
    "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----"
)
LOCAL_DEPLOYER = "greentic.deployer.local-process@0.1.0"
DEPLOYMENT = "01KS4MYQ376C5MGJBSAK8TFNAM"

CASES: list[tuple[tuple[str, str], dict[str, Any], str, str]] = [
    (
        ("config", "set"),
        {"environment_id": "local", "key": "aws", "value": AWS_KEY_ID},
        "value: an AWS access key id",
        AWS_KEY_ID,
    ),
    (
        ("env", "create"),
        {
            "environment_id": "demo",
            "packs": [{"slot": "deployer", "kind": LOCAL_DEPLOYER, "settings": {"t": GITHUB}}],
        },
        "packs[0].settings.t: a GitHub token",
        GITHUB,
    ),
    (
        ("env", "create"),
        {
            "environment_id": "demo",
            "tenant": {"tenant": "acme", "team": SLACK},
            "packs": [{"slot": "deployer", "kind": LOCAL_DEPLOYER}],
        },
        "tenant.team: a Slack token",
        SLACK,
    ),
    (
        ("bundles", "add"),
        {
            "environment_id": "local",
            "bundle_id": "b",
            "route_binding": {"host": "localhost"},
            "settings": {"tls": {"key": PRIVATE_KEY}},
        },
        "settings.tls.key: a private key",
        "MIIEowIBAAKCAQEA7",
    ),
    (
        ("revisions", "stage"),
        {
            "environment_id": "local",
            "deployment_id": DEPLOYMENT,
            "bundle_digest": "sha256:aa",
            "command": ["serve", "--token", GITHUB],
        },
        "command[2]: a GitHub token",
        GITHUB,
    ),
    (
        ("revisions", "stage"),
        {
            "environment_id": "local",
            "deployment_id": DEPLOYMENT,
            "bundle_digest": "sha256:aa",
            "image": f"registry.example/app:{AWS_KEY_ID}",
        },
        "image: an AWS access key id",
        AWS_KEY_ID,
    ),
    (
        ("extensions", "add"),
        {
            "environment_id": "local",
            "kind": "acme.oauth.auth0@1.0.0",
            "pack_ref": "oci://ghcr.io/acme/greentic-oauth-auth0:1.0.0",
            "answers_ref": GITHUB,
        },
        "answers_ref: a GitHub token",
        GITHUB,
    ),
    (
        ("env-packs", "add"),
        {
            "environment_id": "local",
            "slot": "secrets",
            "kind": "acme.secrets.vault@0.4.2",
            "pack_ref": "oci://ghcr.io/acme/greentic-secrets-vault:0.4.2",
            "settings": {"aws": [{"id": AWS_KEY_ID, "secret": AWS_SECRET}]},
        },
        "settings.aws[0].id: an AWS access key id",
        AWS_SECRET,
    ),
]


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


@pytest.fixture
def used_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    assert run_cli(home, "env", "init", "local").code == 0
    return home


@pytest.mark.parametrize(
    ("verb", "payload", "field", "value"),
    CASES,
    ids=[f"{' '.join(verb)}:{field.split(':')[0]}" for verb, _, field, _ in CASES],
)
def test_a_secret_in_a_plain_field_is_refused_without_echoing_it(
    used_home: Path, verb: tuple[str, str], payload: dict[str, Any], field: str, value: str
) -> None:
    answers = used_home.parent / "answers.json"
    answers.write_text(json.dumps(payload))
    before = _tree(used_home)

    outcome = run_cli(used_home, *verb, "--answers", str(answers))

    assert outcome.code == 2, outcome.stdout + outcome.stderr
    [line] = outcome.stderr.splitlines()
    assert line.startswith(f"error: {field} found in a plain field")
    # the key pair: both fields are found, the first is named
    assert ("(and 1 more field(s))" in line) == (verb == ("env-packs", "add"))
    assert "greentic-iac secrets put" in line
    assert value not in outcome.stderr + outcome.stdout
    assert "Traceback" not in outcome.stderr
    assert _tree(used_home) == before


def test_secrets_put_still_takes_a_secret_and_references_pass(
    script: ConsoleScript, tmp_path: Path
) -> None:
    assert script.in_process("env", "init", "local").code == 0
    put = script.in_process(
        "secrets", "put", answers={"environment_id": "local", "name": "gh", "value": GITHUB}
    )
    assert put.code == 0, put.stderr
    reference = put.result["reference"]
    assert GITHUB not in put.stdout

    refused = script(
        "config", "set", answers={"environment_id": "local", "key": "gh", "value": GITHUB}
    )
    assert refused.code == 2
    assert "value: a GitHub token found in a plain field" in refused.stderr
    assert GITHUB not in refused.stderr + refused.stdout

    referenced = script.in_process(
        "config", "set", answers={"environment_id": "local", "key": "gh", "value": reference}
    )
    assert referenced.code == 0, referenced.stderr


def test_the_screen_survives_hostile_shapes_and_names_nested_fields() -> None:
    from greentic_iac.cli.payload_secrets import secret_fields

    deep: dict[str, Any] = {"leaf": GITHUB}
    for _ in range(5000):  # deeper than the interpreter's recursion limit
        deep = {"n": deep}
    [found] = secret_fields({"settings": deep})
    assert found.startswith("settings.n.n.") and found.endswith(".leaf: a GitHub token")
    # A lone surrogate or NUL in a string is data to screen, not a crash.
    assert secret_fields({"command": ["\ud800", "a\x00b", f"\ud800{AWS_KEY_ID}"]}) == [
        "command[2]: an AWS access key id"
    ]
    # A secret as a key is found too; references and ordinary data are not.
    assert secret_fields({"settings": {GITHUB: "x", "n": {GITHUB: 1}}}) == [
        "settings.<a key holding a secret>: a GitHub token",
        "settings.n.<a key holding a secret>: a GitHub token",
    ]
    assert secret_fields({"value": "secret://db-password", "image": "nginx:1.27"}) == []
    assert secret_fields({"value": GITHUB}, exempt=frozenset({"value"})) == []
    # A line break or an escape-worthy character right before a token does not hide it.
    assert secret_fields({"value": f"x\n{GITHUB}", "image": f"\t{AWS_KEY_ID}"}) == [
        "value: a GitHub token",
        "image: an AWS access key id",
    ]


def test_the_screened_kinds_are_the_scanners_own() -> None:
    from greentic_iac.bundles.secret_rules import ALL_KINDS
    from greentic_iac.cli.payload_secrets import OWN_KINDS

    # Every kind of the scanner's own rules is classified here (refused or deliberately not),
    # so a new own rule is a decision, not a silent gitleaks-style refusal.
    assert set(ALL_KINDS) == set(OWN_KINDS)


def test_provider_tokens_of_the_gitleaks_rules_are_refused_but_public_ids_are_not() -> None:
    from greentic_iac.cli.payload_secrets import secret_fields

    stripe = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
    found = secret_fields({"config": {"payments": stripe}})
    assert len(found) == 1 and found[0].startswith("config.payments: a ")
    assert "gitleaks rule" in found[0] and stripe not in found[0]
    assert (
        secret_fields({"image": "ghcr.io/acme/app:1.2.3", "command": ["serve", "--port", "80"]})
        == []
    )
