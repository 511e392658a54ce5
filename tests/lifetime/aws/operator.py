"""An operator driving environments through the CLI verbs (in process), with one Pulumi
stack per environment replayed into moto_server after every change.

Verbs run through ``run_cli`` exactly as a person types them (answers file in, JSON out).
After a change the environment is compiled the way ``plan``/``up`` compile it, its plan
replayed (``Replayer``) and, as ``up`` does on success, recorded as the applied baseline
with the generation it was compiled from.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from greentic_iac.cli.context import Context, parse_payload, read_answers
from greentic_iac.cli.verbs import VERBS
from greentic_iac.envpacks.handler import import_object
from greentic_iac.errors import GreenticError
from greentic_iac.operations.baseline import save_baseline
from greentic_iac.operations.planning import compile_environment, compiler_for
from greentic_iac.plan import Compiler, Plan
from greentic_iac.spec import EnvironmentState
from greentic_iac.store import open_store
from tests.lifetime.aws.replay import Replayer
from tests.support.cli_runner import Outcome, run_cli

EXAMPLE = Path(__file__).parents[3] / "examples" / "aws-ecs" / "environment.json"
IMAGE_REPOSITORY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/greentic"


@dataclass
class SharedListener:
    """An ALB someone else owns, in moto: its VPC, subnets, security group and listener."""

    vpc_id: str
    public_subnets: list[str]
    private_subnets: list[str]
    security_group: str
    listener_arn: str

    @classmethod
    def create(cls, session: boto3.Session) -> SharedListener:
        ec2, elbv2 = session.client("ec2"), session.client("elbv2")
        vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(
                VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"eu-west-1{'ab'[i % 2]}"
            )["Subnet"]["SubnetId"]
            for i in range(4)
        ]
        sg = ec2.create_security_group(GroupName="shared-alb", Description="shared", VpcId=vpc)
        lb = elbv2.create_load_balancer(
            Name="shared", Subnets=subnets[:2], SecurityGroups=[sg["GroupId"]]
        )["LoadBalancers"][0]
        listener = elbv2.create_listener(
            LoadBalancerArn=lb["LoadBalancerArn"],
            Protocol="HTTP",
            Port=80,
            DefaultActions=[
                {
                    "Type": "fixed-response",
                    "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"},
                }
            ],
        )["Listeners"][0]
        return cls(vpc, subnets[:2], subnets[2:], sg["GroupId"], listener["ListenerArn"])

    def settings(self) -> dict[str, Any]:
        return {
            "region": "eu-west-1",
            "network": {
                "mode": "existing",
                "vpc_id": self.vpc_id,
                "public_subnet_ids": self.public_subnets,
                "private_subnet_ids": self.private_subnets,
            },
            "load_balancer": {
                "mode": "existing",
                "listener_arn": self.listener_arn,
                "security_group_id": self.security_group,
                "protocol": "http",
            },
            "service": {"image_repository": IMAGE_REPOSITORY},
        }


def own_alb_settings(**service: Any) -> dict[str, Any]:
    return {"region": "eu-west-1", "service": {"image_repository": IMAGE_REPOSITORY, **service}}


@dataclass
class Operator:
    home: Path
    session: boto3.Session
    stacks: dict[str, Replayer] = field(default_factory=dict)
    plans: dict[str, Plan] = field(default_factory=dict)
    _answers: int = 0
    _compilers: dict[str, Compiler] = field(default_factory=dict)

    # Refusals whose exact CLI output a test checks go through the whole CLI; the many verbs
    # of a walk go through the same handler, payload model and error mapping without
    # rebuilding the argparse tree per call (most of an in-process CLI call's time).
    real_cli: bool = False

    def cli(self, *argv: str) -> Outcome:
        return run_cli(self.home, *argv)

    def verb(self, noun: str, verb: str, payload: dict[str, Any]) -> Outcome:
        self._answers += 1
        path = self.home.parent / f"answers-{self._answers}.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        # The walk replays plans into the emulator itself, where no task ever runs: warm's
        # cloud health check is skipped (audited); tests/integration/health covers it.
        flags = ["--skip-health-check"] if (noun, verb) == ("revisions", "warm") else []
        if self.real_cli:
            return self.cli(noun, verb, *flags, "--answers", str(path))
        return self._handler(noun, verb, str(path))

    def _handler(self, noun: str, name: str, answers: str) -> Outcome:
        spec = next(v for v in VERBS if v.noun == noun and v.name == name)
        skip = (noun, name) == ("revisions", "warm")
        arguments = argparse.Namespace(answers=answers, skip_health_check=skip)
        ctx = Context(self.home, None, "json", False, arguments)
        try:
            assert spec.payload is not None
            label, document = read_answers(answers)
            payload = parse_payload(import_object(spec.payload), label, document)
            result = import_object(spec.handler)(ctx, payload)
        except GreenticError as exc:
            return Outcome(exc.exit_code, "", f"error: {str(exc).splitlines()[0]}\n")
        envelope = {"noun": noun, "op": name, "result": result}
        return Outcome(0, json.dumps(envelope, default=str), "")

    def create_environment(self, environment_id: str, settings: dict[str, Any]) -> Outcome:
        document = json.loads(EXAMPLE.read_text(encoding="utf-8"))
        document["environment_id"] = environment_id
        document.pop("policy", None)
        for pack in document["packs"]:
            if pack["slot"] == "deployer":
                pack["settings"] = settings
        outcome = self.verb("env", "create", document)
        if outcome.code == 0:
            self.stacks[environment_id] = Replayer(self.session)
        return outcome

    def state(self, environment_id: str) -> EnvironmentState:
        return open_store(None, home=self.home).load(environment_id)

    def up(self, environment_id: str) -> Plan:
        """Compile and replay, then record the baseline as ``up`` does after success."""
        state = self.state(environment_id)
        compiler = self._compilers.get(environment_id) or compiler_for(state)
        self._compilers[environment_id] = compiler
        plan = compile_environment(state, compiler)
        self.stacks[environment_id].apply(plan)
        save_baseline(self.home, plan, state.generation)
        self.plans[environment_id] = plan
        return plan

    # -- verbs -------------------------------------------------------------------------------

    def add_bundle(self, environment_id: str, host: str, path: str) -> Outcome:
        return self.verb(
            "bundles",
            "add",
            {
                "environment_id": environment_id,
                "bundle_id": "shop",
                "route_binding": {"host": host, "path_prefix": path},
            },
        )

    def remove_bundle(self, environment_id: str, deployment_id: str) -> Outcome:
        payload = {"environment_id": environment_id, "deployment_id": deployment_id}
        return self.verb("bundles", "remove", payload)

    def stage(self, environment_id: str, deployment_id: str, n: int) -> Outcome:
        digest = "sha256:" + hashlib.sha256(f"{deployment_id}/{n}".encode()).hexdigest()
        return self.verb(
            "revisions",
            "stage",
            {
                "environment_id": environment_id,
                "deployment_id": deployment_id,
                "bundle_digest": digest,
            },
        )

    def transition(self, environment_id: str, verb: str, revision_id: str) -> Outcome:
        return self.verb(
            "revisions", verb, {"environment_id": environment_id, "revision_id": revision_id}
        )

    def traffic(self, environment_id: str, deployment_id: str, weights: dict[str, int]) -> Outcome:
        return self.verb(
            "traffic",
            "set",
            {
                "environment_id": environment_id,
                "deployment_id": deployment_id,
                "entries": [{"revision_id": r, "weight_bps": w} for r, w in weights.items()],
            },
        )

    def update_deployer(self, environment_id: str, settings: dict[str, Any]) -> Outcome:
        return self.verb(
            "env-packs",
            "update",
            {
                "environment_id": environment_id,
                "slot": "deployer",
                "kind": "greentic.deployer.aws-ecs@1.0.0",
                "pack_ref": "builtin:greentic.deployer.aws-ecs",
                "settings": settings,
            },
        )

    def config_set(self, environment_id: str, key: str, value: str) -> Outcome:
        return self.verb(
            "config", "set", {"environment_id": environment_id, "key": key, "value": value}
        )
