"""What ``--help`` and ``--schema`` say about a verb: an example, its fields, its flags.

Built only when asked for (``--help``, ``--schema``), so a verb that runs never pays for it;
the payload fields come from the same JSON Schema ``--schema`` prints, so the two can't
disagree.
"""

from __future__ import annotations

from typing import Any, Final

from greentic_iac.cli.verbs import Arg, Verb

# One example per verb a newcomer reaches for first; the rest get a generated one.
EXAMPLES: Final[dict[str, str]] = {
    "env init": "greentic-iac env init",
    "env create": "greentic-iac env create --answers prod-eu.json",
    "env list": "greentic-iac env list --output table",
    "env show": "greentic-iac env show local",
    "env doctor": "greentic-iac env doctor local",
    "env tool-check": "greentic-iac env tool-check prod-eu --timeout 5",
    "env remove": """echo '{"environment_id": "scratch"}' | greentic-iac env remove --answers -""",
    "env policy": (
        """echo '{"environment_id": "prod-eu", "policy": {"max_step_bps": 1000}}' """
        "| greentic-iac env policy --answers -"
    ),
    "env restore": "greentic-iac env restore local --generation 12",
    "env-packs add": "greentic-iac env-packs add --answers secrets-vault.json",
    "env-packs list": "greentic-iac env-packs list local",
    "extensions resolve": "greentic-iac extensions resolve demo ext://acme.oauth.auth0/primary",
    "bundles add": (
        """echo '{"environment_id": "local", "bundle_id": "shop", "route_binding": """
        """{"host": "localhost", "path_prefix": "/"}}' | greentic-iac bundles add --answers -"""
    ),
    "bundles show": "greentic-iac bundles show local 01J0EXAMPLEDEPLOYMENT00000",
    "bundles verify": "greentic-iac bundles verify shop.tar.gz",
    "bundles unpack": "greentic-iac bundles unpack shop.tar.gz ./shop",
    "revisions stage": "greentic-iac revisions stage --answers stage.json",
    "revisions warm": (
        """echo '{"environment_id": "local", "revision_id": "01J0..."}' """
        "| greentic-iac revisions warm --answers -"
    ),
    "revisions list": "greentic-iac revisions list local",
    "traffic set": (
        "greentic-iac traffic set local --deployment shop --weight shop@1=99 --weight shop@2=1"
    ),
    "traffic show": "greentic-iac traffic show local",
    "traffic history": "greentic-iac traffic history local",
    "config get": "greentic-iac config get local LOG_LEVEL",
    "secrets get": "greentic-iac secrets get prod-eu db-password",
    "audit list": "greentic-iac audit list local --limit 20",
    "plan": "greentic-iac plan prod-eu --canonical | sha256sum",
    "preview": "greentic-iac preview prod-eu --format markdown --out preview.md",
    "up": "greentic-iac up prod-eu",
    "destroy": "greentic-iac destroy prod-eu",
    "drift": "greentic-iac drift prod-eu --detailed-exitcode",
    "export": "greentic-iac export prod-eu --format pulumi-python --out ./pulumi-prod-eu",
    "stack init": "greentic-iac stack init prod-eu --dir .",
    "credentials policy": "greentic-iac credentials policy prod-eu",
    "credentials validate": "greentic-iac credentials validate prod-eu",
    "ci init": "greentic-iac ci init --provider github --source ==1.0.0",
    "doctor secrets": "greentic-iac doctor secrets ./bundle",
    "completion": (
        "greentic-iac completion bash > ~/.local/share/bash-completion/completions/greentic-iac"
    ),
    "local up": "greentic-iac local up --detach --port 0",
    "local status": "greentic-iac local status",
    "local logs": "greentic-iac local logs --revision 01J0...",
    "local down": "greentic-iac local down",
}

_JSON_TYPES: Final[dict[str, str]] = {"str": "string", "int": "integer", "float": "number"}
_MAX_DEPTH = 2


