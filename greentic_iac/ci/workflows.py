"""Render the pull-request preview workflow for GitHub Actions or GitLab CI.

``ci init`` writes what this returns. The workflows live as Jinja2 templates under
``templates/ci/`` so a user can read them as the YAML they are; the templates use ``{=``
and ``=}`` for their own variables because ``${{ }}`` belongs to GitHub's expression
language and must pass through untouched.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
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
        "commit the workflow; it comments a preview on every pull request "
        "(optional secrets for the pulumi preview step: see docs/ci.md)"
    ),
    "gitlab": (
        "add `include: [{local: .gitlab/greentic-preview.yml}]` to .gitlab-ci.yml and set "
        "the masked CI/CD variable GREENTIC_GITLAB_TOKEN (api scope) so the job can comment"
    ),
}

DEFAULT_PYTHON_VERSION = "3.11"
DEFAULT_GREENTIC_HOME = ".greentic"

_PYTHON_VERSION = re.compile(r"^3\.\d{1,2}$")
# A relative directory inside the repository: no leading slash, no parent steps, and only
# characters that need no quoting in YAML or a shell.
_RELATIVE_DIR = re.compile(r"^(?!/)(?!.*(?:^|/)\.\.(?:/|$))[A-Za-z0-9._/-]{1,200}$")


def render_workflow(
    provider: Provider,
    *,
    python_version: str = DEFAULT_PYTHON_VERSION,
    greentic_home: str = DEFAULT_GREENTIC_HOME,
) -> tuple[str, str]:
    """The workflow for ``provider`` as ``(path relative to the repository root, text)``.

    ``greentic_home`` is the repository directory that holds the committed greentic store
    the job previews (unless the repository sets ``GREENTIC_STORE`` to a remote store).
    """
    if provider not in PROVIDERS:
        raise InvalidInputError(f"--provider: {provider!r} is not one of github, gitlab")
    if not _PYTHON_VERSION.match(python_version):
        raise InvalidInputError(f"python_version: {python_version!r} is not like 3.11")
    if not _RELATIVE_DIR.match(greentic_home):
        raise InvalidInputError(
            f"greentic_home: {greentic_home!r} is not a relative directory inside the repository"
        )
    template = _environment().get_template(f"ci/{provider}.yml.j2")
    text = template.render(
        python_version=python_version,
        greentic_home=greentic_home.rstrip("/"),
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
) -> Path:
    """Render and write the workflow under ``root``; the path written.

    An existing file is refused (InvalidInputError, file untouched) unless ``force``. The
    text goes to a temporary file first and is linked (no-clobber) or renamed (force) into
    place, so a reader never sees half a workflow and two racing writers can't both win.
    """
    if not root.is_dir():
        raise InvalidInputError(f"--dir: {root} is not a directory")
    relative, text = render_workflow(
        provider, python_version=python_version, greentic_home=greentic_home
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
