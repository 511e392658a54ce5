"""Render the pull-request preview workflow for GitHub Actions or GitLab CI.

``ci init`` writes what this returns. The workflows live as Jinja2 templates under
``templates/ci/`` so a user can read them as the YAML they are; the templates use ``{=``
and ``=}`` for their own variables because ``${{ }}`` belongs to GitHub's expression
language and must pass through untouched.

What makes them safe to run in someone else's repository is decided here: greentic-iac is
installed from a source that exists (a VCS URL pinned to a commit, or a version from an
index the user names), every action is pinned by commit SHA, and the Pulumi CLI is a pinned
release checked against its SHA-256. Each pin names where it was verified.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from greentic_iac.errors import InvalidInputError
from greentic_iac.resources import data_dir

if TYPE_CHECKING:
    import jinja2

Provider = Literal["github", "gitlab"]

PROVIDERS: tuple[Provider, ...] = ("github", "gitlab")

# Where each provider's workflow goes, relative to the repository root. GitLab reads only
# one file (.gitlab-ci.yml), which the user already owns: we write an includable file next
# to it and tell them the one `include:` line to add, rather than editing theirs.
WORKFLOW_PATHS: dict[Provider, str] = {
    "github": ".github/workflows/greentic-preview.yml",
    "gitlab": ".gitlab/greentic-preview.yml",
}

FOLLOW_UP: dict[Provider, str] = {
    "github": (
        "commit the workflow; set the repository variable GREENTIC_IAC_SOURCE (unless "
        "--source was given) and it comments a preview on every pull request (the opt-in "
        "pulumi preview with AWS OIDC: see docs/ci.md)"
    ),
    "gitlab": (
        "add `include: [{local: .gitlab/greentic-preview.yml}]` to .gitlab-ci.yml and set "
        "the masked CI/CD variable GREENTIC_GITLAB_TOKEN (api scope) so the job can comment, "
        "and GREENTIC_IAC_SOURCE unless --source was given (see docs/ci.md)"
    ),
}

DEFAULT_PYTHON_VERSION = "3.11"
DEFAULT_GREENTIC_HOME = ".greentic"


@dataclass(frozen=True)
class PinnedAction:
    name: str
    tag: str
    sha: str  # the commit the tag points to, read from the action's own repository


# Each SHA is the commit its tag resolved to in the action's repository (git rev-parse
# '<tag>^{commit}' on a clone). Bump tag and SHA together, and only after checking both.
ACTIONS: dict[str, PinnedAction] = {
    "checkout": PinnedAction(
        "actions/checkout", "v7.0.1", "3d3c42e5aac5ba805825da76410c181273ba90b1"
    ),
    "setup_python": PinnedAction(
        "actions/setup-python", "v7.0.0", "5fda3b95a4ea91299a34e894583c3862153e4b97"
    ),
    "upload_artifact": PinnedAction(
        "actions/upload-artifact", "v7.0.0", "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f"
    ),
    "download_artifact": PinnedAction(
        "actions/download-artifact", "v8.0.1", "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c"
    ),
    "configure_aws_credentials": PinnedAction(
        "aws-actions/configure-aws-credentials",
        "v6.2.3",
        "e6de054238d6b7531b4efff3b6587d9aade6a06c",
    ),
}

# The Pulumi CLI release the pulumi preview job installs, and the SHA-256 of its
# linux-x64 archive (as packaged by nixpkgs' pulumi-bin, which checks the hash of the
# archive from get.pulumi.com). It is older than the pulumi SDK in the lock: it is the newest
# release whose hash could be verified here. Pass --pulumi-version with --pulumi-sha256
# (from the release's checksums file) to use another.
DEFAULT_PULUMI_VERSION = "3.170.0"
DEFAULT_PULUMI_SHA256 = "c4b24a12106c101a68435728aa40d4a0cbf4fae70f25a5cb9f46cf1f5db3f8e5"

_PYTHON_VERSION = re.compile(r"^3\.\d{1,2}$")
# git+https://host/path@<full commit>: a tag or branch could be moved, a commit can't.
_VCS_SOURCE = re.compile(r"^git\+https://[A-Za-z0-9.-]+(?::\d+)?/[A-Za-z0-9._~/-]+@[0-9a-f]{40}$")
_VERSION_SOURCE = re.compile(r"^==\d+(?:\.\d+){0,3}(?:(?:a|b|rc|\.post|\.dev)\d+)?$")
_INDEX_URL = re.compile(r"^https://[A-Za-z0-9.-]+(?::\d+)?(?:/[A-Za-z0-9._~/+-]*)?$")
_PULUMI_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# name[:tag][@sha256:digest], the characters a registry reference uses.
_IMAGE = re.compile(r"^[a-z0-9][a-z0-9._/-]*(?::[A-Za-z0-9._-]+)?(?:@sha256:[0-9a-f]{64})?$")
# A relative directory inside the repository: no leading slash, no parent steps, and only
# characters that need no quoting in YAML or a shell.
_RELATIVE_DIR = re.compile(r"^(?!/)(?!.*(?:^|/)\.\.(?:/|$))[A-Za-z0-9._/-]{1,200}$")


@dataclass(frozen=True)
class WorkflowOptions:
    """What a user may choose in a rendered workflow; every value is validated on render.

    ``install_source`` is baked in when given; otherwise the job reads the repository (or
    CI/CD) variable ``GREENTIC_IAC_SOURCE`` and fails with a one-line error while it is
    unset. ``gitlab_image`` defaults to ``python:<python_version>``; pin it by digest
    (``python:3.11@sha256:…``) to freeze it.
    """

    python_version: str = DEFAULT_PYTHON_VERSION
    greentic_home: str = DEFAULT_GREENTIC_HOME
    install_source: str | None = None
    index_url: str | None = None
    pulumi_version: str = DEFAULT_PULUMI_VERSION
    pulumi_sha256: str = DEFAULT_PULUMI_SHA256
    gitlab_image: str | None = None

    def validate(self) -> None:
        if not _PYTHON_VERSION.match(self.python_version):
            raise InvalidInputError(f"python_version: {self.python_version!r} is not like 3.11")
        if not _RELATIVE_DIR.match(self.greentic_home):
            raise InvalidInputError(
                f"greentic_home: {self.greentic_home!r} is not a relative directory inside "
                "the repository"
            )
        source = self.install_source
        if source is not None and not (_VCS_SOURCE.match(source) or _VERSION_SOURCE.match(source)):
            raise InvalidInputError(
                "--source: not git+https://host/owner/greentic-iac@<40-hex commit> nor "
                "==VERSION (a bare name could be anyone's package)"
            )
        if self.index_url is not None:
            if not _INDEX_URL.match(self.index_url):
                raise InvalidInputError(f"--index-url: {self.index_url!r} is not an https URL")
            if source is None or not source.startswith("=="):
                raise InvalidInputError("--index-url: goes with --source ==VERSION")
        elif source is not None and source.startswith("=="):
            raise InvalidInputError(
                "--source: ==VERSION needs --index-url, the index that serves greentic-iac"
            )
        if not _PULUMI_VERSION.match(self.pulumi_version):
            raise InvalidInputError(f"--pulumi-version: {self.pulumi_version!r} is not X.Y.Z")
        if not _SHA256.match(self.pulumi_sha256):
            raise InvalidInputError("--pulumi-sha256: not 64 lowercase hex digits")
        if (self.pulumi_version == DEFAULT_PULUMI_VERSION) != (
            self.pulumi_sha256 == DEFAULT_PULUMI_SHA256
        ):
            raise InvalidInputError(
                "--pulumi-sha256: give --pulumi-version and --pulumi-sha256 together"
            )
        if self.gitlab_image is not None and not _IMAGE.match(self.gitlab_image):
            raise InvalidInputError(f"--image: {self.gitlab_image!r} is not an image reference")


def render_workflow(
    provider: Provider,
    *,
    python_version: str = DEFAULT_PYTHON_VERSION,
    greentic_home: str = DEFAULT_GREENTIC_HOME,
    options: WorkflowOptions | None = None,
) -> tuple[str, str]:
    """The workflow for ``provider`` as ``(path relative to the repository root, text)``.

    ``greentic_home`` is the repository directory that holds the committed greentic store
    the job previews (unless the repository sets ``GREENTIC_STORE`` to a remote store).
    ``options`` (when given) carries every choice, python_version and greentic_home too.
    """
    if provider not in PROVIDERS:
        raise InvalidInputError(f"--provider: {provider!r} is not one of github, gitlab")
    if options is None:
        options = WorkflowOptions(python_version=python_version, greentic_home=greentic_home)
    options.validate()
    template = _environment().get_template(f"ci/{provider}.yml.j2")
    text = template.render(
        python_version=options.python_version,
        greentic_home=options.greentic_home.rstrip("/"),
        install_source=options.install_source,
        index_url=options.index_url,
        pulumi_version=options.pulumi_version,
        pulumi_sha256=options.pulumi_sha256,
        gitlab_image=options.gitlab_image or f"python:{options.python_version}",
        actions=ACTIONS,
        marker_prefix=MARKER_PREFIX,
    )
    return WORKFLOW_PATHS[provider], text.rstrip("\n") + "\n"


def write_workflow(
    root: Path,
    provider: Provider,
    *,
    force: bool = False,
    python_version: str = DEFAULT_PYTHON_VERSION,
    greentic_home: str = DEFAULT_GREENTIC_HOME,
    options: WorkflowOptions | None = None,
) -> Path:
    """Render and write the workflow under ``root``; the path written.

    An existing file is refused (InvalidInputError, file untouched) unless ``force``. The
    text goes to a temporary file first and is linked (no-clobber) or renamed (force) into
    place, so a reader never sees half a workflow and two racing writers can't both win.
    """
    if not root.is_dir():
        raise InvalidInputError(f"--dir: {root} is not a directory")
    relative, text = render_workflow(
        provider, python_version=python_version, greentic_home=greentic_home, options=options
    )
    target = root / relative
    if target.is_dir():
        raise InvalidInputError(f"{target}: is a directory, not a workflow file")
    if target.exists() and not force:
        raise InvalidInputError(f"{target}: already exists (use --force to overwrite it)")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    temporary = Path(temporary_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        temporary.chmod(0o644)
        if force:
            temporary.replace(target)
        else:
            try:
                target.hardlink_to(temporary)
            except FileExistsError:
                raise InvalidInputError(
                    f"{target}: already exists (use --force to overwrite it)"
                ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    return target


# The hidden HTML comment that identifies a preview comment: one per environment.
MARKER_PREFIX = "greentic-preview:"


def _environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("templates"))),
        variable_start_string="{=",
        variable_end_string="=}",
        # `${#var}` is shell for a string's length: keep Jinja's comments out of its way.
        comment_start_string="{##",
        comment_end_string="##}",
        autoescape=False,  # noqa: S701 - YAML, not HTML; values are validated above
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
