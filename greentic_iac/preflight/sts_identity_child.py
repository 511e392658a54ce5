"""Child process for the ``aws-caller-identity`` probe: STS GetCallerIdentity via boto3.

Run as a script (``python sts_identity_child.py TIMEOUT``) by ``probes.py`` so that the
probe sees exactly the environment the caller passed (boto3 reads ``os.environ``), and so
that a hung credential provider is killed with its process instead of leaking a thread.
Prints one JSON line: ``{"ok": true, "account", "arn", "user_id", "region", "endpoint"}``
or ``{"ok": false, "error"}``. Imports only boto3, so it also runs from an installed wheel.
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> int:
    timeout = float(argv[1]) if len(argv) > 1 else 10.0
    try:
        import boto3
        from botocore.config import Config

        session = boto3.session.Session()
        # botocore reads only AWS_DEFAULT_REGION and the profile; AWS_REGION (what the other
        # SDKs and our docs use) wins here. STS answers from any region, so us-east-1 keeps
        # a region-less machine working.
        region = os.environ.get("AWS_REGION") or session.region_name or "us-east-1"
        config = Config(
            connect_timeout=max(min(timeout / 2, 3.0), 0.5),
            read_timeout=max(timeout, 1.0),
            retries={"total_max_attempts": 1, "mode": "standard"},
        )
        client = session.client("sts", region_name=region, config=config)
        identity = client.get_caller_identity()
    except ModuleNotFoundError as error:
        hint = "pip install 'greentic-iac[aws]'"
        print(json.dumps({"ok": False, "error": f"{error.name} is not installed: {hint}"}))
        return 1
    except Exception as error:  # every failure becomes a one-line report, never a trace
        message = " ".join(str(error).split()) or "no message"
        print(json.dumps({"ok": False, "error": f"{type(error).__name__}: {message}"}))
        return 1
    print(
        json.dumps(
            {
                "ok": True,
                "account": identity.get("Account"),
                "arn": identity.get("Arn"),
                "user_id": identity.get("UserId"),
                "region": region,
                "endpoint": client.meta.endpoint_url,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
