"""The lifetime walk: random operator verbs over environments that share a listener, every
step's plan replayed into moto_server in Pulumi's order (tests/lifetime/aws/replay.py).

Environments: ``prod-eu`` owns its VPC and ALB; ``shared-a`` and (once the walk adds it)
``shared-b`` attach to one existing listener. After every verb the changed environment is
compiled and applied; then the walk checks what must hold over a lifetime:

- every step applies (moto raises PriorityInUse, DuplicateTargetGroupName, a target group
  in use; the replayer checks the listener quotas moto doesn't);
- a verb either succeeds or is refused with exit 2 and leaves the store untouched;
- the weights read back from each weighted rule equal the plan's applied weights;
- each revision's ECS service has the desired count of its lifecycle;
- a live rule's priority never changes while its owner lives;
- nothing is left behind: the target groups and services in moto are exactly those of the
  plans, and every rule on the shared listener belongs to a shared environment's plan.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from greentic_iac.plan import Plan
from greentic_iac.spec import EnvironmentState, RevisionLifecycle
from tests.lifetime.aws.operator import Operator, SharedListener, own_alb_settings
from tests.support.soak import soak_examples

# The bounded walk takes well under a minute on an idle machine; make soak's takes hours.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.soak,
    pytest.mark.timeout(soak_examples(300, 6 * 3600)),
]

RULE = "aws:lb/listenerRule:ListenerRule"
TG = "aws:lb/targetGroup:TargetGroup"
SERVICE = "aws:ecs/service:Service"
HOSTS = ("shop.example.com", "*.example.com", "api.example.com")
PATHS = ("/", "/api", "/api/v2")
ENVIRONMENTS = ("prod-eu", "shared-a", "shared-b")
_STAGED, _WARMING, _READY = (RevisionLifecycle.STAGED, RevisionLifecycle.WARMING,
                              RevisionLifecycle.READY)  # fmt: skip
_DRAINING, _INACTIVE = RevisionLifecycle.DRAINING, RevisionLifecycle.INACTIVE
DESIRED = {
    RevisionLifecycle.STAGED: 0,
    RevisionLifecycle.WARMING: 1,
    RevisionLifecycle.READY: 1,
    RevisionLifecycle.DRAINING: 1,
    RevisionLifecycle.INACTIVE: 0,
}


class LifetimeWalk(RuleBasedStateMachine):
    make_operator: Callable[[], Operator]

    def __init__(self) -> None:
        super().__init__()
        self.op = self.make_operator()
        self.shared = SharedListener.create(self.op.session)
        self.priorities: dict[tuple[str, str], int] = {}
        # States read for the rules' preconditions, dropped after every verb.
        self._states: dict[str, EnvironmentState] = {}
        self.digests = 0
        self.port = 8080
        self.config = 0

    @initialize()
    def environments(self) -> None:
        """Each walk starts from two environments serving one deployment each."""
        for env, settings_ in (
            ("prod-eu", own_alb_settings()),
            ("shared-a", self.shared.settings()),
        ):
            assert self.op.create_environment(env, settings_).code == 0
            deployment = self.op.add_bundle(env, "shop.example.com", "/").result["deployment_id"]
            revision = self.op.stage(env, deployment, 0).result["revision_id"]
            assert self.op.transition(env, "warm", revision).code == 0
            assert self.op.traffic(env, deployment, {revision: 10_000}).code == 0
            self._up(env)

    # -- helpers -----------------------------------------------------------------------------

    def _envs(self) -> list[str]:
        return [e for e in ENVIRONMENTS if e in self.op.stacks]

    def _state(self, env: str) -> EnvironmentState:
        return self.op.state(env)

    def _verb(self, env: str, run: Callable[[], Any]) -> None:
        """Run a verb: it succeeds (then apply) or is refused with exit 2, store untouched."""
        self._states.clear()
        before = self._state(env)
        outcome = run()
        event(f"exit {outcome.code}")
        assert outcome.code in (0, 2), outcome.stderr
        if outcome.code == 2:
            assert self._state(env) == before, "a refused verb changed the store"
            return
        self._up(env)

    def _up(self, env: str) -> None:
        plan = self.op.up(env)
        self._check_priorities_stay(env, plan)
        self._check_weights(env, plan)
        self._check_desired_counts(env)

    def _candidates(self, *lifecycles: RevisionLifecycle) -> list[tuple[str, str, str]]:
        """(environment, deployment, revision) of every revision in one of ``lifecycles``."""
        found = []
        for env in self._envs():
            state = self._states.get(env) or self._states.setdefault(env, self._state(env))
            found += [
                (env, r.deployment_id, r.revision_id)
                for d in state.active_deployments()
                for r in state.revisions_of(d.deployment_id)
                if r.lifecycle in lifecycles
            ]
        return found

    # -- verbs -------------------------------------------------------------------------------

    @rule(data=st.data(), host=st.sampled_from(HOSTS), path=st.sampled_from(PATHS))
    def add_bundle(self, data: st.DataObject, host: str, path: str) -> None:
        env = data.draw(st.sampled_from(self._envs()))
        self._verb(env, lambda: self.op.add_bundle(env, host, path))

    @rule(data=st.data())
    def stage(self, data: st.DataObject) -> None:
        env = data.draw(st.sampled_from(self._envs()))
        deployments = [d.deployment_id for d in self._state(env).active_deployments()]
        if not deployments:
            return
        deployment = data.draw(st.sampled_from(deployments))
        self.digests += 1
        self._verb(env, lambda: self.op.stage(env, deployment, self.digests))

    def _transition(self, data: st.DataObject, verb: str, *lifecycles: RevisionLifecycle) -> None:
        env, _, revision = data.draw(st.sampled_from(self._candidates(*lifecycles)))
        self._verb(env, lambda: self.op.transition(env, verb, revision))

    @precondition(lambda self: self._candidates(_STAGED, _INACTIVE))
    @rule(data=st.data())
    def warm(self, data: st.DataObject) -> None:
        self._transition(data, "warm", _STAGED, _INACTIVE)

    @precondition(lambda self: self._candidates(_READY))
    @rule(data=st.data())
    def drain(self, data: st.DataObject) -> None:
        self._transition(data, "drain", _READY)

    @precondition(lambda self: self._candidates(_DRAINING))
    @rule(data=st.data())
    def deactivate(self, data: st.DataObject) -> None:
        self._transition(data, "deactivate", _DRAINING)

    @precondition(lambda self: self._candidates(_INACTIVE, _STAGED))
    @rule(data=st.data())
    def archive(self, data: st.DataObject) -> None:
        self._transition(data, "archive", _INACTIVE, _STAGED)

    @precondition(lambda self: self._candidates(_READY))
    @rule(data=st.data())
    def set_traffic(self, data: st.DataObject) -> None:
        ready = self._candidates(_READY)
        env, deployment = data.draw(st.sampled_from(sorted({(e, d) for e, d, _ in ready})))
        revisions = [r for e, d, r in ready if (e, d) == (env, deployment)][:3]
        chosen = data.draw(st.lists(st.sampled_from(revisions), min_size=1, unique=True))
        cuts = sorted(data.draw(st.lists(st.integers(1, 9_999), min_size=len(chosen) - 1,
                                         max_size=len(chosen) - 1, unique=True)))  # fmt: skip
        bounds = [0, *cuts, 10_000]
        weights = {r: bounds[i + 1] - bounds[i] for i, r in enumerate(chosen)}
        self._verb(env, lambda: self.op.traffic(env, deployment, weights))

    @rule()
    def change_container_port(self) -> None:
        """Every call is a change (8080 <-> 9090): it replaces every target group."""
        self.port = 9090 if self.port == 8080 else 8080
        self._verb("prod-eu", lambda: self.op.update_deployer(
            "prod-eu", own_alb_settings(container_port=self.port)))  # fmt: skip

    @rule(data=st.data())
    def set_config(self, data: st.DataObject) -> None:
        env = data.draw(st.sampled_from(self._envs()))
        self.config += 1
        self._verb(env, lambda: self.op.config_set(env, "LOG_LEVEL", f"level-{self.config}"))

    def _removable(self) -> list[tuple[str, str]]:
        """Deployments whose revisions are all archived (or that never had one)."""
        found = []
        for env in self._envs():
            state = self._states.get(env) or self._states.setdefault(env, self._state(env))
            found += [
                (env, d.deployment_id)
                for d in state.active_deployments()
                if all(
                    r.lifecycle == RevisionLifecycle.ARCHIVED
                    for r in state.revisions_of(d.deployment_id)
                )
            ]
        return found

    @precondition(lambda self: self._removable())
    @rule(data=st.data())
    def remove_bundle(self, data: st.DataObject) -> None:
        env, deployment = data.draw(st.sampled_from(self._removable()))
        self._verb(env, lambda: self.op.remove_bundle(env, deployment))

    @precondition(lambda self: "shared-b" not in self.op.stacks)
    @rule()
    def second_environment_on_the_listener(self) -> None:
        assert self.op.create_environment("shared-b", self.shared.settings()).code == 0
        self._up("shared-b")

    # -- what must hold ----------------------------------------------------------------------

    def _check_priorities_stay(self, env: str, plan: Plan) -> None:
        live = {(env, r.name): r.properties["priority"] for r in plan.resources if r.type == RULE}
        for key, priority in live.items():
            assert self.priorities.setdefault(key, priority) == priority, f"{key} moved"
        for key in [k for k in self.priorities if k[0] == env and k not in live]:
            del self.priorities[key]

    def _check_weights(self, env: str, plan: Plan) -> None:
        stack = self.op.stacks[env]
        names = {t.deployment_id: f"rule-{t.deployment_id.lower()}" for t in plan.traffic}
        read_back = stack.rule_weights(sorted(names.values()))
        for traffic in plan.traffic:
            expected = {
                f"tg-{t.revision_id.lower()}": t.applied_weight
                for t in traffic.revisions
                if t.applied_weight > 0
            }
            assert read_back[names[traffic.deployment_id]] == expected

    def _check_desired_counts(self, env: str) -> None:
        state = self._state(env)
        stack = self.op.stacks[env]
        counts = stack.desired_counts()
        for revision in state.revisions.values():
            name = f"svc-{revision.revision_id.lower()}"
            if revision.lifecycle == RevisionLifecycle.ARCHIVED:
                assert name not in counts
            else:
                assert counts[name] == DESIRED[revision.lifecycle], name

    @invariant()
    def nothing_left_behind(self) -> None:
        elbv2 = self.op.session.client("elbv2")
        planned = {
            r.properties["name"]
            for p in self.op.plans.values()
            for r in p.resources
            if r.type == TG
        }
        groups = {g["TargetGroupName"] for g in elbv2.describe_target_groups()["TargetGroups"]}
        assert groups == planned
        shared_rules = {
            r.properties["priority"]
            for env, p in self.op.plans.items()
            if env.startswith("shared-")
            for r in p.resources
            if r.type == RULE
        }
        on_listener = {
            int(r["Priority"])
            for r in elbv2.describe_rules(ListenerArn=self.shared.listener_arn)["Rules"]
            if not r["IsDefault"]
        }
        assert on_listener == shared_rules


def test_lifetime_walk(new_operator: Callable[[], Operator]) -> None:
    LifetimeWalk.make_operator = staticmethod(new_operator)  # type: ignore[assignment]
    run = LifetimeWalk.TestCase
    run.settings = settings(
        max_examples=soak_examples(3, 200),  # the first example is hypothesis's minimal one
        stateful_step_count=soak_examples(10, 40),
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    run().runTest()
