"""The dev-store file, the scrubber, and which backend an environment's binding picks."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from greentic_iac.errors import GreenticError, NotFoundError, StateCorruptError
from greentic_iac.secrets import (
    AwsSecretsManager,
    DevStore,
    KubernetesSecrets,
    backend_for_state,
)
from greentic_iac.secrets.errors import one_line, scrub
from greentic_iac.spec import EnvironmentState

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_dev_store_round_trip_is_private(tmp_path: Path) -> None:
    store = DevStore(tmp_path / "secrets" / "local.json")
    assert store.put("b", "2").created is True
    assert store.put("a", "1").created is True
    assert store.put("a", "one").outcome == "updated"
    assert store.get("a") == "one" and store.names() == ["a", "b"]
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    with pytest.raises(NotFoundError, match="'c' is not set"):
        store.get("c")


def test_dev_store_refuses_a_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "local.json"
    path.write_text(json.dumps({"a": 1}), encoding="utf-8")
    with pytest.raises(StateCorruptError, match="not a name -> value map"):
        DevStore(path).names()


def test_scrub_and_one_line() -> None:
    assert scrub("token abc and\nabc", "abc") == "token *** and\n***"
    assert scrub("x line1 y line2", "line1\nline2") == "x *** y ***"
    assert one_line("a\n  b\tc") == "a b c"
    assert one_line("x" * 400).endswith("…") and len(one_line("x" * 400)) == 300


def _state(
    secrets: tuple[str, dict[str, Any]] | None, deployer: dict[str, Any] | None = None
) -> EnvironmentState:
    packs: list[dict[str, Any]] = []
    if deployer is not None:
        packs.append(
            {
                "slot": "deployer",
                "kind": "greentic.deployer.k8s@1.0.0",
                "pack_ref": "builtin:greentic.deployer.k8s",
                "settings": deployer,
            }
        )
    if secrets is not None:
        kind, settings = secrets
        packs.append(
            {"slot": "secrets", "kind": kind, "pack_ref": f"builtin:{kind}", "settings": settings}
        )
    return EnvironmentState.model_validate(
        {
            "environment": {
                "environment_id": "zain-prod",
                "tenant": {"tenant": "acme"},
                "packs": packs,
            }
        }
    )


def test_chooser_picks_the_bound_pack(tmp_path: Path) -> None:
    dev = backend_for_state(_state(("greentic.secrets.dev-store@0.1.0", {})), home=tmp_path)
    assert isinstance(dev, DevStore) and dev.path == tmp_path / "secrets" / "zain-prod.json"

    aws = backend_for_state(
        _state(("greentic.secrets.aws-sm@1.0.0", {"region": "eu-west-1", "name_prefix": "p/"})),
        home=tmp_path,
        environ={"AWS_MAX_ATTEMPTS": "2"},
    )
    assert isinstance(aws, AwsSecretsManager)
    assert aws.environment_prefix == "p/zain-prod/" and aws.max_attempts == 2
    assert aws.tags == {"greentic:environment": "zain-prod", "greentic:tenant": "acme"}

    k8s = backend_for_state(
        _state(("greentic.secrets.k8s@1.0.0", {"namespace": "acme"}), {"kube_context": "eks"}),
        home=tmp_path,
        kubectl_install_hint="install kubectl: brew install kubectl",
        kubectl_timeout_seconds=3,
    )
    assert isinstance(k8s, KubernetesSecrets)
    assert k8s.kubectl.context == "eks" and k8s.kubectl.timeout_seconds == 3
    assert k8s.kubectl.install_hint == "install kubectl: brew install kubectl"


def test_chooser_refuses_unbound_and_unknown_packs(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no secrets pack bound"):
        backend_for_state(_state(None), home=tmp_path)
    with pytest.raises(GreenticError, match=r"acme\.secrets\.vault of environment zain-prod"):
        backend_for_state(_state(("acme.secrets.vault@0.4.2", {})), home=tmp_path)


def test_kubectl_missing_names_the_install_hint(tmp_path: Path) -> None:
    k8s = backend_for_state(
        _state(("greentic.secrets.k8s@1.0.0", {"namespace": "acme"})),
        home=tmp_path,
        kubectl_install_hint="install kubectl: apt: x; see y",
        environ={"PATH": str(tmp_path)},
    )
    with pytest.raises(GreenticError) as raised:
        k8s.names()
    assert raised.value.exit_code == 3
    assert str(raised.value) == "kubectl: not found on PATH; install kubectl: apt: x; see y"
