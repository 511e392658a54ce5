"""Fixtures for the env-pack registry tests: fresh registries, never a shared one."""

from __future__ import annotations

import pytest

from greentic_iac.envpacks import ENTRY_POINT_GROUP, EnvPackRegistry
from greentic_iac.spec import Environment, local_environment
from tests.unit.envpacks.helpers import MISFIT_GROUP


@pytest.fixture
def builtins() -> EnvPackRegistry:
    return EnvPackRegistry.with_builtins()


@pytest.fixture
def registry() -> EnvPackRegistry:
    """Built-ins plus the installed plug-ins of the real entry-point group."""
    return EnvPackRegistry.discover()


@pytest.fixture
def misfit_registry() -> EnvPackRegistry:
    """Built-ins, the healthy Vault plug-in and the fixture's misbehaving plug-ins."""
    return EnvPackRegistry.discover(groups=(ENTRY_POINT_GROUP, MISFIT_GROUP))


@pytest.fixture
def local() -> Environment:
    return local_environment()
