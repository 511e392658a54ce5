"""Two environments in one Google Cloud project, driven through the real verbs, every plan
replayed into the API model in Pulumi's order (see gcp_model.py): nothing collides, nothing
is deleted while in use, the managed certificate is replaced when a host is added, and
after archive and destroy the project is empty."""

from __future__ import annotations

from pathlib import Path

import pytest

from greentic_iac.plan import Plan

from .cli_walk import Walk
from .gcp_model import Cloud, Stack


@pytest.fixture
def cloud() -> Cloud:
    return Cloud()


def test_two_environments_live_side_by_side_in_one_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cloud: Cloud
) -> None:
    monkeypatch.setenv("GREENTIC_GRANT", "prod-gcp,stage-gcp")
    home = tmp_path / "home"
    walks = {
        name: Walk(tmp_path / name, environment=name, home=home)
        for name in ("prod-gcp", "stage-gcp")
    }
    stacks = {name: Stack(name, cloud) for name in walks}
    log: list[str] = []

    def apply(name: str) -> list[str]:
        steps = stacks[name].up(Plan.model_validate(walks[name].plan()))
        log.extend(f"{name}: {step}" for step in steps)
        return steps

    deployments: dict[str, str] = {}
    revisions: dict[str, list[str]] = {}
    for name, walk in walks.items():
        walk.create()
        deployments[name] = walk.add_bundle(host=f"{name}.shop.example.com")
        first = walk.stage(deployments[name], "a")
        revisions[name] = [first]
        apply(name)  # staged: the revision's resources exist, nothing routes to it
        walk.warm(first)
        assert walk.split(deployments[name], {first: 10_000}).code == 0
        apply(name)

    prod = walks["prod-gcp"]
    deployment = deployments["prod-gcp"]
    old = revisions["prod-gcp"][0]
    new = prod.stage(deployment, "b")
    prod.warm(new)
    apply("prod-gcp")
    for weights in ({old: 9_000, new: 1_000}, {new: 10_000}):
        assert prod.split(deployment, weights).code == 0
        assert apply("prod-gcp") == ["update url-map"]

    # A second host: the managed certificate covers both, under a new name, created first.
    prod.add_bundle(host="admin.example.com")
    steps = apply("prod-gcp")
    assert "replace certificate" in steps and "delete certificate" in steps
    assert steps.index("replace certificate") < steps.index("update https-proxy")
    assert steps.index("update https-proxy") < steps.index("delete certificate")

    prod.transition("drain", old)
    apply("prod-gcp")
    prod.transition("deactivate", old)
    rid = old.lower()
    # Inactive: scaled to nothing and unpinned, so the URL map lets go of its backend here.
    assert apply("prod-gcp") == [f"update run-{rid}", "update url-map"]
    prod.transition("archive", old)
    # Archived: its four resources go, nothing uses them any more (no 400 in use).
    assert sorted(apply("prod-gcp")) == sorted(
        f"delete {kind}-{rid}" for kind in ("run", "invoker", "neg", "backend")
    )

    # The other environment never noticed; destroying both empties the project.
    assert stacks["stage-gcp"].applied is not None
    for stack in stacks.values():
        stack.destroy()
    assert cloud.objects == {}, log


def test_the_model_refuses_what_google_would(cloud: Cloud) -> None:
    from .gcp_model import ApiError

    backend = ("gcp:compute/backendService:BackendService", "p", "global", "be")
    url_map = ("gcp:compute/uRLMap:URLMap", "p", "global", "um")
    cloud.create(backend, set(), True)
    with pytest.raises(ApiError, match="409"):
        cloud.create(backend, set(), True)
    with pytest.raises(ApiError, match="404"):
        cloud.create(
            url_map, {("gcp:compute/backendService:BackendService", "p", "global", "x")}, True
        )
    cloud.create(url_map, {backend}, True)
    with pytest.raises(ApiError, match="resourceInUseByAnotherResource"):
        cloud.delete(backend)


def test_a_certificate_that_kept_its_name_would_collide(
    monkeypatch: pytest.MonkeyPatch, cloud: Cloud
) -> None:
    """Why the certificate's name carries its domains' hash: without it, the replay of a new
    host is Google's 409 (create-before-delete of the same name)."""
    from greentic_iac_gcp import compile_plan, compiler

    from .cases import base_settings, ready, state_with
    from .gcp_model import ApiError

    one = [{"n": 1, "host": "shop.example.com", "revisions": [ready(10_000)]}]
    two = [*one, {"n": 2, "host": "admin.example.com", "revisions": [ready(10_000)]}]
    monkeypatch.setattr(compiler, "certificate_name", lambda env, domains: f"gr-{env}-cert")
    stack = Stack("prod-gcp", cloud)
    stack.up(compile_plan(state_with(base_settings(tls={}), one)))
    with pytest.raises(ApiError, match="409 alreadyExists"):
        stack.up(compile_plan(state_with(base_settings(tls={}), two)))
