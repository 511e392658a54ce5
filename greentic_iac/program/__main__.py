"""Entry point Pulumi runs for ``pulumi up -s <env>`` (``main: greentic_iac/program/``)."""

from greentic_iac.program import run

run()
