"""Export a plan as a standalone, readable Pulumi Python program (for teams that eject).

The program uses the typed SDK classes (``aws.lb.Listener(...)``), one file, resources in
dependency order, refs as attribute access on the variables that hold the referenced
resources. The layout lives in ``templates/export/__main__.py.j2``; this module turns the
plan into the snippets the template places. The conformance test runs the exported source
under the same capturing mocks as the emitter and compares it with the plan.
"""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from greentic_iac.plan.model import REF_KEY, Plan, PlanResource, is_ref
from greentic_iac.plan.type_tokens import (
    check_type_tokens,
    is_kubernetes,
    kubernetes_api_version_and_kind,
    sdk_class_for,
)
from greentic_iac.plan.wire import output_path
from greentic_iac.pulumi.sdk import attribute_name, require_plugin_sdk, resolve_class

EXPORT_TEMPLATE = "export/__main__.py.j2"
_INDENT = "    "
_NOT_IDENTIFIER = re.compile(r"[^a-z0-9_]+")
_SDK_ALIASES = {"pulumi_aws": "aws", "pulumi_kubernetes": "kubernetes"}


def sdk_aliases(sdk_modules: Mapping[str, str]) -> dict[str, str]:
    """SDK module family -> the name the program imports it as: ``aws`` and ``kubernetes``
    for the built-ins, a plug-in's token prefix for its family (``gcp:`` -> ``gcp``)."""
    aliases = dict(_SDK_ALIASES)
    for prefix, family in sdk_modules.items():
        aliases.setdefault(family, _NOT_IDENTIFIER.sub("_", prefix.rstrip(":").lower()))
    return aliases


def _families(plan: Plan, sdk_modules: Mapping[str, str]) -> list[str]:
    """The SDK module families the plan's resources come from, in import order (by alias)."""
    aliases = sdk_aliases(sdk_modules)
    families = {sdk_class_for(r.type, sdk_modules).module.partition(".")[0] for r in plan.resources}
    return sorted(families, key=lambda family: aliases[family])


def _exported_sdk(plan: Plan) -> Mapping[str, str]:
    # The export reads each class's Args metadata, so a plug-in's SDK must be installed.
    return require_plugin_sdk(plan, f"export {plan.environment_id} --format pulumi-python")


@dataclass(frozen=True)
class ExportedResource:
    variable: str
    constructor: str
    logical_name: str
    arguments: list[tuple[str, str]]  # (keyword, Python expression)


def _variable_names(plan: Plan, aliases: Mapping[str, str]) -> dict[str, str]:
    names: dict[str, str] = {}
    used: set[str] = {"pulumi", *aliases.values()}
    for resource in plan.dependency_order():
        base = _NOT_IDENTIFIER.sub("_", resource.name.lower()).strip("_") or "resource"
        if base[0].isdigit() or keyword.iskeyword(base):
            base = f"r_{base}"
        candidate, counter = base, 2
        while candidate in used:
            candidate, counter = f"{base}_{counter}", counter + 1
        used.add(candidate)
        names[resource.name] = candidate
    return names


def python_expression(  # noqa: PLR0911 (one return per JSON kind)
    value: Any, variables: dict[str, str], depth: int = 0
) -> str:
    """``value`` as Python source; refs become attribute access on resource variables."""
    if is_ref(value):
        target = value[REF_KEY]
        attributes = "".join(f".{attribute_name(s)}" for s in output_path(target["output"]))
        return variables[target["resource"]] + attributes
    inner = _INDENT * (depth + 1)
    closing = _INDENT * depth
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            f"{inner}{json.dumps(str(k))}: {python_expression(v, variables, depth + 1)},"
            for k, v in value.items()
        ]
        return "{\n" + "\n".join(items) + f"\n{closing}}}"
    if isinstance(value, list):
        if not value:
            return "[]"
        items = [f"{inner}{python_expression(v, variables, depth + 1)}," for v in value]
        return "[\n" + "\n".join(items) + f"\n{closing}]"
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int | float):
        return repr(value)
    return string_literal(str(value))


def string_literal(text: str) -> str:
    """A double-quoted literal, or single-quoted when that avoids escapes (ruff's choice)."""
    quoted = json.dumps(text)
    if '"' in text and "'" not in text:
        return "'" + quoted[1:-1].replace('\\"', '"') + "'"
    return quoted


def _constructor(token: str, sdk_modules: Mapping[str, str]) -> str:
    where = sdk_class_for(token, sdk_modules)
    package, _, rest = where.module.partition(".")
    alias = sdk_aliases(sdk_modules)[package]
    return f"{alias}.{rest}.{where.name}" if rest else f"{alias}.{where.name}"