def example_of(verb: Verb) -> str:
    if verb.command in EXAMPLES:
        return EXAMPLES[verb.command]
    words = ["greentic-iac", verb.command]
    words += [a.name.upper() for a in verb.args if not a.name.startswith("--") and not a.nargs]
    if verb.payload is not None:
        words.append("--answers FILE")
    return " ".join(words)


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        resolved: dict[str, Any] = root.get("$defs", {}).get(ref.removeprefix("#/$defs/"), {})
        return resolved
    return schema


def _type_name(schema: dict[str, Any], root: dict[str, Any]) -> str:
    schema = _resolve(schema, root)
    if "enum" in schema:
        return " | ".join(repr(v) if isinstance(v, str) else str(v) for v in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    for union in ("anyOf", "oneOf"):
        if union in schema:
            names = [_type_name(branch, root) for branch in schema[union]]
            return " | ".join(dict.fromkeys(names))
    kind = schema.get("type")
    if kind == "array":
        return f"list of {_type_name(schema.get('items', {}), root)}"
    if kind == "object" and "title" in schema and "properties" in schema:
        return "object"
    return str(kind) if isinstance(kind, str) else "any"


def _object_branch(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any] | None:
    """The object schema a field nests (through a list, a ref or an ``X | null`` union)."""
    schema = _resolve(schema, root)
    if schema.get("type") == "array":
        return _object_branch(schema.get("items", {}), root)
    if "properties" in schema:
        return schema
    branches = [b for b in schema.get("anyOf", []) if _resolve(b, root).get("type") != "null"]
    if len(branches) == 1:
        return _object_branch(branches[0], root)
    return None


def payload_fields(schema: dict[str, Any]) -> list[tuple[str, str, bool, str]]:
    """``(path, type, required, description)`` per field, nested objects as ``a[].b``."""
    fields: list[tuple[str, str, bool, str]] = []

    def walk(node: dict[str, Any], prefix: str, depth: int) -> None:
        required = set(node.get("required", []))
        for name, field_schema in node.get("properties", {}).items():
            path = f"{prefix}{name}"
            resolved = _resolve(field_schema, schema)
            description = str(field_schema.get("description") or resolved.get("description", ""))
            fields.append((path, _type_name(field_schema, schema), name in required, description))
            nested = _object_branch(field_schema, schema)
            if nested is not None and depth < _MAX_DEPTH:
                is_list = _resolve(field_schema, schema).get("type") == "array" or any(
                    _resolve(b, schema).get("type") == "array"
                    for b in field_schema.get("anyOf", [])
                )
                walk(nested, f"{path}[]." if is_list else f"{path}.", depth + 1)

    walk(schema, "", 0)
    return fields


def _arg_type(arg: Arg) -> str:
    if arg.flag:
        return "boolean"
    if arg.choices:
        return " | ".join(arg.choices)
    return _JSON_TYPES[arg.type]


def verb_epilog(verb: Verb, schema: dict[str, Any] | None) -> str:
    lines = ["example:", f"  {example_of(verb)}"]
    if schema is not None:
        lines += ["", "answers fields (--schema prints the JSON Schema):"]
        fields = payload_fields(schema)
        width = max((len(path) for path, *_ in fields), default=0)
        for path, kind, required, description in fields:
            need = "required" if required else "optional"
            note = f"  {description.splitlines()[0]}" if description else ""
            lines.append(f"  {path.ljust(width)}  {kind} ({need}){note}")
    return "\n".join(lines)


def flags_schema(verb: Verb) -> dict[str, Any]:
    """``--schema`` of a verb without an answers payload: its arguments and flags."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for arg in verb.args:
        if arg.hidden:
            continue
        entry: dict[str, Any] = {
            "type": _JSON_TYPES.get(arg.type, "string"),
            "description": arg.help,
        }
        if arg.flag:
            entry["type"] = "boolean"
        if arg.choices:
            entry["enum"] = list(arg.choices)
        if arg.default is not None:
            entry["default"] = arg.default
        positional = not arg.name.startswith("--")
        entry["x-positional"] = positional
        properties[arg.name] = entry
        if positional and arg.nargs is None:
            required.append(arg.name)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": verb.command,
        "description": f"{verb.help}. Takes no answers payload: its input is the command "
        f"line (positional arguments in order, then flags), e.g. `{example_of(verb)}`",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
