"""A stand-in ``kubectl`` for ``credentials bootstrap`` (copied next to a shebang by a test).

It keeps objects of any kind in a JSON file (``FAKE_KUBECTL_STORE``), keyed by namespace
(``""`` for cluster-scoped kinds), kind and name, and appends every argv to
``FAKE_KUBECTL_LOG``. It implements what bootstrap and its preflight call: ``auth can-i``
(yes, or no for the verb ``FAKE_KUBECTL_DENY``), ``get KIND NAME [--ignore-not-found]
-o json|name``, ``apply --server-side -f -`` (one JSON object on stdin, merged like
server-side apply merges map keys), and ``config view --minify --raw -o json``. Like a
cluster's token controller, it fills a ``kubernetes.io/service-account-token`` Secret with
a token when it is applied (unless ``FAKE_KUBECTL_NO_TOKEN`` is set).
"""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path
from typing import Any

_CLUSTER_KINDS = {"namespace", "clusterrole", "clusterrolebinding"}
TOKEN = "fake-service-account-token-0123456789"


def _parse(argv: list[str]) -> tuple[str, list[str], dict[str, str]]:
    namespace, rest, options = "default", [], {}
    index = 0
    while index < len(argv):
        item = argv[index]
        if item in ("-n", "--namespace", "-o", "-f", "--context"):
            value = argv[index + 1]
            if item in ("-n", "--namespace"):
                namespace = value
            options[item] = value
            index += 2
            continue
        if item.startswith("--"):
            name, _, value = item.partition("=")
            options[name] = value
        else:
            rest.append(item)
        index += 1
    return namespace, rest, options


def _merge(existing: dict[str, Any], manifest: dict[str, Any]) -> dict[str, Any]:
    merged = dict(existing)
    for key, value in manifest.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _key(kind: str, namespace: str, name: str) -> str:
    scope = "" if kind.lower() in _CLUSTER_KINDS else namespace
    return f"{scope}/{kind.lower()}/{name}"


def main(argv: list[str]) -> int:
    with open(os.environ["FAKE_KUBECTL_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(argv) + "\n")
    store_path = Path(os.environ["FAKE_KUBECTL_STORE"])
    store: dict[str, Any] = (
        json.loads(store_path.read_text(encoding="utf-8")) if store_path.exists() else {}
    )
    namespace, rest, options = _parse(argv)
    if rest[:2] == ["auth", "can-i"]:
        if rest[2] == os.environ.get("FAKE_KUBECTL_DENY"):
            print("no")
            return 1
        print("yes")
        return 0
    if rest[:2] == ["config", "view"]:
        context = options.get("--context", "admin")
        print(
            json.dumps(
                {
                    "clusters": [
                        {
                            "name": context,
                            "cluster": {
                                "server": "https://127.0.0.1:6443",
                                "certificate-authority-data": "Q0EtRlJPTS1DT05GSUc=",
                            },
                        }
                    ],
                    "users": [{"name": "admin", "user": {"token": "admin-token-not-exported"}}],
                }
            )
        )
        return 0
    if rest[:1] == ["get"] and len(rest) == 3:
        found = store.get(_key(rest[1], namespace, rest[2]))
        if found is None:
            if "--ignore-not-found" in options:
                return 0
            sys.stderr.write(f'Error from server (NotFound): {rest[1]} "{rest[2]}" not found\n')
            return 1
        print(f"{rest[1]}/{rest[2]}" if options.get("-o") == "name" else json.dumps(found))
        return 0
    if rest[:1] == ["apply"]:
        if "--server-side" not in options or options.get("-f") != "-":
            sys.stderr.write("error: the fake supports only apply --server-side -f -\n")
            return 2
        manifest = json.loads(sys.stdin.read())
        metadata = manifest["metadata"]
        kind = manifest["kind"]
        if kind.lower() not in _CLUSTER_KINDS:
            if metadata.get("namespace", namespace) != namespace:
                sys.stderr.write("error: the namespace from the provided object does not match\n")
                return 1
            if _key("namespace", "", namespace) not in store:
                sys.stderr.write(
                    f'Error from server (NotFound): namespaces "{namespace}" not found\n'
                )
                return 1
        key = _key(kind, namespace, metadata["name"])
        merged = _merge(store.get(key, {}), manifest)
        if manifest.get("type") == "kubernetes.io/service-account-token" and not os.environ.get(
            "FAKE_KUBECTL_NO_TOKEN"
        ):
            merged["data"] = {
                "token": base64.b64encode(TOKEN.encode()).decode(),
                "ca.crt": "Q0EtRlJPTS1TRUNSRVQ=",
            }
        store[key] = merged
        store_path.write_text(json.dumps(store), encoding="utf-8")
        print(f"{kind.lower()}/{metadata['name']} serverside-applied")
        return 0
    sys.stderr.write(f"error: the fake does not implement {rest}\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
