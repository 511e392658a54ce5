"""A deployer plug-in brings its own SDK: no core edit for its tokens, provider config, hint.

The plug-in here is a real distribution on ``sys.path`` (a ``dist-info`` with an entry point
in ``greentic_iac.envpacks``, found by ``EnvPackRegistry.discover`` as any installed one is)
and its SDK a small Pulumi-style package (``pulumi_fakecloud``: a ``@pulumi.input_type`` Args
class and a ``CustomResource``), because no third-party Pulumi provider is installed in the
test venv. Its target declares ``sdk_modules={"fakecloud:": "pulumi_fakecloud"}``: the plan's
tokens must pass the check, be emitted under the Pulumi mocks as that SDK's class, exported
as a program importing it, and a missing SDK must be named with the plug-in's install hint.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from greentic_iac.errors import InvalidInputError
from greentic_iac.extras import MissingExtraError, modules_for_tokens
from greentic_iac.plan.type_tokens import check_type_tokens, plugin_sdk_class, unsupported_types
from greentic_iac.spec import CapabilitySlot, PackDescriptor, local_environment
from greentic_iac.spec.environment import EnvPackBinding
from greentic_iac.spec.state import EnvironmentState

DESCRIPTOR = "fakecloud.deployer.buckets"
ABSENT_DESCRIPTOR = "fakecloud.deployer.absent"
SDK_MODULES = {"fakecloud:": "pulumi_fakecloud"}
BUCKET = "fakecloud:storage/bucket:Bucket"
GRANT = "fakecloud:storage/bucketGrant:BucketGrant"

FILES = {
    "pulumi_fakecloud/__init__.py": '"""A tiny Pulumi-style SDK for tests."""\n',
    "pulumi_fakecloud/storage/__init__.py": '''
        """Two resources shaped like a generated Pulumi SDK's (wire names via getters)."""

        from typing import Optional

        import pulumi


        @pulumi.input_type
        class BucketArgs:
            def __init__(__self__, *, location: str, storage_class: Optional[str] = None):
                pulumi.set(__self__, "location", location)
                if storage_class is not None:
                    pulumi.set(__self__, "storage_class", storage_class)

            @property
            @pulumi.getter
            def location(self) -> str:
                return pulumi.get(self, "location")

            @property
            @pulumi.getter(name="storageClass")
            def storage_class(self) -> Optional[str]:
                return pulumi.get(self, "storage_class")


        class Bucket(pulumi.CustomResource):
            def __init__(__self__, resource_name, opts=None, location=None, storage_class=None):
                props = BucketArgs.__new__(BucketArgs)
                props.__dict__["location"] = location
                props.__dict__["storage_class"] = storage_class
                props.__dict__["self_link"] = None
                super().__init__("fakecloud:storage/bucket:Bucket", resource_name, props, opts)

            @property
            @pulumi.getter(name="selfLink")
            def self_link(self) -> pulumi.Output[str]:
                return pulumi.get(self, "self_link")


        @pulumi.input_type
        class BucketGrantArgs:
            def __init__(__self__, *, bucket: str, member: str):
                pulumi.set(__self__, "bucket", bucket)
                pulumi.set(__self__, "member", member)

            @property
            @pulumi.getter
            def bucket(self) -> str:
                return pulumi.get(self, "bucket")

            @property
            @pulumi.getter
            def member(self) -> str:
                return pulumi.get(self, "member")


        class BucketGrant(pulumi.CustomResource):
            def __init__(__self__, resource_name, opts=None, bucket=None, member=None):
                props = BucketGrantArgs.__new__(BucketGrantArgs)
                props.__dict__["bucket"] = bucket
                props.__dict__["member"] = member
                super().__init__(
                    "fakecloud:storage/bucketGrant:BucketGrant", resource_name, props, opts
                )
    ''',
    "fakecloud_deployer/__init__.py": '''
        """A third-party deployer: its Target and the handler its entry point names."""

        import dataclasses

        from greentic_iac.plan.model import Plan, PlanResource, ref
        from greentic_iac.plan.target import Target
        from greentic_iac.spec import CapabilitySlot, VersionReq


        def compile_plan(state):
            environment_id = state.environment.environment_id
            return Plan(
                environment_id=environment_id,
                target=state.environment.deployer().kind.path,
                resources=[
                    PlanResource(
                        type="fakecloud:storage/bucket:Bucket",
                        name=f"{environment_id}-bucket",
                        properties={"location": "eu", "storageClass": "STANDARD"},
                    ),
                    PlanResource(
                        type="fakecloud:storage/bucketGrant:BucketGrant",
                        name=f"{environment_id}-grant",
                        properties={
                            "bucket": ref(f"{environment_id}-bucket", "selfLink"),
                            "member": "group:deployers",
                        },
                    ),
                ],
                outputs={"bucket": ref(f"{environment_id}-bucket", "selfLink")},
            )


        TARGET = Target(
            descriptor="fakecloud.deployer.buckets",
            compile=compile_plan,
            provider_config=lambda state: {"fakecloud:project": "acme-demo"},
            sdk_modules={"fakecloud:": "pulumi_fakecloud"},
            install_hint="pip install fakecloud-deployer",
        )
        # The same plug-in built against an SDK that is not installed.
        ABSENT = dataclasses.replace(
            TARGET,
            descriptor="fakecloud.deployer.absent",
            sdk_modules={"fakecloud:": "pulumi_fakecloud_absent"},
            install_hint="pip install 'fakecloud-deployer[absent]'",
        )


        class _Handler:
            slot = CapabilitySlot.DEPLOYER
            supported_versions = VersionReq.parse("^1")

            def preflight(self):
                return []


        class Handler(_Handler):
            descriptor_path = "fakecloud.deployer.buckets"
            target_path = "fakecloud_deployer:TARGET"


        class AbsentHandler(_Handler):
            descriptor_path = "fakecloud.deployer.absent"
            target_path = "fakecloud_deployer:ABSENT"
    ''',
    "fakecloud_deployer-1.0.0.dist-info/METADATA": """
        Metadata-Version: 2.1
        Name: fakecloud-deployer
        Version: 1.0.0
    """,
    "fakecloud_deployer-1.0.0.dist-info/entry_points.txt": """
        [greentic_iac.envpacks]
        fakecloud.deployer.absent = fakecloud_deployer:AbsentHandler
        fakecloud.deployer.buckets = fakecloud_deployer:Handler
    """,
}
OWN_MODULES = ("pulumi_fakecloud", "fakecloud_deployer")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The plug-in and its SDK on ``sys.path`` for this module's tests, then gone."""
    root = tmp_path_factory.mktemp("site")
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    try:
        yield root
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.split(".")[0] in OWN_MODULES]:
            del sys.modules[name]
        importlib.invalidate_caches()


def _state(descriptor: str = DESCRIPTOR) -> EnvironmentState:
    environment = local_environment("demo")
    packs = [
        EnvPackBinding(
            slot=CapabilitySlot.DEPLOYER,
            kind=PackDescriptor.parse(f"{descriptor}@1.0.0"),
            pack_ref="fakecloud-deployer",
        )
        if binding.slot == CapabilitySlot.DEPLOYER
        else binding
        for binding in environment.packs
    ]
    return EnvironmentState(environment=environment.model_copy(update={"packs": packs}))


def _plan(descriptor: str = DESCRIPTOR):  # type: ignore[no-untyped-def]
    from greentic_iac.operations.planning import compile_environment

    return compile_environment(_state(descriptor))


def test_plugin_prefixes_resolve_by_pulumi_convention_but_never_open_a_builtin_family() -> None:
    gcp = {"gcp:": "pulumi_gcp"}
    service = plugin_sdk_class("gcp:cloudrunv2/service:Service", gcp)
    assert service is not None and (service.module, service.name) == (
        "pulumi_gcp.cloudrunv2",
        "Service",
    )
    provider = plugin_sdk_class("gcp:index/provider:Provider", gcp)
    assert provider is not None and provider.module == "pulumi_gcp"
    assert plugin_sdk_class("gcp:not-a-token", gcp) is None
    assert plugin_sdk_class("gcp:cloudrunv2/service:Service", {}) is None
    # A plug-in claiming aws: or greentic: adds nothing: the closed table still decides.
    assert plugin_sdk_class("aws:made/up:Thing", {"aws:": "pulumi_aws"}) is None
    assert plugin_sdk_class("greentic:local:Router", {"greentic:": "greentic_iac"}) is None


def test_plugin_tokens_pass_the_check_only_with_the_targets_prefixes(installed: Path) -> None:
    plan = _plan()
    assert unsupported_types(plan) == ["demo-bucket", "demo-grant"]
    with pytest.raises(InvalidInputError, match=r"resources\.demo-bucket\.type"):
        check_type_tokens(plan)
    check_type_tokens(plan, SDK_MODULES)
    assert unsupported_types(plan, SDK_MODULES) == []


def test_the_emitter_builds_the_plugins_sdk_classes_under_the_mocks(installed: Path) -> None:
    from greentic_iac.pulumi.sdk import resolve_class, sdk_modules_for
    from greentic_iac.pulumi.testing import assert_registered_matches_plan

    plan = _plan()
    assert dict(sdk_modules_for(plan)) == SDK_MODULES
    assert resolve_class(BUCKET, SDK_MODULES).cls.__module__ == "pulumi_fakecloud.storage"
    capture = assert_registered_matches_plan(plan)
    assert capture.registrations["demo-bucket"].type == BUCKET
    assert capture.registrations["demo-bucket"].inputs == {
        "location": "eu",
        "storageClass": "STANDARD",
    }
    grant = capture.registrations["demo-grant"]
    assert grant.type == GRANT
    assert grant.inputs["bucket"] == "mock://demo-bucket/selfLink"
    assert grant.dependencies == ["demo-bucket"]


def test_an_unknown_property_of_a_plugin_class_is_refused(installed: Path) -> None:
    from greentic_iac.plan.model import Plan, PlanResource
    from greentic_iac.pulumi.testing import emit_under_mocks

    plan = Plan(
        environment_id="demo",
        target=DESCRIPTOR,
        resources=[PlanResource(type=BUCKET, name="b", properties={"location": "eu", "size": 3})],
    )
    with pytest.raises(InvalidInputError, match=r"resources\.b\.properties\.size"):
        emit_under_mocks(plan)


def test_the_export_imports_the_plugins_sdk_and_runs_like_the_plan(installed: Path) -> None:
    from greentic_iac.pulumi.export import export_pulumi_python, pulumi_python_project
    from greentic_iac.pulumi.testing import assert_registered_matches_plan, run_source_under_mocks

    plan = _plan()
    source = export_pulumi_python(plan)
    assert "import pulumi_fakecloud as fakecloud\n" in source
    assert "demo_bucket = fakecloud.storage.Bucket(" in source
    assert "storage_class=" in source
    assert "bucket=demo_bucket.self_link," in source
    assert_registered_matches_plan(plan, run_source_under_mocks(source, plan))
    files = pulumi_python_project(plan, {"fakecloud:project": "acme-demo"})
    assert files["requirements.txt"].splitlines()[1] == "pulumi-fakecloud"
    assert 'fakecloud:project: "acme-demo"' in files["Pulumi.demo.yaml"]


def test_the_stack_config_pins_the_plugins_provider_config(installed: Path) -> None:
    import yaml

    from greentic_iac.pulumi.stack_config import provider_config, render_stack_config

    assert provider_config(_state()) == {"fakecloud:project": "acme-demo"}
    document = yaml.safe_load(render_stack_config(_state()))
    assert document["config"] == {
        "greentic:environment": "demo",
        "fakecloud:project": "acme-demo",
    }


def test_engine_modules_and_the_missing_sdk_name_the_plugins_install_hint(installed: Path) -> None:
    from greentic_iac.cli.commands.apply import engine_modules, require_engine_extras

    tokens = [BUCKET, "aws:s3/bucket:Bucket"]
    assert modules_for_tokens(tokens, SDK_MODULES) == ["pulumi", "pulumi_fakecloud", "pulumi_aws"]
    assert engine_modules(_state()) == ["pulumi", "pulumi_fakecloud"]
    require_engine_extras(_state(), "up")  # installed: nothing to say
    with pytest.raises(MissingExtraError) as refused:
        require_engine_extras(_state(ABSENT_DESCRIPTOR), "up")
    assert str(refused.value) == (
        "up demo: needs pulumi_fakecloud_absent, which the core install leaves out: "
        "pip install 'fakecloud-deployer[absent]'"
    )


def test_exporting_or_emitting_without_the_plugins_sdk_names_its_install_hint(
    installed: Path,
) -> None:
    from greentic_iac.pulumi.export import export_pulumi_python
    from greentic_iac.pulumi.testing import emit_under_mocks

    plan = _plan(ABSENT_DESCRIPTOR)
    with pytest.raises(MissingExtraError) as exported:
        export_pulumi_python(plan)
    assert str(exported.value) == (
        "export demo --format pulumi-python: needs pulumi_fakecloud_absent, which the core "
        "install leaves out: pip install 'fakecloud-deployer[absent]'"
    )
    with pytest.raises(MissingExtraError, match=r"fakecloud-deployer\[absent\]"):
        emit_under_mocks(plan)


def test_env_extras_lists_the_plugins_install_hint_beside_the_core_extras(
    installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from tests.support.cli_runner import run_cli

    monkeypatch.setenv("GREENTIC_GRANT", "buckets")
    answers = tmp_path / "environment.json"
    answers.write_text(
        json.dumps(
            {
                "environment_id": "buckets",
                "tenant": {"tenant": "acme", "team": "payments"},
                "deployment": {"cloud": "other", "platform": "nomad"},
                "packs": [{"slot": "deployer", "kind": f"{ABSENT_DESCRIPTOR}@1.0.0"}],
            }
        ),
        encoding="utf-8",
    )
    home = tmp_path / "home"
    assert run_cli(home, "env", "create", "--answers", str(answers)).code == 0
    extras = run_cli(home, "env", "extras", "buckets")
    assert extras.code == 0, extras.stderr
    assert extras.result == {
        "environment_id": "buckets",
        "modules": ["pulumi", "pulumi_fakecloud_absent"],
        "extras": ["pulumi"],
        "pip_extras": "[pulumi]",
        "missing": ["pulumi_fakecloud_absent"],
        "plugin_install": ["pip install 'fakecloud-deployer[absent]'"],
    }
