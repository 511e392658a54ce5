"""``setup BUNDLE_ARCHIVE``: one verb from a bundle archive to a staged revision (seed A4).

It verifies the archive first (the refusal policy, its digest and the secret scan of
``bundles verify``), so a refused archive changes nothing; then it creates or heals the
environment as ``env init`` does, and in one transaction adds the deployment (or reuses
the one of that bundle id) and stages a revision whose digest is the archive's.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from greentic_iac.cli.context import Context
from greentic_iac.errors import InvalidInputError

if TYPE_CHECKING:
    from greentic_iac.spec.deployment import RouteBinding


def setup(ctx: Context, _: None) -> dict[str, Any]:
    from greentic_iac.bundles import verify_archive
    from greentic_iac.cli.commands.env import ensure_environment
    from greentic_iac.operations.setup import SetupRequest, bundle_id_from_archive, setup_deployment
    from greentic_iac.spec import validate_environment_id

    environment_id = validate_environment_id(ctx.args.env)
    archive = Path(ctx.args.archive)
    bundle_id = _checked_bundle_id(
        environment_id, ctx.args.bundle_id or bundle_id_from_archive(archive.name)
    )
    route_binding = _route_binding(ctx.args.host, ctx.args.path_prefix)
    # Verified before anything is written: a refused archive leaves the store untouched.
    report = verify_archive(archive)
    request = SetupRequest(environment_id, bundle_id, report.digest, route_binding)
    environment = ensure_environment(ctx, environment_id, "setup")
    staged = ctx.store.mutate(
        environment_id,
        # A new deployment gets what its target allocates per owner in the same transaction.
        ctx.allocated(lambda state: setup_deployment(state, request)),
        verb="setup",
        payload={
            "archive": archive.name,
            "bundle_id": bundle_id,
            "bundle_digest": report.digest,
            "route_binding": route_binding.to_json_dict() if route_binding else None,
        },
    ).result
    return {
        **staged,
        "environment": environment["outcome"],
        "healed_slots": environment["healed_slots"],
        "verify": report.to_dict(),
    }


def _route_binding(host: str | None, path_prefix: str | None) -> RouteBinding | None:
    """The binding the flags ask for, or None when neither is given."""
    from pydantic import ValidationError

    from greentic_iac.spec import format_validation_error
    from greentic_iac.spec.deployment import RouteBinding

    if host is None and path_prefix is None:
        return None
    try:
        return RouteBinding(host=host or "localhost", path_prefix=path_prefix or "/")
    except ValidationError as exc:
        raise InvalidInputError(
            format_validation_error(exc, prefix="--host/--path-prefix: ")
        ) from None


def _checked_bundle_id(environment_id: str, bundle_id: str) -> str:
    """``bundle_id`` if ``bundles add`` would take it; else exit 2 naming ``--bundle-id``."""
    from pydantic import ValidationError

    from greentic_iac.spec.answers import BundleAddPayload

    try:
        BundleAddPayload(
            environment_id=environment_id,
            bundle_id=bundle_id,
            route_binding={"host": "localhost"},
        )
    except ValidationError:
        raise InvalidInputError(
            f"--bundle-id: {bundle_id!r} is not a bundle id (lowercase letters, digits, "
            "'.', '_' and '-', starting and ending with a letter or digit, at most 128)"
        ) from None
    return bundle_id
