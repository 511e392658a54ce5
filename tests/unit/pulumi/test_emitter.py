"""The emitter under the capturing mocks: refs, options, outputs and its refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan import Finding, Plan, PlanResource, ResourceOptions, Severity, ref
from greentic_iac.pulumi.emitter import emit
from greentic_iac.pulumi.export import export_pulumi_python
from greentic_iac.pulumi.testing import (
    assert_registered_matches_plan,
    emit_under_mocks,
    run_source_under_mocks,
    run_under_mocks,
)


def alb_plan() -> Plan:
    return Plan(
        environment_id="demo",
        target="test",
        resources=[
            PlanResource(
                type="aws:lb/loadBalancer:LoadBalancer",
                name="alb",
                properties={"loadBalancerType": "application", "subnets": ["s-1", "s-2"]},
                options=ResourceOptions(protect=True, additional_secret_outputs=["dnsName"]),
            ),
            PlanResource(
                type="aws:lb/targetGroup:TargetGroup",
                name="tg-r1",
                properties={"port": 8080, "protocol": "HTTP", "targetType": "ip", "vpcId": "v"},
                options=ResourceOptions(delete_before_replace=True),
            ),
            PlanResource(
                type="aws:lb/listener:Listener",
                name="listener",
                properties={
                    "loadBalancerArn": ref("alb", "arn"),
                    "port": 80,
                    "defaultActions": [
                        {
                            "type": "forward",
                            "forward": {
                                "targetGroups": [{"arn": ref("tg-r1", "arn"), "weight": 999}]
                            },
                        }
                    ],
                },
                options=ResourceOptions(ignore_changes=["defaultActions"]),
            ),
            PlanResource(
                type="aws:cloudwatch/logGroup:LogGroup",
                name="logs",
                properties={"retentionInDays": 7, "name": None},
                depends_on=["listener"],
            ),
        ],
        outputs={"url": ref("alb", "dns_name")},
    )


def test_alb_plan_conforms_with_nested_refs_and_options() -> None:
    capture = assert_registered_matches_plan(alb_plan())
    listener = capture.registrations["listener"]
    assert listener.inputs["loadBalancerArn"] == "mock://alb/arn"
    target = listener.inputs["defaultActions"][0]["forward"]["targetGroups"][0]
    assert target == {"arn": "mock://tg-r1/arn", "weight": 999}
    assert listener.dependencies == ["alb", "tg-r1"]
    assert listener.ignore_changes == ["defaultActions"]
    assert capture.registrations["tg-r1"].delete_before_replace is True
    assert capture.registrations["logs"].dependencies == ["listener"]
    assert "name" not in capture.registrations["logs"].inputs
    assert capture.stack_outputs == {"url": "mock://alb/dnsName"}


def test_exported_alb_program_conforms() -> None:
    plan = alb_plan()
    source = export_pulumi_python(plan)
    assert "aws.lb.Listener(" in source
    assert "load_balancer_arn=alb.arn," in source
    assert_registered_matches_plan(plan, run_source_under_mocks(source, plan))


def test_exported_program_is_ruff_clean(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.exists() and shutil.which("ruff") is None:
        pytest.skip("ruff is not installed")
    program = tmp_path / "__main__.py"
    program.write_text(export_pulumi_python(alb_plan()))
    result = subprocess.run(
        [
            str(ruff if ruff.exists() else "ruff"),
            "check",
            "--isolated",
            "--select",
            "E,F,W,I,B,UP",
            str(program),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_unknown_type_token_is_an_error_not_a_pass_through() -> None:
    plan = Plan(
        environment_id="demo",
        target="test",
        resources=[PlanResource(type="aws:ec2/madeUp:MadeUp", name="x")],
    )
    with pytest.raises(InvalidInputError, match=r"resources\.x\.type: 'aws:ec2/madeUp:MadeUp'"):
        emit_under_mocks(plan)


def test_unknown_property_names_resource_and_property() -> None:
    plan = Plan(
        environment_id="demo",
        target="test",
        resources=[PlanResource(type="aws:ec2/vpc:Vpc", name="vpc", properties={"cidr_blok": "x"})],
    )
    with pytest.raises(InvalidInputError, match=r"resources\.vpc\.properties\.cidr_blok"):
        emit_under_mocks(plan)


def test_kubernetes_kind_that_contradicts_the_token_is_refused() -> None:
    plan = Plan(
        environment_id="demo",
        target="test",
        resources=[
            PlanResource(
                type="kubernetes:core/v1:ConfigMap", name="cm", properties={"kind": "Secret"}
            )
        ],
    )
    with pytest.raises(InvalidInputError, match=r"properties\.kind"):
        emit_under_mocks(plan)


def test_plan_with_error_findings_is_not_emitted() -> None:
    plan = Plan(
        environment_id="demo",
        target="test",
        findings=[Finding(severity=Severity.ERROR, code="alb-weights", message="too many")],
    )
    with pytest.raises(InvalidInputError, match="alb-weights"):
        emit(plan)


def test_mock_engine_refuses_types_outside_the_table() -> None:
    def program() -> None:
        import pulumi_kubernetes as kubernetes

        kubernetes.apiextensions.CustomResource(
            "odd", api_version="example.com/v1", kind="Odd", spec={}
        )

    with pytest.raises(Exception, match="unsupported resource type"):
        run_under_mocks(program)


def test_runs_do_not_leak_into_each_other() -> None:
    first = emit_under_mocks(alb_plan())
    second = emit_under_mocks(alb_plan())
    assert (
        set(first.registrations)
        == set(second.registrations)
        == {
            "alb",
            "tg-r1",
            "listener",
            "logs",
        }
    )
