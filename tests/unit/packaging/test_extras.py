"""Which extra a missing SDK points to, and the CLI's translation of a missing import."""

from __future__ import annotations

import pytest

import greentic_iac.cli.main as main
from greentic_iac.cli.verbs import VERBS
from greentic_iac.errors import InvalidInputError
from greentic_iac.extras import (
    extra_for_module,
    missing_extra_error,
    modules_for_tokens,
    require_modules,
)


@pytest.mark.parametrize(
    ("module", "extra"),
    [
        ("boto3", "aws"),
        ("botocore.config", "aws"),
        ("pulumi_aws.ecs", "aws"),
        ("pulumi_kubernetes", "k8s"),
        ("pulumi.automation", "pulumi"),
        ("pydantic", None),
        (None, None),
    ],
)
def test_each_cloud_sdk_maps_to_its_extra(module: str | None, extra: str | None) -> None:
    assert extra_for_module(module) == extra


def test_the_hint_names_the_fewest_extras() -> None:
    message = str(missing_extra_error("up prod", "pulumi", "pulumi_aws"))
    assert message == (
        "up prod: needs pulumi, pulumi_aws, which the core install leaves out: "
        "pip install 'greentic-iac[aws]'"
    )
    both = str(missing_extra_error("x", "pulumi_aws", "pulumi_kubernetes"))
    assert both.endswith("pip install 'greentic-iac[aws,k8s]'")
    assert str(missing_extra_error("x", "pulumi")).endswith("'greentic-iac[pulumi]'")


def test_plan_tokens_name_the_sdks_the_engine_needs() -> None:
    assert modules_for_tokens(["aws:ecs/service:Service", "aws:ec2/vpc:Vpc"]) == [
        "pulumi",
        "pulumi_aws",
    ]
    assert modules_for_tokens(["kubernetes:apps/v1:Deployment"]) == ["pulumi", "pulumi_kubernetes"]
    assert modules_for_tokens(["greentic:local:Process"]) == []


def test_require_modules_refuses_a_missing_module_and_passes_installed_ones() -> None:
    require_modules("anything", ["json", "pydantic"])
    with pytest.raises(InvalidInputError) as error:
        require_modules("export prod", ["json", "pulumi_not_a_real_provider"])
    assert str(error.value).startswith("export prod: needs pulumi_not_a_real_provider")


def test_the_cli_turns_a_missing_sdk_import_into_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The real case (a core venv, no boto3) is in test_core_install.py; this pins the rule
    # that only a cloud SDK's absence is translated, any other missing module stays a bug.
    verb = next(v for v in VERBS if v.command == "env list")

    def handler_missing(module: str) -> object:
        def handler(_ctx: object, _payload: object) -> None:
            raise ModuleNotFoundError(f"No module named {module!r}", name=module)

        return handler

    monkeypatch.setattr(main, "_load", lambda _path: handler_missing("boto3"))
    with pytest.raises(InvalidInputError) as error:
        main._run_handler(verb, None, None)  # type: ignore[arg-type]
    assert str(error.value).startswith("env list: needs boto3")
    assert str(error.value).endswith("pip install 'greentic-iac[aws]'")
    monkeypatch.setattr(main, "_load", lambda _path: handler_missing("not_an_sdk"))
    with pytest.raises(ModuleNotFoundError):
        main._run_handler(verb, None, None)  # type: ignore[arg-type]
