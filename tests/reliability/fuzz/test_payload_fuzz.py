"""Fuzz every mutating verb's payload in-process: exit 0 or a one-line refusal, store unchanged.

Each example copies a seeded home (an environment with a deployment, a ready revision that
carries the whole split and a staged one), writes one answers file (a valid document for
the verb, or that document mutated: wrong types, huge, deep or odd values, unknown or
missing fields, surrogates and NULs, duplicate keys and non-JSON numbers in the raw text),
and runs the verb. A refusal (exit 2, or 4 for a conflict) must be one line on stderr of
the form ``error: <where>: <what>``, with no traceback, and must leave every byte of the
store as it was (refused input is not audited: docs/store.md "Refused input").
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.support.cli_runner import Outcome, run_cli
from tests.support.soak import soak_examples

pytestmark = [pytest.mark.reliability, pytest.mark.soak]

ULID = "01KS4MYQ376C5MGJBSAK8TFNAM"
LOCAL_DEPLOYER = "greentic.deployer.local-process@0.1.0"
# ``error: <answers file>: <field path>: <rule>`` (or a store-level ``environment X: …``).
REFUSAL = re.compile(r"^error: \S.*: .+$")
PROBLEM = re.compile(r"^\S.*: \S+: .+$")


TELEMETRY = {
    "environment_id": "local",
    "slot": "telemetry",
    "kind": "greentic.telemetry.stdout@0.1.0",
    "pack_ref": "builtin://greentic.telemetry.stdout",
}

SEEDED_KEY = "seeded-key"
# Verbs that may still change the store when their idempotency key is refused. Empty since
# `revisions warm` checks its key before its first step (it used to commit `<key>.warming`
# and only then find `<key>` taken by another verb).
KEY_STILL_OPEN: set[tuple[str, str]] = set()
EXTENSION = {
    "environment_id": "local",
    "kind": "acme.oauth.auth0@1.0.0",
    "pack_ref": "oci://ghcr.io/acme/auth0:1.0.0",
    "instance_id": "primary",
}


@dataclass(frozen=True)
class Seeded:
    home: Path
    # A home without environments: where `env create` of `local` (no grant needed) succeeds.
    empty: Path
    # The seeded home with its telemetry slot unbound: where `env-packs add` succeeds.
    unbound: Path
    deployment_id: str
    # A deployment without revisions: `bundles remove` may remove it.
    removable: str
    ready: str
    staged: str
    # Ready without weight (`drain` may take it) and draining (`deactivate` may take it).
    spare: str
    draining: str
    generation: int


def _call(home: Path, answers: Path, noun: str, verb: str, payload: dict[str, Any]) -> Any:
    answers.write_text(json.dumps(payload))
    outcome = run_cli(home, noun, verb, "--answers", str(answers))
    assert outcome.code == 0, outcome.stderr
    return outcome.result


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    home = tmp_path_factory.mktemp("fuzz-template") / "home"
    answers = tmp_path_factory.mktemp("fuzz-seed") / "answers.json"
    assert run_cli(home, "env", "init").code == 0
    local = {"environment_id": "local"}
    deployment = _call(
        home,
        answers,
        "bundles",
        "add",
        {**local, "bundle_id": "app", "route_binding": {"host": "app.localhost"}},
    )["deployment_id"]
    stage = {**local, "deployment_id": deployment, "bundle_digest": "sha256:ab"}
    ready = _call(home, answers, "revisions", "stage", stage)["revision_id"]
    _call(home, answers, "revisions", "warm", {**local, "revision_id": ready})
    entries = [{"revision_id": ready, "weight_bps": 10000}]
    split = {**local, "deployment_id": deployment, "entries": entries}
    for _ in "ab":  # twice: `traffic rollback` has a previous split to restore
        _call(home, answers, "traffic", "set", split)
    staged = _call(home, answers, "revisions", "stage", stage)["revision_id"]
    # Updates, so that the rollback verbs have a previous binding to restore.
    _call(home, answers, "env-packs", "update", {**TELEMETRY, "settings": {"level": "debug"}})
    _call(home, answers, "extensions", "add", EXTENSION)
    _call(home, answers, "extensions", "update", {**EXTENSION, "settings": {"tenant": "b"}})
    # A used idempotency key: the fuzzer's documents reuse it with other payloads.
    config = {**local, "key": "SEEDED", "value": "1", "idempotency_key": SEEDED_KEY}
    _call(home, answers, "config", "set", config)
    spare, draining = (
        _call(home, answers, "revisions", "stage", stage)["revision_id"] for _ in "ab"
    )
    for revision_id in (spare, draining):
        _call(home, answers, "revisions", "warm", {**local, "revision_id": revision_id})
    _call(home, answers, "revisions", "drain", {**local, "revision_id": draining})
    removable = _call(
        home,
        answers,
        "bundles",
        "add",
        {**local, "bundle_id": "old", "route_binding": {"host": "old.localhost"}},
    )["deployment_id"]
    generation = run_cli(home, "env", "show", "local").result["generation"]
    empty = tmp_path_factory.mktemp("fuzz-empty") / "home"
    empty.mkdir()
    shutil.copy2(home / "store.json", empty / "store.json")  # as in any used home
    unbound = tmp_path_factory.mktemp("fuzz-unbound") / "home"
    shutil.copytree(home, unbound, symlinks=True)
    _call(unbound, answers, "env-packs", "remove", {**local, "slot": "telemetry"})
    return Seeded(
        home, empty, unbound, deployment, removable, ready, staged, spare, draining, generation
    )


def valid_documents(ids: Seeded) -> dict[tuple[str, str], dict[str, Any]]:
    """One valid payload per mutating verb (each accepted against the seeded home)."""
    local = {"environment_id": "local"}
    deployment = {**local, "deployment_id": ids.deployment_id}
    telemetry = {**TELEMETRY, "settings": {"level": "info"}}
    extension = {**EXTENSION, "settings": {"tenant": "acme"}}
    return {
        ("env", "create"): {
            "environment_id": "local",
            "tenant": {"tenant": "acme", "team": "core"},
            "deployment": {"cloud": "local", "platform": "local-process"},
            "packs": [{"slot": "deployer", "kind": LOCAL_DEPLOYER, "settings": {"port": 9999}}],
            "policy": {"max_step_bps": 5000},
        },
        ("env", "remove"): {**local, "force": True},
        ("env", "policy"): {**local, "policy": {"max_step_bps": 1000}},
        ("env-packs", "add"): telemetry,
        ("env-packs", "update"): telemetry,
        ("env-packs", "remove"): {**local, "slot": "telemetry"},
        ("env-packs", "rollback"): {**local, "slot": "telemetry"},
        ("extensions", "add"): {**extension, "instance_id": "secondary"},
        ("extensions", "update"): extension,
        ("extensions", "remove"): {**local, "kind": "acme.oauth.auth0", "instance_id": "primary"},
        ("extensions", "rollback"): {**local, "kind": "acme.oauth.auth0", "instance_id": "primary"},
        ("bundles", "add"): {
            **local,
            "bundle_id": "other",
            "customer_id": "acme",
            "route_binding": {"host": "other.localhost", "path_prefix": "/api"},
            "settings": {"replicas": 2, "labels": {"team": "core"}},
            "idempotency_key": "fuzz-1",
        },
        ("bundles", "remove"): {**local, "deployment_id": ids.removable},
        ("revisions", "stage"): {
            **deployment,
            "bundle_digest": "sha256:cd",
            "image": "ghcr.io/acme/app:1",
            "command": ["python", "-m", "http.server"],
            "settings": {"port": 8080},
            "expected_generation": ids.generation,
        },
        ("revisions", "warm"): {**local, "revision_id": ids.staged},
        ("revisions", "drain"): {**local, "revision_id": ids.spare},
        ("revisions", "deactivate"): {**local, "revision_id": ids.draining},
        ("revisions", "archive"): {**local, "revision_id": ids.staged},
        ("traffic", "set"): {
            **deployment,
            "entries": [{"revision_id": ids.ready, "weight_percent": 100}],
        },
        ("traffic", "rollback"): deployment,
        ("config", "set"): {**local, "key": "LOG_LEVEL", "value": "debug"},
        ("secrets", "put"): {**local, "name": "db-password", "value": "correct horse"},
    }


class Raw:
    """A value written into the answers text verbatim (what json.dumps can't produce)."""

    def __init__(self, text: str) -> None:
        self.text = text


ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.text(alphabet=st.characters(categories=["Cs"]), min_size=1, max_size=3),
    st.sampled_from(["\x00", "a\x00b", "\ud800", "x" * 70_000, "", " ", "../../etc", "A" * 300]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.sampled_from(
        [
            Raw("NaN"),
            Raw("-Infinity"),
            Raw("1e999"),
            Raw("9" * 5000),
            Raw("[" * 50 + "]" * 50),
            Raw('{"a": 1, "a": 2}'),
            Raw("true"),
            Raw("1.0"),
        ]
    ),
)


def _paths(document: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found: list[tuple[str | int, ...]] = [prefix] if prefix else []
    children = (
        document.items()
        if isinstance(document, dict)
        else enumerate(document)
        if isinstance(document, list)
        else ()
    )
    for key, child in children:
        found.extend(_paths(child, (*prefix, key)))
    return found


def _set(document: Any, path: tuple[str | int, ...], value: Any) -> None:
    for key in path[:-1]:
        document = document[key]
    if value is _DELETE:
        del document[path[-1]]
    else:
        document[path[-1]] = value


_DELETE = object()


def _encode(document: Any) -> str:
    raws: list[str] = []

    def placeholder(value: Any) -> Any:
        if isinstance(value, Raw):
            raws.append(value.text)
            return f"@@raw{len(raws) - 1}@@"
        if isinstance(value, dict):
            return {k: placeholder(v) for k, v in value.items()}
        if isinstance(value, list):
            return [placeholder(v) for v in value]
        return value

    text = json.dumps(placeholder(document))
    for index, raw in enumerate(raws):
        text = text.replace(f'"@@raw{index}@@"', raw)
    return text


def plausible_values(ids: Seeded) -> list[Any]:
    """Values of the right shape that the seeded state makes wrong (or right elsewhere)."""
    split = [{"revision_id": ids.ready, "weight_bps": 10000}]
    return [
        ids.deployment_id,
        ids.removable,
        ids.ready,
        ids.staged,
        ids.spare,
        ids.draining,
        ULID,
        "local",
        "prod",
        "scratch",
        "sha256:00",
        "telemetry",
        "deployer",
        "revocation",
        "messaging",
        "greentic.deployer.k8s@1.0.0",
        "greentic.secrets.aws-sm@1.0.0",
        "acme.oauth.auth0@2.0.0",
        "app.localhost",
        "/",
        0,
        1,
        5000,
        9999,
        10000,
        10001,
        -1,
        ids.generation,
        True,
        False,
        None,
        [],
        {},
        [
            {"revision_id": ids.ready, "weight_bps": 5000},
            {"revision_id": ids.spare, "weight_bps": 5000},
        ],
        [{"revision_id": ids.staged, "weight_percent": 100}],
        [{"deployment_id": ids.deployment_id, "entries": split}] * 2,
        {"max_step_bps": 1},
        {"port": 70000},
    ]


@st.composite
def answers_texts(
    draw: st.DrawFn,
    documents: dict[tuple[str, str], dict[str, Any]],
    plausible: list[Any],
    generation: int,
) -> Any:
    """(noun, verb, answers bytes, is the document unmutated)."""
    noun, verb = draw(st.sampled_from(sorted(documents)))
    document = json.loads(json.dumps(documents[(noun, verb)]))
    kinds = [
        *("valid", "value", "value", "plausible", "plausible"),
        *("unknown", "delete", "text", "exactly-once"),
    ]
    kind = draw(st.sampled_from(kinds))
    if kind == "exactly-once":
        # Every payload may carry both (docs/cli.md); a stale generation or a reused key with
        # another payload is a conflict (exit 4) that changes nothing either.
        generations = [generation, generation - 1, generation + 1, 0]
        if draw(st.booleans()):
            document["expected_generation"] = draw(st.sampled_from(generations))
        if draw(st.booleans()) and (noun, verb) not in KEY_STILL_OPEN:
            document["idempotency_key"] = draw(st.sampled_from([SEEDED_KEY, "fresh-key"]))
    if kind == "value":
        path = draw(st.sampled_from(_paths(document)))
        _set(document, path, draw(ODD_VALUES))
    elif kind == "plausible":
        # Well-formed but wrong for this state: these get past the model to the verb itself.
        for _ in range(draw(st.integers(min_value=1, max_value=3))):
            path = draw(st.sampled_from(_paths(document)))
            _set(document, path, json.loads(json.dumps(draw(st.sampled_from(plausible)))))
    elif kind == "unknown":
        path = draw(st.sampled_from([(), *(p for p in _paths(document) if p)]))
        target = document
        for key in path:
            target = target[key]
        if not isinstance(target, dict):
            target = document
        target[draw(st.sampled_from(["colour", "environmentId", "Settings", "\ud800"]))] = 1
    elif kind == "delete":
        path = draw(st.sampled_from(_paths(document)))
        _set(document, path, _DELETE)
    text = _encode(document)
    if kind == "text":
        text = draw(
            st.sampled_from(
                [
                    text.replace("{", '{"environment_id": "local", ', 1),
                    text[: len(text) // 2],
                    text.replace('"local"', "NaN", 1),
                    "[" * 100_000,
                    text + " trailing",
                    "\ufeff" + text,
                ]
            )
        )
    data = text.encode("utf-8", "surrogatepass")
    if kind == "text" and draw(st.booleans()):
        data = data.replace(b"local", b"loc\xffal", 1)
    return noun, verb, data, kind == "valid"


def template_of(ids: Seeded, noun: str, verb: str) -> Path:
    if (noun, verb) == ("env", "create"):
        return ids.empty
    return ids.unbound if (noun, verb) == ("env-packs", "add") else ids.home


def tree_digest(root: Path) -> dict[str, str]:
    """Every file's name, mode and bytes under ``root`` (directories by name)."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        name = str(path.relative_to(root))
        if path.is_file():
            found[name] = (
                f"{oct(path.stat().st_mode)}:{hashlib.sha256(path.read_bytes()).hexdigest()}"
            )
        else:
            found[name] = "dir"
    return found


def _check(outcome: Outcome, before: dict[str, str], home: Path, valid: bool) -> None:
    assert "Traceback" not in outcome.stderr, outcome.stderr
    assert "internal error" not in outcome.stderr, outcome.stderr
    if outcome.code == 0:
        return
    assert not valid, f"a valid payload was refused: {outcome.stderr}"
    assert outcome.code in (2, 4), (outcome.code, outcome.stderr)
    lines = outcome.stderr.splitlines()
    assert REFUSAL.match(lines[0]), lines[0]
    # Every further line is one more problem of the same answers file, naming its field.
    assert all(PROBLEM.match(line) for line in lines[1:]), outcome.stderr
    assert outcome.json["error"]["exit_code"] == outcome.code
    after = tree_digest(home)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if _denied(outcome):
        # The one refusal documented to write: a denial is audited (docs/store.md).
        changed = [k for k in changed if not _audit_trail(k, after)]
    assert not changed, f"refused input changed the store: {changed} ({lines[0]})"


def _denied(outcome: Outcome) -> bool:
    return bool(outcome.json["error"]["type"] == "AuthorizationError")


def _audit_trail(name: str, after: dict[str, str]) -> bool:
    """An audit log, a lock file, or a directory holding nothing but those."""
    path = Path(name)
    if path.name == ".lock" or (path.parent.name == "audit" and path.suffix == ".jsonl"):
        return True
    inside = [k for k in after if Path(k).parent == path]
    return after.get(name) == "dir" and all(_audit_trail(k, after) for k in inside)


def test_every_valid_document_is_accepted(seeded: Seeded, tmp_path: Path) -> None:
    """The fuzzer's starting points are real successes, so a mutation is what gets refused."""
    answers = tmp_path / "answers.json"
    for (noun, verb), document in valid_documents(seeded).items():
        home = tmp_path / f"{noun}-{verb}"
        shutil.copytree(template_of(seeded, noun, verb), home, symlinks=True)
        answers.write_text(json.dumps(document))
        outcome = run_cli(home, noun, verb, "--answers", str(answers))
        assert outcome.code == 0, (noun, verb, outcome.stderr)


class Homes:
    """A working copy per template; a refusal leaves it as it was, so only a success
    (or a failed check) costs a fresh copy."""

    def __init__(self, ids: Seeded, work: Path) -> None:
        self.ids = ids
        self.work = work
        self.copies: dict[Path, tuple[Path, dict[str, str]]] = {}
        self.made = 0

    def home_for(self, noun: str, verb: str) -> tuple[Path, dict[str, str]]:
        template = template_of(self.ids, noun, verb)
        if template not in self.copies:
            self.made += 1
            home = self.work / f"home-{self.made}"
            shutil.copytree(template, home, symlinks=True)
            self.copies[template] = (home, tree_digest(home))
        return self.copies[template]

    def discard(self, noun: str, verb: str) -> None:
        home, _ = self.copies.pop(template_of(self.ids, noun, verb))
        shutil.rmtree(home)


@pytest.mark.timeout(soak_examples(120, 3600))
def test_fuzzed_payloads_are_accepted_or_refused_cleanly(
    seeded: Seeded, tmp_path_factory: pytest.TempPathFactory
) -> None:
    documents = valid_documents(seeded)
    work = tmp_path_factory.mktemp("fuzz-runs")
    homes = Homes(seeded, work)
    answers = work / "answers.json"

    @settings(
        max_examples=soak_examples(200, 5000),
        deadline=None,
        # make test replays the same examples every run; make soak explores new ones.
        derandomize=os.environ.get("GREENTIC_SOAK") != "1",
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(answers_texts(documents, plausible_values(seeded), seeded.generation))
    def check(case: tuple[str, str, bytes, bool]) -> None:
        noun, verb, data, valid = case
        home, before = homes.home_for(noun, verb)
        answers.write_bytes(data)
        outcome = run_cli(home, noun, verb, "--answers", str(answers))
        event(f"exit {outcome.code}")
        if outcome.code == 0:
            homes.discard(noun, verb)
        try:
            _check(outcome, before, home, valid)
        except BaseException:
            homes.copies.pop(template_of(seeded, noun, verb), None)
            raise
        if outcome.code != 0 and _denied(outcome):
            homes.discard(noun, verb)  # its audit line changed the home

    check()


@pytest.mark.timeout(soak_examples(120, 1800))
def test_fuzzed_arguments_of_the_verbs_without_a_payload(
    seeded: Seeded, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """`env init ENV` and `env restore ENV --generation N` take arguments, not answers."""
    homes = Homes(seeded, tmp_path_factory.mktemp("fuzz-args"))
    words = st.one_of(
        st.text(max_size=12),
        st.sampled_from(["local", "prod", "../x", "Prod", "a" * 300, "-1", "0", "9" * 30]),
    )
    argvs = st.one_of(
        st.tuples(st.just("env"), st.just("init"), words),
        st.tuples(st.just("env"), st.just("restore"), words, st.just("--generation"), words),
    )

    @settings(
        max_examples=soak_examples(40, 1000),
        deadline=None,
        derandomize=os.environ.get("GREENTIC_SOAK") != "1",
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(argvs)
    def check(argv: tuple[str, ...]) -> None:
        home, before = homes.home_for(argv[0], argv[1])
        outcome = run_cli(home, *argv)
        if outcome.code == 0:
            homes.discard(argv[0], argv[1])
        elif outcome.stdout == "":  # argparse's usage error: one line, before any verb runs
            assert outcome.code == 2, outcome.stderr
            assert re.match(r"greentic-iac[\w -]*: error: ", outcome.stderr), outcome.stderr
            assert len(outcome.stderr.splitlines()) == 1, outcome.stderr
            assert tree_digest(home) == before
        else:
            _check(outcome, before, home, valid=False)
            if _denied(outcome):
                homes.discard(argv[0], argv[1])  # its audit line changed the home

    check()
