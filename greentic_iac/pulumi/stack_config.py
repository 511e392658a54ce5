"""Render ``stacks/Pulumi.<env>.yaml`` for ``greentic-iac stack init ENV``.

The stack config carries what the Pulumi program and the providers need before the
environment is loaded: the environment id, optionally where the store is, and the
provider settings its deployer target gives (``Target.provider_config``: ``aws:region``,
``kubernetes:context``, a plug-in's own). Secrets are never written: the file lists the
secret names the user sets with ``pulumi config set --secret``, so the values only ever
exist encrypted in Pulumi's own config. The layout is the Jinja2 template
``templates/stack/Pulumi.env.yaml.j2``.

The file is meant to be committed, so it names no path of the machine that wrote it: the
store is a URL (``greentic:store``, e.g. ``s3://bucket/prefix``) or a home directory
relative to the project (``greentic:home: .greentic``); a home elsewhere is left to
``GREENTIC_HOME`` on the machine that runs Pulumi (``portable_home``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from greentic_iac.spec.state import EnvironmentState

STACK_TEMPLATE = "stack/Pulumi.env.yaml.j2"
STACK_CONFIG_DIR = "stacks"


@cache
def template_environment() -> Any:
    """The Jinja2 environment over ``templates/`` (checkout or wheel)."""
    import jinja2

    from greentic_iac.resources import data_dir

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("templates"))),
        # The outputs are YAML and Python source, not HTML: escaping would corrupt them.
        autoescape=jinja2.select_autoescape(default_for_string=False, default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def stack_config_path(environment_id: str) -> str:
    """``stacks/Pulumi.<env>.yaml`` relative to the directory holding ``Pulumi.yaml``."""
    return f"{STACK_CONFIG_DIR}/Pulumi.{environment_id}.yaml"


def portable_home(home: Path, project_directory: Path) -> str | None:
    """``home`` as a POSIX path relative to ``project_directory`` when it lies inside it,
    else ``None`` (an absolute path, or one climbing out with ``..``, would only hold on
    this machine)."""
    root = project_directory.resolve()
    target = home.expanduser().resolve()
    if not target.is_relative_to(root):
        return None
    return Path(os.path.relpath(target, root)).as_posix()


def portable_store(store_url: str | None) -> str | None:
    """A store URL that means the same on every machine (``s3://``), else ``None``."""
    if store_url and store_url.startswith("s3://"):
        return store_url
    return None


def provider_config(state: EnvironmentState) -> dict[str, str]:
    """The provider settings the environment's stack pins: its deployer target's
    ``Target.provider_config`` (``aws:region``, ``kubernetes:context``, a plug-in's
    ``gcp:project``); empty when the target offers none or no deployer is bound."""
    if state.environment.deployer() is None:
        return {}
    from greentic_iac.targets import target_for

    member = target_for(state).provider_config
    return dict(member(state)) if member is not None else {}


def render_stack_config(
    state: EnvironmentState,
    *,
    home: str | None = None,
    store: str | None = None,
    secret_names: Sequence[str] = (),
) -> str:
    """The text of ``stacks/Pulumi.<env>.yaml`` for ``state``.

    ``home`` pins ``greentic:home`` (relative to the project; otherwise the program uses
    ``GREENTIC_HOME``), ``store`` pins ``greentic:store`` (otherwise ``GREENTIC_STORE``);
    ``secret_names`` are the secrets the environment's packs declare: they appear only as
    ``pulumi config set --secret`` instructions, never as values.
    """
    environment = state.environment
    deployer = environment.deployer()
    config: dict[str, str] = {"greentic:environment": environment.environment_id}
    if home:
        config["greentic:home"] = home
    if store:
        config["greentic:store"] = store
    config.update(provider_config(state))
    template = template_environment().get_template(STACK_TEMPLATE)
    return str(
        template.render(
            environment_id=environment.environment_id,
            deployer=str(deployer.kind) if deployer else None,
            config=sorted(config.items()),
            secret_names=sorted(set(secret_names)),
            yaml_scalar=json.dumps,
        )
    )
