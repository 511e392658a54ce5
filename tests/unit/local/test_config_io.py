"""runtime-config.json is validated on write and on read; bad input leaves the disk alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from greentic_iac.errors import InvalidInputError, NotFoundError, StateCorruptError
from greentic_iac.local import read_runtime_config, write_runtime_config
from greentic_iac.spec import RouteBinding, RuntimeConfig, RuntimeDeployment, RuntimeRevision

D = "01J0000000000000000000D001"
R1, R2 = "01J0000000000000000000R001", "01J0000000000000000000R002"


def _config(
    env: str = "local",
    lifecycle2: str = "ready",
    pack_ref: str = "builtin://x",
    w1: int = 9900,
    w2: int = 100,
) -> RuntimeConfig:
    return RuntimeConfig(
        environment_id=env,
        generation=2,
        deployments=[
            RuntimeDeployment(
                deployment_id=D,
                bundle_id="demo",
                tenant="local-dev",
                route_binding=RouteBinding(host="app.local"),
                split_generation=1,
                revisions=[
                    RuntimeRevision(
                        revision_id=R1,
                        bundle_digest="sha256:aa",
                        sequence=1,
                        lifecycle="ready",
                        weight_bps=w1,
                        pack_refs={"deployer": pack_ref},
                    ),
                    RuntimeRevision(
                        revision_id=R2,
                        bundle_digest="sha256:bb",
                        sequence=2,
                        lifecycle=lifecycle2,
                        weight_bps=w2,
                    ),
                ],
            )
        ],
    )


@pytest.fixture
def env_dir(tmp_path: Path) -> Path:
    path = tmp_path / "environments" / "local"
    path.mkdir(parents=True)
    return path


def test_round_trip(env_dir: Path) -> None:
    config = _config(pack_ref="packs/deployer")
    path = write_runtime_config(env_dir, config)
    assert path == env_dir / "runtime-config.json"
    assert read_runtime_config(env_dir) == config
    assert list(env_dir.glob(".runtime-config.*")) == []


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (_config(env="prod"), "environment_id: 'prod' does not match"),
        (_config(lifecycle2="warming"), r"revisions\[1\].weight_bps: .* warming"),
        (_config(pack_ref="../../outside"), r"pack_refs.deployer: .* outside"),
        (_config(pack_ref="file:///etc/passwd"), "outside the environment directory"),
        (_config().model_copy(update={"generation": -1}), "generation"),
    ],
)
def test_invalid_config_is_refused_and_nothing_is_written(
    env_dir: Path, config: RuntimeConfig, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message) as info:
        write_runtime_config(env_dir, config)
    assert "\n" not in str(info.value)
    assert list(env_dir.iterdir()) == []


def test_weights_not_summing_to_10000_are_refused(env_dir: Path) -> None:
    bad = _config()
    bad.deployments[0].revisions[1].weight_bps = 50  # mutated after validation
    with pytest.raises(InvalidInputError, match="sum to 9950 bps"):
        write_runtime_config(env_dir, bad)


def test_symlink_escape_is_refused(env_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (env_dir / "packs").symlink_to(outside)
    with pytest.raises(InvalidInputError, match="resolves outside"):
        write_runtime_config(env_dir, _config(pack_ref="packs/deployer"))


def test_read_missing_and_corrupt(env_dir: Path) -> None:
    with pytest.raises(NotFoundError, match=r"runtime-config\.json"):
        read_runtime_config(env_dir)
    (env_dir / "runtime-config.json").write_text("{not json")
    with pytest.raises(StateCorruptError, match=r"runtime-config\.json"):
        read_runtime_config(env_dir)
    document = _config().to_json_dict()
    document["deployments"][0]["revisions"].append(document["deployments"][0]["revisions"][0])
    (env_dir / "runtime-config.json").write_text(json.dumps(document))
    with pytest.raises(StateCorruptError, match="duplicate revision"):
        read_runtime_config(env_dir)
