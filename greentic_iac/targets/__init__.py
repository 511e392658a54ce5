"""Targets, and the one loader that finds an environment's target through its deployer pack.

A deployer env-pack names its target by import path (``target: "module:attribute"``, a
``greentic_iac.plan.target.Target``) in its manifest, so ``envpacks`` never imports
``targets``; ``target_for`` resolves the environment's deployer through the registry and
imports that object; ``target_by_descriptor`` does the same for a plan's ``target``. Built-in
targets and plug-ins are found the same way. A pack that still names only a ``compiler``
(and maybe ``health``) gets a Target with just those. ``context_tags`` is the
tenant/deployment context every target copies onto its resources as tags or labels (seed
004 §3); ``aws_region`` the region every target on AWS pins.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan.model import Compiler
from greentic_iac.plan.target import Target
from greentic_iac.spec.environment import Cloud
from greentic_iac.spec.state import EnvironmentState

if TYPE_CHECKING:
    from greentic_iac.envpacks import EnvPackHandler, EnvPackRegistry

_LABEL_VALUE_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
ALLOCATION_HOOK = "reconcile_allocations"


def load_object(import_path: str, field: str) -> Any:
    """``"package.module:attribute"`` -> the object; ``InvalidInputError`` naming ``field``
    and the path when it is malformed, can't be imported or lacks the attribute."""
    from greentic_iac.envpacks import import_object

    try:
        return import_object(import_path)
    except ValueError:
        raise InvalidInputError(
            f"{field}: {import_path!r} is not an import path of the form 'module:attribute'"
        ) from None
    except ImportError as exc:
        raise InvalidInputError(
            f"{field}: {import_path!r} can't be imported ({exc.__class__.__name__}: {exc})"
        ) from None
    except AttributeError:
        module_name = import_path.split(":", maxsplit=1)[0]
        raise InvalidInputError(
            f"{field}: {import_path!r} is not defined in {module_name}"
        ) from None


def load_compiler(import_path: str) -> Compiler:
    """``load_compiler("greentic_iac.targets.example:compile_plan")`` -> the function."""
    compiler = load_object(import_path, "compiler")
    if not callable(compiler):
        module_name = import_path.split(":", maxsplit=1)[0]
        raise InvalidInputError(f"compiler: {import_path!r} is not a callable in {module_name}")
    loaded: Compiler = compiler
    return loaded


def _manifest_health(handler: EnvPackHandler) -> Any:
    # A manifest's separate ``health:`` factory (the form before ``Target.health``).
    from greentic_iac.envpacks import manifest_of

    manifest = manifest_of(handler)
    health_path = getattr(handler, "health_path", None) or (
        manifest.health if manifest is not None else None
    )
    health: Any = None
    if isinstance(health_path, str):
        factory: Callable[..., Any] = load_object(health_path, "health")

        def health(state: EnvironmentState, context: Any) -> Any:
            return factory(state, greentic_home=context.greentic_home, timeout=context.timeout)

    return health


def _legacy_target(handler: EnvPackHandler, compiler_path: str) -> Target:
    # A pack from before the protocol: its compiler, and the allocation hook and health
    # factory it could already name.
    compiler = load_compiler(compiler_path)
    module = importlib.import_module(compiler_path.split(":", maxsplit=1)[0])
    return Target(
        descriptor=handler.descriptor_path,
        compile=compiler,
        reconcile_allocations=getattr(module, ALLOCATION_HOOK, None),
        health=_manifest_health(handler),
    )


_TARGETS: dict[tuple[str, str], Target] = {}


def target_of(handler: EnvPackHandler) -> Target:
    """The deployer handler's target (cached per descriptor path and import path)."""
    from greentic_iac.envpacks import compiler_path_of, target_path_of

    path = target_path_of(handler)
    key = (handler.descriptor_path, path or compiler_path_of(handler) or "")
    found = _TARGETS.get(key)
    if found is not None:
        return found
    if path is not None:
        loaded = load_object(path, "target")
        if not isinstance(loaded, Target):
            raise InvalidInputError(
                f"target: {path!r} is a {type(loaded).__name__}, not a "
                "greentic_iac.plan.target.Target"
            )
        if loaded.descriptor != handler.descriptor_path:
            raise InvalidInputError(
                f"target: {path!r} serves {loaded.descriptor}, not {handler.descriptor_path}"
            )
        health = _manifest_health(handler) if loaded.health is None else None
        found = loaded if health is None else dataclasses.replace(loaded, health=health)
    else:
        compiler_path = compiler_path_of(handler)
        if compiler_path is None:
            raise InvalidInputError(
                f"deployer {handler.descriptor_path} declares no target (or compiler)"
            )
        found = _legacy_target(handler, compiler_path)
    _TARGETS[key] = found
    return found


