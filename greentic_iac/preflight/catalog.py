"""The tools preflight knows: how to find each, read its version, and install it.

Env-pack manifests name tools from this catalog (``KNOWN_TOOLS``); a name outside it is a
manifest bug caught by the manifest tests through ``validate_requirement``. Version
commands and parsers follow each tool's real output, including the quirks: aws-cli v1
prints its version on stderr, terraform prefixes ``-json`` output with CLI-config
warnings, kubectl builds carry vendor suffixes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from greentic_iac.preflight.platforms import PackageManager, Platform, manager_order
from greentic_iac.preflight.versions import VersionParser


@dataclass(frozen=True)
class InstallHints:
    apt: str
    brew: str
    scoop: str
    url: str

    def render(self, platform: Platform) -> str:
        """``apt: …; brew: …; scoop: …; see <url>`` with ``platform``'s manager first."""
        commands: Mapping[PackageManager, str] = {
            "apt": self.apt,
            "brew": self.brew,
            "scoop": self.scoop,
        }
        parts = [f"{manager}: {commands[manager]}" for manager in manager_order(platform)]
        return "; ".join([*parts, f"see {self.url}"])


@dataclass(frozen=True)
class ToolSpec:
    name: str
    # Executable names tried in order on PATH (Windows wrappers resolve via PATHEXT).
    executables: tuple[str, ...]
    version_args: tuple[str, ...]
    parser: VersionParser
    hints: InstallHints
    # Extra environment for the version command: switch off update checks and prompts
    # that would add network calls or block.
    quiet_env: Mapping[str, str] = field(default_factory=dict)
    # Said when the found major version is below the required one (a different product
    # line to install, not an upgrade in place).
    major_upgrade_note: str | None = None


