"""The local deployer settings (manifest schema and runtime model agree) and the process env."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from greentic_iac.envpacks.registry import EnvPackRegistry
from greentic_iac.errors import InvalidInputError
from greentic_iac.local.process_env import resolved_secrets, revision_environment
from greentic_iac.local.settings import local_runtime_settings
from greentic_iac.secrets.dev_store import DevStore

KIND = "greentic.deployer.local-process@0.1.0"

GOOD: list[dict[str, Any]] = [
    {},
    {"pass_environment": ["HTTP_PROXY", "no_proxy"], "trusted_proxies": ["127.0.0.1/32"]},
    {"trusted_proxies": ["10.0.0.0/8", "::1", "fd00::/8", "192.0.2.7"]},
    {"header_timeout_seconds": 0.5, "idle_timeout_seconds": 2, "max_session_pins": 10},
    {"max_session_pins_per_client": 3, "unknown_target_key": {"kept": True}},
    {"max_connections": 100, "max_connections_per_client": 10},
]
BAD: list[tuple[dict[str, Any], str]] = [
    ({"pass_environment": ["A B"]}, "settings.pass_environment"),
    ({"trusted_proxies": ["localhost"]}, "settings.trusted_proxies"),
    ({"trusted_proxies": "127.0.0.1/32"}, "settings.trusted_proxies"),
    ({"pass_environment": "HTTP_PROXY"}, "settings.pass_environment"),
    ({"header_timeout_seconds": 0}, "settings.header_timeout_seconds"),
    ({"idle_timeout_seconds": "60"}, "settings.idle_timeout_seconds"),
    ({"max_session_pins": 0}, "settings.max_session_pins"),
    ({"max_connections_per_client": 0}, "settings.max_connections_per_client"),
    ({"max_session_pins_per_client": 1.5}, "settings.max_session_pins_per_client"),
]


@pytest.mark.parametrize("settings", GOOD)
def test_good_settings_pass_both_checks(settings: dict[str, Any]) -> None:
    EnvPackRegistry.with_builtins().validate_settings(KIND, settings)
    local_runtime_settings(settings)


@pytest.mark.parametrize(("settings", "field"), BAD)
def test_bad_settings_fail_both_checks_naming_the_field(
    settings: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(field)):
        EnvPackRegistry.with_builtins().validate_settings(KIND, settings)
    with pytest.raises(InvalidInputError, match=re.escape(field)):
        local_runtime_settings(settings)


def test_the_runtime_checks_trusted_proxies_exactly() -> None:
    # The schema's pattern only catches names; the runtime parses every network.
    with pytest.raises(InvalidInputError, match=r"settings\.trusted_proxies"):
        local_runtime_settings({"trusted_proxies": ["999.1.1.1/8"]})


def test_revision_environment_is_an_allow_list_with_layers() -> None:
    parent = {
        "PATH": "/usr/bin",
        "HOME": "/home/op",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "AWS_SECRET_ACCESS_KEY": "x",
        "GITHUB_TOKEN": "y",
        "GREENTIC_GRANT": "z",
        "GREENTIC_HOME": "/h",
        "HTTP_PROXY": "http://proxy:3128",
        "PYTHONPATH": "/evil",
    }
    env = revision_environment(
        parent=parent,
        pass_environment=("HTTP_PROXY", "NOT_SET"),
        config={"LOG_LEVEL": "debug", "PORT": "1", "HOME": "/srv"},
        secrets={"DB_PASSWORD": "s3cret"},
        revision={"PORT": "8080", "GREENTIC_REVISION_ID": "R"},
    )
    assert env == {
        "PATH": "/usr/bin",
        "HOME": "/srv",  # a config key wins over what is inherited
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "HTTP_PROXY": "http://proxy:3128",
        "LOG_LEVEL": "debug",
        "DB_PASSWORD": "s3cret",
        "PORT": "8080",  # the revision's own variables win over config
        "GREENTIC_REVISION_ID": "R",
    }


def test_dev_store_secrets_resolve_by_name(tmp_path: Path) -> None:
    env_dir = tmp_path / "environments" / "local"
    env_dir.mkdir(parents=True)
    store = DevStore(tmp_path / "secrets" / "local.json")
    store.put("DB_PASSWORD", "pw")
    store.put("api.key", "skipped: not a variable name")
    assert resolved_secrets(env_dir, "local", "greentic.secrets.dev-store") == {"DB_PASSWORD": "pw"}
    assert resolved_secrets(env_dir, "local", None) == {}
    assert resolved_secrets(env_dir, "local", "greentic.secrets.aws-sm") == {}
