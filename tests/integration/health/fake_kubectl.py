"""A stand-in ``kubectl`` that plays back recorded Deployment status (installed by conftest).

Every call appends its argv to ``$FAKE_KUBECTL_LOG`` (one JSON list per line). ``get
deployment NAME -o json`` answers with the next recorded document named in
``$FAKE_KUBECTL_PLAYBACK`` (a JSON list of file names in ``recorded/``; the last one
repeats), its name and namespace set to what was asked; an empty list answers NotFound.
``$FAKE_KUBECTL_MODE=hang`` never answers. The preflight's calls (``version``, ``auth
can-i``, ``get namespace``) answer as a reachable cluster with an absent namespace does.
"""

import json
import os
import sys
import time
from pathlib import Path

RECORDED = Path(os.environ["FAKE_KUBECTL_RECORDED"])


def option(argv, *names):
    for index, item in enumerate(argv):
        if item in names and index + 1 < len(argv):
            return argv[index + 1]
    return None


def next_document(name, namespace):
    playback = json.loads(Path(os.environ["FAKE_KUBECTL_PLAYBACK"]).read_text())
    if not playback:
        return None
    counter = Path(os.environ["FAKE_KUBECTL_PLAYBACK"] + ".calls")
    calls = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(calls + 1))
    document = json.loads((RECORDED / playback[min(calls, len(playback) - 1)]).read_text())
    document["metadata"]["name"] = name
    document["metadata"]["namespace"] = namespace
    return document


def main(argv):
    with open(os.environ["FAKE_KUBECTL_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(argv) + "\n")
    words = [
        a for a in argv if not a.startswith("--request-timeout") and not a.startswith("--context")
    ]
    namespace = option(words, "-n", "--namespace") or "default"
    if "--namespace" in words:
        index = words.index("--namespace")
        words = words[:index] + words[index + 2 :]
    if words[:1] == ["version"]:
        print(json.dumps({"clientVersion": {"gitVersion": "v1.30.2"}}))
        return 0
    if words[:2] == ["auth", "can-i"]:
        print("yes")
        return 0
    if words[:2] == ["get", "namespace"]:
        print(f'Error from server (NotFound): namespaces "{words[2]}" not found', file=sys.stderr)
        return 1
    if words[:2] == ["get", "deployment"]:
        if os.environ.get("FAKE_KUBECTL_MODE") == "hang":
            time.sleep(3600)
        document = next_document(words[2], namespace)
        if document is None:
            print(
                f'Error from server (NotFound): deployments.apps "{words[2]}" not found',
                file=sys.stderr,
            )
            return 1
        print(json.dumps(document))
        return 0
    print(f"fake kubectl: unsupported {argv}", file=sys.stderr)
    return 2


sys.exit(main(sys.argv[1:]))