def target_for(
    state: EnvironmentState, registry: Callable[[], EnvPackRegistry] | None = None
) -> Target:
    """The environment's target: its deployer binding -> registry -> handler -> Target.

    ``registry`` gives the caller's registry (the CLI's, already discovered); a fresh one
    is discovered otherwise. No deployer bound is ``InvalidInputError``.
    """
    from greentic_iac.envpacks import EnvPackRegistry

    deployer = state.environment.deployer()
    if deployer is None:
        raise InvalidInputError(
            f"environment {state.environment.environment_id}: no deployer pack is bound"
        )
    found = registry() if registry is not None else EnvPackRegistry.discover()
    return target_of(found.resolve(deployer.kind))


def target_by_descriptor(
    path: str, registry: Callable[[], EnvPackRegistry] | None = None
) -> Target | None:
    """The target of the deployer pack registered for ``path`` (a plan's ``target``), or
    None when no deployer answers to it (a plan made by a pack that is not installed).

    A pack that is registered but can't give its target raises as ``target_of`` does.
    """
    from greentic_iac.envpacks import EnvPackRegistry
    from greentic_iac.spec import CapabilitySlot

    found = registry() if registry is not None else EnvPackRegistry.discover()
    if path not in found:
        return None
    handler = found.get(path)
    if handler.slot != CapabilitySlot.DEPLOYER:
        return None
    return target_of(handler)


def registered_targets(registry: EnvPackRegistry) -> list[Target]:
    """Every deployer target the registry can load, by descriptor path; a plug-in that
    fails to load is left out (``env doctor`` reports it), so it can't break the rest."""
    from greentic_iac.errors import GreenticError
    from greentic_iac.spec import CapabilitySlot

    targets: list[Target] = []
    for path in registry.paths():
        try:
            handler = registry.get(path)
            if handler.slot == CapabilitySlot.DEPLOYER:
                targets.append(target_of(handler))
        except GreenticError:
            continue
    return targets


@lru_cache(maxsize=4096)
def _label_value(value: str) -> str:
    # Kubernetes label values: <= 63 chars of [A-Za-z0-9._-], alphanumeric at both ends;
    # AWS tags accept the same set, so one form serves both.
    return _LABEL_VALUE_UNSAFE.sub("-", value)[:63].strip("-._")


def context_tags(
    state: EnvironmentState,
    *,
    deployment_id: str | None = None,
    revision_id: str | None = None,
    prefix: str = "greentic.ai/",
) -> dict[str, str]:
    """Tenant and deployment context plus the ids, as tags/labels (sorted keys, no empties).

    Kubernetes targets use the default ``greentic.ai/`` prefix (a label-key prefix); AWS
    targets may pass ``prefix="greentic:"``.
    """
    environment = state.environment
    raw = {
        "environment": environment.environment_id,
        "tenant": environment.tenant.tenant,
        "team": environment.tenant.team,
        "cloud": environment.deployment.cloud.value,
        "region": environment.deployment.region,
        "platform": environment.deployment.platform.value,
        "deployment": deployment_id,
        "revision": revision_id,
    }
    return {
        f"{prefix}{key}": _label_value(value)
        for key, value in sorted(raw.items())
        if value and _label_value(value)
    }


def aws_region(state: EnvironmentState) -> str | None:
    """The AWS region ``state`` deploys to (its deployment context, else the deployer's
    ``region`` setting), or None when it is not on AWS or names none."""
    environment = state.environment
    deployer = environment.deployer()
    region = environment.deployment.region or (deployer.settings if deployer else {}).get("region")
    if environment.deployment.cloud == Cloud.AWS and isinstance(region, str) and region:
        return region
    return None
