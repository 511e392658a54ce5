"""Instant queries through the Prometheus HTTP API (``GET /api/v1/query``).

Rollout analysis asks Prometheus twice over: a ``prometheus`` check runs the user's query
(operations), and the Kubernetes target reads its built-in metrics as PromQL over the
ingress controller's series (targets/k8s/metrics.py). Beside the layers, like
``errors.py``, so both reach the one client. Every query is bounded in time and never goes
through a proxy (the server is named by URL, often a port-forward on 127.0.0.1).
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from greentic_iac.errors import GreenticError

PROMETHEUS_TIMEOUT_SECONDS: Final = 10.0
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _single_value(expression: str, data: dict[str, Any]) -> float | None:
    if data["resultType"] == "scalar":
        value = float(data["result"][1])
        return None if math.isnan(value) else value
    results = data["result"]
    if not results:
        return None
    if len(results) > 1:
        raise GreenticError(
            f"prometheus query {expression!r} returned {len(results)} series; "
            "aggregate it to one value (sum, max, ...)"
        )
    value = float(results[0]["value"][1])
    return None if math.isnan(value) else value


def _error_body(error: urllib.error.HTTPError) -> dict[str, Any] | None:
    try:
        document = json.loads(error.read())
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


@dataclass(frozen=True)
class PrometheusQuerySource:
    """An instant query's single value (``None``: no series, or NaN such as 0/0)."""

    base_url: str
    timeout: float = PROMETHEUS_TIMEOUT_SECONDS

    def query(self, expression: str, at: datetime | None = None) -> float | None:
        """Evaluate ``expression`` now, or at ``at`` (the query's ``time`` parameter)."""
        parameters = {"query": expression}
        if at is not None:
            parameters["time"] = f"{at.timestamp():.3f}"
        url = f"{self.base_url.rstrip('/')}/api/v1/query?" + urllib.parse.urlencode(parameters)
        try:
            with _DIRECT.open(url, timeout=self.timeout) as response:
                document = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            # A bad query is a 400 whose body still says why.
            document = _error_body(exc)
            if document is None:
                raise GreenticError(f"prometheus {self.base_url}: query failed ({exc})") from None
        except (OSError, ValueError) as exc:
            raise GreenticError(f"prometheus {self.base_url}: query failed ({exc})") from None
        if not isinstance(document, dict) or document.get("status") != "success":
            error = document.get("error") if isinstance(document, dict) else None
            raise GreenticError(f"prometheus {self.base_url}: {error or 'query failed'}")
        try:
            return _single_value(expression, document["data"])
        except (KeyError, IndexError, TypeError, ValueError):
            raise GreenticError(
                f"prometheus {self.base_url}: unexpected answer to {expression!r}"
            ) from None