_SPECS = (
    ToolSpec(
        name="pulumi",
        executables=("pulumi",),
        version_args=("version",),
        # ``v3.120.0``
        parser=VersionParser(patterns=(r"^\s*(v?\d+\.\d+\.\d+\S*)",)),
        hints=InstallHints(
            apt="curl -fsSL https://get.pulumi.com | sh  (no apt package)",
            brew="brew install pulumi/tap/pulumi",
            scoop="scoop install pulumi",
            url="https://www.pulumi.com/docs/iac/download-install/",
        ),
        quiet_env={"PULUMI_SKIP_UPDATE_CHECK": "true"},
    ),
    ToolSpec(
        name="kubectl",
        executables=("kubectl",),
        version_args=("version", "--client", "-o", "json"),
        # {"clientVersion": {"gitVersion": "v1.32.4"}}; older text: Client Version: v1.29.0
        parser=VersionParser(
            json_path=("clientVersion", "gitVersion"),
            patterns=(r"Client Version:\s*(v?\d+\.\d+\.\d+\S*)", r'GitVersion:"(v?\d[^"]*)"'),
        ),
        hints=InstallHints(
            apt="sudo apt-get install -y kubectl  (after adding the pkgs.k8s.io apt repository)",
            brew="brew install kubectl",
            scoop="scoop install kubectl",
            url="https://kubernetes.io/docs/tasks/tools/",
        ),
    ),
    ToolSpec(
        name="helm",
        executables=("helm",),
        version_args=("version", "--short"),
        # ``v3.14.0+g3fc9f4b``; full form: version.BuildInfo{Version:"v3.2.1", ...}
        parser=VersionParser(
            patterns=(r"^\s*(v?\d+\.\d+\.\d+[^\s+]*)", r'Version:"(v?\d[^"]*)"'),
        ),
        hints=InstallHints(
            apt="sudo apt-get install helm  (after adding the Helm apt repository)",
            brew="brew install helm",
            scoop="scoop install helm",
            url="https://helm.sh/docs/intro/install/",
        ),
    ),
    ToolSpec(
        name="aws",
        executables=("aws",),
        version_args=("--version",),
        # ``aws-cli/2.15.0 Python/3.11.6 Linux/...`` (v1 may print it on stderr)
        parser=VersionParser(patterns=(r"aws-cli/(\d+\.\d+\.\d+\S*)",)),
        hints=InstallHints(
            apt="sudo snap install aws-cli --classic  (or the official v2 installer zip)",
            brew="brew install awscli",
            scoop="scoop install aws",
            url="https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html",
        ),
        quiet_env={"AWS_PAGER": ""},
        major_upgrade_note=(
            "aws-cli v2 is a separate install (pip's awscli package stays on v1); "
            "remove v1 from PATH or put v2 before it"
        ),
    ),
    ToolSpec(
        name="docker",
        executables=("docker",),
        version_args=("--version",),
        # ``Docker version 28.2.2, build e6534b4``
        parser=VersionParser(patterns=(r"[Vv]ersion\s+v?(\d+\.\d+(?:\.\d+)?[^\s,]*)",)),
        hints=InstallHints(
            apt="sudo apt-get install -y docker.io  (or docker-ce from Docker's apt repository)",
            brew="brew install --cask docker",
            scoop="scoop install docker",
            url="https://docs.docker.com/engine/install/",
        ),
    ),
    ToolSpec(
        name="podman",
        executables=("podman",),
        version_args=("--version",),
        # ``podman version 4.9.3``
        parser=VersionParser(patterns=(r"[Vv]ersion\s+v?(\d+\.\d+(?:\.\d+)?[^\s,]*)",)),
        hints=InstallHints(
            apt="sudo apt-get install -y podman",
            brew="brew install podman",
            scoop="scoop install podman",
            url="https://podman.io/docs/installation",
        ),
    ),
    ToolSpec(
        name="terraform",
        executables=("terraform",),
        version_args=("version", "-json"),
        # {"terraform_version": "1.11.4", ...} possibly after CLI-config warnings;
        # text form: ``Terraform v1.8.0``
        parser=VersionParser(
            json_path=("terraform_version",),
            patterns=(r"Terraform v(\d+\.\d+\.\d+\S*)",),
        ),
        hints=InstallHints(
            apt="sudo apt-get install terraform  (after adding the HashiCorp apt repository)",
            brew="brew install hashicorp/tap/terraform",
            scoop="scoop install terraform",
            url="https://developer.hashicorp.com/terraform/install",
        ),
        quiet_env={"CHECKPOINT_DISABLE": "1"},
    ),
    ToolSpec(
        name="tofu",
        executables=("tofu",),
        version_args=("--version",),
        # ``OpenTofu v1.7.0`` then ``on linux_amd64``
        parser=VersionParser(
            json_path=("terraform_version",),
            patterns=(r"OpenTofu v(\d+\.\d+\.\d+\S*)",),
        ),
        hints=InstallHints(
            apt="sudo apt-get install tofu  (after adding the OpenTofu apt repository)",
            brew="brew install opentofu",
            scoop="scoop install opentofu",
            url="https://opentofu.org/docs/intro/install/",
        ),
        quiet_env={"CHECKPOINT_DISABLE": "1"},
    ),
    ToolSpec(
        name="gcloud",
        executables=("gcloud",),
        version_args=("version", "--format=json"),
        # {"Google Cloud SDK": "528.0.0", "bq": ...}; text: ``Google Cloud SDK 471.0.0``
        parser=VersionParser(
            json_path=("Google Cloud SDK",),
            patterns=(r"Google Cloud SDK\s+(\d+\.\d+\.\d+\S*)",),
        ),
        hints=InstallHints(
            apt="sudo apt-get install google-cloud-cli  (after adding the Google Cloud apt "
            "repository)",
            brew="brew install --cask google-cloud-sdk",
            scoop="scoop bucket add extras && scoop install gcloud",
            url="https://cloud.google.com/sdk/docs/install",
        ),
        quiet_env={
            "CLOUDSDK_CORE_DISABLE_PROMPTS": "1",
            "CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK": "1",
        },
    ),
    ToolSpec(
        name="az",
        executables=("az",),
        version_args=("version", "-o", "json"),
        # {"azure-cli": "2.60.0", "azure-cli-core": ..., "extensions": {}};
        # text (az --version): ``azure-cli                         2.60.0``
        parser=VersionParser(
            json_path=("azure-cli",),
            patterns=(r"azure-cli\s+(\d+\.\d+\.\d+\S*)",),
        ),
        hints=InstallHints(
            apt="curl -sL https://aka.ms/InstallAzureCLIDeb | sudo bash",
            brew="brew install azure-cli",
            scoop="scoop install azure-cli",
            url="https://learn.microsoft.com/cli/azure/install-azure-cli",
        ),
        quiet_env={"AZURE_CORE_COLLECT_TELEMETRY": "0", "AZURE_CORE_ONLY_SHOW_ERRORS": "1"},
    ),
)

TOOL_CATALOG: Mapping[str, ToolSpec] = MappingProxyType({spec.name: spec for spec in _SPECS})
KNOWN_TOOLS: frozenset[str] = frozenset(TOOL_CATALOG)