def _arguments(
    resource: PlanResource, variables: dict[str, str], sdk_modules: Mapping[str, str]
) -> list[tuple[str, str]]:
    sdk = resolve_class(resource.type, sdk_modules)
    properties = dict(resource.properties)
    arguments: list[tuple[str, str]] = []
    if is_kubernetes(resource.type):
        properties.pop("apiVersion", None)
        properties.pop("kind", None)
        if sdk.is_custom_resource:
            api_version, kind = kubernetes_api_version_and_kind(resource.type)
            arguments += [("api_version", json.dumps(api_version)), ("kind", json.dumps(kind))]
    for wire_name, value in properties.items():
        if value is None:
            continue
        keyword_name = sdk.keyword_for(resource.name, wire_name)
        arguments.append((keyword_name, python_expression(value, variables, 1)))
    options: list[str] = []
    if resource.parent:
        options.append(f"parent={variables[resource.parent]}")
    if resource.depends_on:
        options.append(f"depends_on=[{', '.join(variables[d] for d in resource.depends_on)}]")
    if resource.options.protect or resource.parent:
        # explicit, so a child never inherits its parent's protect flag silently
        options.append(f"protect={resource.options.protect}")
    if resource.options.delete_before_replace:
        options.append("delete_before_replace=True")
    if resource.options.ignore_changes:
        options.append(f"ignore_changes={json.dumps(resource.options.ignore_changes)}")
    if resource.options.additional_secret_outputs:
        secret = json.dumps(resource.options.additional_secret_outputs)
        options.append(f"additional_secret_outputs={secret}")
    if options:
        body = "".join(f"{_INDENT * 2}{option},\n" for option in options)
        arguments.append(("opts", f"pulumi.ResourceOptions(\n{body}{_INDENT})"))
    return arguments


def export_pulumi_python(plan: Plan, sdk_modules: Mapping[str, str] | None = None) -> str:
    """The plan as one Python source file (``__main__.py`` of a Pulumi project).

    ``sdk_modules`` are the target's plug-in token prefixes (found from the plan's
    ``target`` when not given). Raises ``InvalidInputError`` for unsupported type tokens or
    unknown properties.
    """
    from greentic_iac.pulumi.stack_config import template_environment

    modules = _exported_sdk(plan) if sdk_modules is None else sdk_modules
    check_type_tokens(plan, modules)
    aliases = sdk_aliases(modules)
    variables = _variable_names(plan, aliases)
    resources = [
        ExportedResource(
            variable=variables[resource.name],
            constructor=_constructor(resource.type, modules),
            logical_name=resource.name,
            arguments=_arguments(resource, variables, modules),
        )
        for resource in plan.dependency_order()
    ]
    outputs = [
        (key, python_expression(value, variables, 0)) for key, value in sorted(plan.outputs.items())
    ]
    uses_pulumi = bool(outputs) or any(
        keyword_name == "opts" for r in resources for keyword_name, _ in r.arguments
    )
    template = template_environment().get_template(EXPORT_TEMPLATE)
    return str(
        template.render(
            plan=plan,
            content_hash=plan.content_hash(),
            resources=resources,
            outputs=outputs,
            uses_pulumi=uses_pulumi,
            sdk_imports=[(family, aliases[family]) for family in _families(plan, modules)],
            json_string=json.dumps,
        )
    )


def bounded_requirement(distribution: str) -> str:
    """``name>=installed,<next major``: the ejected project gets the SDK it was tested with,
    and a later major (which may rename inputs or change defaults) only by choice."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version(distribution)
    except PackageNotFoundError:
        return distribution
    major = re.match(r"\d+", installed)
    if major is None:
        return f"{distribution}>={installed}"
    return f"{distribution}>={installed},<{int(major.group()) + 1}"


def pulumi_python_project(plan: Plan, provider_config: dict[str, str]) -> dict[str, str]:
    """The files of a runnable Pulumi project for ``plan``: ``Pulumi.yaml``, ``__main__.py``,
    ``requirements.txt`` and the stack file ``Pulumi.<env>.yaml``.

    The stack file pins the provider settings (``aws:region``, ``kubernetes:context``): a
    project run without them would deploy to whatever region or cluster the shell has.
    """
    modules = _exported_sdk(plan)
    source = export_pulumi_python(plan, modules)
    requirements = [bounded_requirement("pulumi")]
    # Each SDK family's distribution is its module name with dashes (pulumi_gcp -> pulumi-gcp).
    requirements += [
        bounded_requirement(family.replace("_", "-")) for family in _families(plan, modules)
    ]
    project = (
        f"name: greentic-{plan.environment_id}\n"
        "runtime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: venv\n"
        f"description: Exported by greentic-iac from plan {plan.content_hash()} "
        f"(environment {plan.environment_id}).\n"
    )
    lines = [f"# Stack {plan.environment_id}: provider settings pinned at export.", "config:"]
    lines += [f"  {key}: {json.dumps(value)}" for key, value in sorted(provider_config.items())]
    stack = "\n".join(lines if provider_config else [*lines[:1], "config: {}"]) + "\n"
    return {
        "Pulumi.yaml": project,
        f"Pulumi.{plan.environment_id}.yaml": stack,
        "__main__.py": source,
        "requirements.txt": "\n".join(requirements) + "\n",
    }
