"""A stand-in ``kubectl`` for the secrets tests (copied next to a shebang by the fixture).

It keeps Secrets in a JSON file (``FAKE_KUBECTL_STORE``), appends every argv to
``FAKE_KUBECTL_LOG`` (one JSON list per line), and implements the calls the k8s secrets
backend makes: ``apply --server-side -f -`` (manifest on stdin, merged like server-side
apply merges map keys), ``get secret NAME [--ignore-not-found] -o json`` and ``get secrets
-l k=v[,k=v] -o json`` and ``delete secret NAME``, each in the namespace given by ``-n``/``--namespace``.
``FAKE_KUBECTL_MODE=hang`` never answers; ``forbidden`` answers like an RBAC denial.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def _load(path: Path) -> dict[str, dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _parse(argv: list[str]) -> tuple[str, list[str], set[str], dict[str, str]]:
    namespace, rest, flags, options = "default", [], set(), {}
    index = 0
    while index < len(argv):
        item = argv[index]
        if item in ("-n", "--namespace", "-l", "-o", "-f"):
            value = argv[index + 1]
            if item in ("-n", "--namespace"):
                namespace = value
            else:
                options[item] = value
            index += 2
            continue
        if item.startswith("--"):
            name, _, value = item.partition("=")
            flags.add(name)
            options[name] = value
        else:
            rest.append(item)
        index += 1
    return namespace, rest, flags, options


def _merge(existing: dict[str, Any], manifest: dict[str, Any]) -> dict[str, Any]:
    merged = dict(existing)
    for key, value in manifest.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def main(argv: list[str]) -> int:
    with open(os.environ["FAKE_KUBECTL_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(argv) + "\n")
    mode = os.environ.get("FAKE_KUBECTL_MODE", "")
    if mode == "hang":
        time.sleep(600)  # longer than pytest's timeout: the backend must kill it
        return 0
    if mode == "forbidden":
        sys.stderr.write(
            'Error from server (Forbidden): secrets is forbidden: User "ci" cannot list '
            'resource "secrets" in API group "" in the namespace "acme"\n'
        )
        return 1
    store_path = Path(os.environ["FAKE_KUBECTL_STORE"])
    store = _load(store_path)
    namespace, rest, flags, options = _parse(argv)
    objects = store.setdefault(namespace, {})
    if rest[:1] == ["apply"]:
        if "--server-side" not in flags or options.get("-f") != "-":
            sys.stderr.write("error: the fake supports only apply --server-side -f -\n")
            return 2
        manifest = json.loads(sys.stdin.read())
        metadata = manifest["metadata"]
        if metadata.get("namespace", namespace) != namespace:
            sys.stderr.write("error: the namespace from the provided object does not match\n")
            return 1
        name = metadata["name"]
        objects[name] = _merge(objects.get(name, {}), manifest)
        store_path.write_text(json.dumps(store), encoding="utf-8")
        print(f"secret/{name}")
        return 0
    if rest[:2] == ["get", "secret"] and len(rest) == 3:
        found = objects.get(rest[2])
        if found is None:
            if "--ignore-not-found" in flags:
                return 0
            sys.stderr.write(f'Error from server (NotFound): secrets "{rest[2]}" not found\n')
            return 1
        print(json.dumps(found))
        return 0
    if rest[:2] == ["delete", "secret"] and len(rest) == 3:
        if objects.pop(rest[2], None) is None:
            sys.stderr.write(f'Error from server (NotFound): secrets "{rest[2]}" not found\n')
            return 1
        store_path.write_text(json.dumps(store), encoding="utf-8")
        print(f"secret/{rest[2]}")
        return 0
    if rest[:2] == ["get", "secrets"]:
        wanted = dict(p.split("=", 1) for p in options.get("-l", "").split(",") if p)
        items = [
            o
            for o in objects.values()
            if all(o.get("metadata", {}).get("labels", {}).get(k) == v for k, v in wanted.items())
        ]
        print(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
        return 0
    sys.stderr.write(f"error: the fake does not implement {rest}\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
