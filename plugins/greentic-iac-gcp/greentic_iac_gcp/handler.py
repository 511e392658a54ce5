"""The Cloud Run deployer pack's handler: a ``ManifestHandler`` built from the manifest
shipped beside it, registered through the ``greentic_iac.envpacks`` entry point."""

from __future__ import annotations

from pathlib import Path

from greentic_iac.envpacks import ManifestHandler, load_manifest

MANIFEST_FILE = Path(__file__).with_name("greentic.deployer.cloud-run.yaml")


class CloudRunHandler(ManifestHandler):
    """Entry points call the class with no arguments; the manifest is read once per load."""

    def __init__(self) -> None:
        super().__init__(load_manifest(MANIFEST_FILE))
