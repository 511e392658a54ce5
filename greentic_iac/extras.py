"""Which optional extra provides which cloud SDK, and the one-line error when it is missing.

The core install (``pip install greentic-iac``) carries no cloud SDK: boto3 and the Pulumi
providers weigh hundreds of megabytes and an offline preview needs none of them. A verb
that does need one must say which extra to install (exit 2), never end in a
``ModuleNotFoundError``. Modules here import only the standard library, so any layer can
ask before it imports an SDK, and the CLI can translate an import that slipped through.

A deployer plug-in's SDK is not an extra of greentic-iac: its target declares the module
family per token prefix (``Target.sdk_modules``) and what to install for it
(``Target.install_hint``); callers pass those in, so this table stays the core's own.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Mapping

from greentic_iac.errors import InvalidInputError

# Top-level module -> the extra that installs it. pulumi_aws and pulumi_kubernetes pull in
# the pulumi SDK themselves; boto3 brings botocore.
EXTRA_OF_MODULE: dict[str, str] = {
    "boto3": "aws",
    "botocore": "aws",
    "pulumi_aws": "aws",
    "pulumi_kubernetes": "k8s",
    "pulumi": "pulumi",
}

# The SDK modules a plan's type tokens need, by token prefix.
MODULES_OF_TOKEN_PREFIX: dict[str, tuple[str, ...]] = {
    "aws:": ("pulumi", "pulumi_aws"),
    "kubernetes:": ("pulumi", "pulumi_kubernetes"),
}


class MissingExtraError(InvalidInputError):
    """A verb needs a cloud SDK that only an optional extra installs (exit 2)."""


def install_hint(extra: str) -> str:
    return f"pip install 'greentic-iac[{extra}]'"


def extra_for_module(module: str | None) -> str | None:
    """The extra that installs ``module`` (dotted names count by their top level)."""
    if not module:
        return None
    return EXTRA_OF_MODULE.get(module.split(".", 1)[0])


def extras_for_modules(modules: Iterable[str]) -> list[str]:
    """The fewest extras that install ``modules`` (a provider extra carries the pulumi SDK)."""
    extras = {extra_for_module(module) or "all" for module in modules}
    if extras & {"aws", "k8s"}:
        extras.discard("pulumi")
    return sorted(extras)


def missing_extra_error(
    purpose: str, *modules: str, install_hints: Mapping[str, str] | None = None
) -> MissingExtraError:
    """The one-line error for ``modules`` missing, naming the fewest extras that add them
    (and, for a plug-in's modules, its ``install_hints``: module -> what to install)."""
    tops = sorted({module.split(".", 1)[0] for module in modules})
    hints = install_hints or {}
    core = [top for top in tops if top not in hints or extra_for_module(top) is not None]
    commands = [install_hint(",".join(extras_for_modules(core)))] if core else []
    commands += sorted({hints[top] for top in tops if top not in core})
    return MissingExtraError(
        f"{purpose}: needs {', '.join(tops)}, which the core install leaves out: "
        f"{'; '.join(commands)}"
    )


def is_installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require_modules(
    purpose: str, modules: Iterable[str], install_hints: Mapping[str, str] | None = None
) -> None:
    """Raise MissingExtraError naming every one of ``modules`` that is not installed."""
    missing = [module for module in modules if not is_installed(module)]
    if missing:
        raise missing_extra_error(purpose, *missing, install_hints=install_hints)


def modules_for_tokens(
    tokens: Iterable[str], sdk_modules: Mapping[str, str] | None = None
) -> list[str]:
    """The SDK modules the Pulumi engine needs to apply resources of these type tokens;
    ``sdk_modules`` adds a plug-in target's prefixes (prefix -> module family)."""
    families = dict(MODULES_OF_TOKEN_PREFIX)
    for prefix, family in (sdk_modules or {}).items():
        families.setdefault(prefix, ("pulumi", family))
    needed: list[str] = []
    for token in tokens:
        for prefix, modules in families.items():
            if token.startswith(prefix):
                needed += [module for module in modules if module not in needed]
    return needed
