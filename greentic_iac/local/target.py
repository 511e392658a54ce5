"""The local-process target, as its pack's manifest names it (``target:``).

Its compiler is the pure ``greentic_iac.targets.local``; its lifecycle hooks push each
state change to a running runtime, so the object lives here, in the layer of the runtime
it drives (``targets`` must not import ``local``), as do its health and metric sources
(greentic_iac/local/sources.py: the supervisor's health checks, the router's metrics).
``engine="local"``: ``local up`` applies it on this machine, never Pulumi. See
docs/envpacks.md, "writing a deployer plug-in".
"""

from __future__ import annotations

from typing import Final

from greentic_iac.local.hooks import LocalHooks
from greentic_iac.local.sources import health_source, metric_source
from greentic_iac.plan.target import Target
from greentic_iac.targets.local import TARGET as DESCRIPTOR
from greentic_iac.targets.local import compile_plan

TARGET: Final = Target(
    descriptor=DESCRIPTOR,
    compile=compile_plan,
    engine="local",
    hooks=LocalHooks(),
    health=health_source,
    metrics=metric_source,
)
