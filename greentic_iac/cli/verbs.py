"""The operator surface as data: nouns x verbs, their payload models and handlers.

Handlers and payload models are named by import path and loaded only for the verb that
runs, so a read verb never imports pulumi, boto3, aiohttp or jinja2.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ANSWERS = "greentic_iac.spec.answers"
BINDINGS = "greentic_iac.envpacks.bindings"
MESSAGING = "greentic_iac.envpacks.messaging"


@dataclass(frozen=True)
class Arg:
    name: str
    help: str
    nargs: str | None = None
    default: str | None = None
    flag: bool = False
    choices: tuple[str, ...] | None = None
    type: str = "str"
    # Kept for old scripts, left out of --help and completion.
    hidden: bool = False
    # A flag given once per value (``--weight a=1 --weight b=2``).
    repeat: bool = False
    # Words completion offers when the values are not a fixed choice, by source name
    # (``export-formats``: what the registered deployer targets offer).
    suggest: str | None = None


@dataclass(frozen=True)
class Verb:
    noun: str
    name: str
    help: str
    handler: str
    payload: str | None = None
    args: tuple[Arg, ...] = field(default_factory=tuple)

    @property
    def command(self) -> str:
        return f"{self.noun} {self.name}".strip()

    @property
    def mutating(self) -> bool:
        return self.payload is not None


PREFLIGHT_TIMEOUT = Arg("--timeout", "seconds per preflight probe (default 10)", type="float")
PREVIEW_FORMATS = ("text", "json", "markdown", "html")

ENV = Arg("environment_id", "environment id, e.g. local")
ENV_OPT = Arg("environment_id", "environment id (default: local)", nargs="?", default="local")


def _v(
    noun: str, name: str, help: str, handler: str, payload: str | None = None, *args: Arg
) -> Verb:
    return Verb(noun, name, help, f"greentic_iac.cli.commands.{handler}", payload, tuple(args))


VERBS: tuple[Verb, ...] = (
    # env
    _v(
        "env",
        "init",
        "create or heal an environment with the local defaults",
        "env:init",
        None,
        ENV_OPT,
    ),
    _v(
        "env",
        "create",
        "create an environment from an answers file",
        "env:create",
        f"{ANSWERS}:EnvCreatePayload",
    ),
    _v("env", "list", "list environments", "env:list_"),
    _v("env", "show", "show an environment's whole state", "env:show", None, ENV),
    _v(
        "env",
        "doctor",
        "registry resolution, slot consistency, version skew",
        "packs:doctor",
        None,
        ENV,
    ),
    _v(
        "env",
        "tool-check",
        "run each binding's preflight checks",
        "packs:tool_check",
        None,
        ENV,
        Arg("--timeout", "seconds per probe (default 10)", type="float"),
    ),
    _v(
        "env",
        "extras",
        "the greentic-iac extras the Pulumi engine needs for the environment ([aws], [k8s])",
        "apply:extras",
        None,
        ENV,
    ),
    _v(
        "env",
        "remove",
        "remove an environment (refused while deployments are live unless force)",
        "env:remove",
        f"{ANSWERS}:EnvRemovePayload",
    ),
    _v(
        "env",
        "policy",
        "set the environment's traffic policy",
        "env:policy",
        f"{ANSWERS}:PolicySetPayload",
    ),
    _v("env", "backups", "list the backups of an environment", "env:backups", None, ENV),
    _v(
        "env",
        "restore",
        "restore the backup of a generation",
        "env:restore",
        None,
        ENV,
        Arg("--generation", "the generation to restore", type="int"),
        Arg(
            "--override-policy",
            "restore splits that step past max_step_bps (recorded in the audit log)",
            flag=True,
        ),
    ),
    _v(
        "env",
        "migrate-state",
        "move the legacy layouts (older store layout, state/deploy/<provider>) into the "
        "current one; --check reports and changes nothing",
        "migrations:migrate_state",
        None,
        Arg("environment_id", "only this environment (default: all)", nargs="?"),
        Arg("--check", "report what would change, change nothing", flag=True),
    ),
    _v(
        "env",
        "migrate-dev",
        "migrate the legacy 'dev' environment to local (or keep a warning 'dev' alias when "
        "unsafe); --check reports and changes nothing",
        "migrations:migrate_dev",
        None,
        Arg("environment_id", "the new name (default: local)", nargs="?", default="local"),
        Arg("--check", "report what would change, change nothing", flag=True),
    ),
    # env-packs
    _v(
        "env-packs",
        "add",
        "bind a pack to an unbound slot",
        "packs:packs_add",
        f"{BINDINGS}:EnvPackBindingPayload",
    ),
    _v(
        "env-packs",
        "update",
        "replace a slot's binding (keeps the previous)",
        "packs:packs_update",
        f"{BINDINGS}:EnvPackBindingPayload",
    ),
    _v(
        "env-packs",
        "remove",
        "detach a slot",
        "packs:packs_remove",
        f"{BINDINGS}:EnvPackRemovePayload",
    ),
    _v(
        "env-packs",
        "rollback",
        "restore a slot's previous binding",
        "packs:packs_rollback",
        f"{BINDINGS}:EnvPackRemovePayload",
    ),
    _v("env-packs", "list", "list an environment's bindings", "packs:packs_list", None, ENV),
    # extensions
    _v(
        "extensions",
        "add",
        "bind an extension instance",
        "packs:ext_add",
        f"{BINDINGS}:ExtensionBindingPayload",
    ),
    _v(
        "extensions",
        "update",
        "replace an extension binding",
        "packs:ext_update",
        f"{BINDINGS}:ExtensionBindingPayload",
    ),
    _v(
        "extensions",
        "remove",
        "detach an extension binding",
        "packs:ext_remove",
        f"{BINDINGS}:ExtensionRemovePayload",
    ),
    _v(
        "extensions",
        "rollback",
        "restore an extension's previous binding",
        "packs:ext_rollback",
        f"{BINDINGS}:ExtensionRemovePayload",
    ),
    _v("extensions", "list", "list extension bindings", "packs:ext_list", None, ENV),
    _v(
        "extensions",
        "resolve",
        "resolve ext://<path>[/<instance>] to its settings",
        "packs:ext_resolve",
        None,
        ENV,
        Arg("uri", "ext://<path>[/<instance>]"),
    ),
    # messaging endpoints (N per environment, keyed by endpoint_id)
    _v(
        "messaging",
        "add",
        "bind a messaging endpoint",
        "packs:msg_add",
        f"{MESSAGING}:MessagingEndpointPayload",
    ),
    _v(
        "messaging",
        "update",
        "replace a messaging endpoint's binding (keeps the previous)",
        "packs:msg_update",
        f"{MESSAGING}:MessagingEndpointPayload",
    ),
    _v(
        "messaging",
        "remove",
        "detach a messaging endpoint",
        "packs:msg_remove",
        f"{MESSAGING}:MessagingEndpointRemovePayload",
    ),
    _v(
        "messaging",
        "rollback",
        "restore a messaging endpoint's previous binding",
        "packs:msg_rollback",
        f"{MESSAGING}:MessagingEndpointRemovePayload",
    ),
    _v("messaging", "list", "list messaging endpoints", "packs:msg_list", None, ENV),
    # bundles
    _v(
        "bundles",
        "add",
        "deploy a bundle into an environment (-> deployment_id)",
        "rollout:bundles_add",
        f"{ANSWERS}:BundleAddPayload",
    ),
    _v("bundles", "list", "list deployments", "rollout:bundles_list", None, ENV),
    _v(
        "bundles",
        "show",
        "show one deployment with its revisions and split",
        "rollout:bundles_show",
        None,
        ENV,
        Arg("deployment_id", "deployment id (ULID)"),
    ),
    _v(
        "bundles",
        "remove",
        "remove a deployment whose revisions are archived",
        "rollout:bundles_remove",
        f"{ANSWERS}:BundleRemovePayload",
    ),
    _v(
        "bundles",
        "verify",
        "check a bundle archive (safety and secret scan)",
        "bundles:verify",
        None,
        Arg("archive", "path to a .zip, .tar or .tar.gz bundle"),
    ),
    _v(
        "bundles",
        "unpack",
        "safely unpack a bundle archive",
        "bundles:unpack",
        None,
        Arg("archive", "path to the archive"),
        Arg("dest", "destination directory (must not exist)"),
    ),
    # revisions
    _v(
        "revisions",
        "stage",
        "create a revision of a deployment (-> revision_id, sequence)",
        "rollout:revisions_stage",
        f"{ANSWERS}:RevisionStagePayload",
    ),
    _v(
        "revisions",
        "warm",
        "staged -> warming -> ready (ready once healthy; cloud: --apply to apply and wait)",
        "rollout:revisions_warm",
        f"{ANSWERS}:RevisionPayload",
        Arg(
            "--apply", "cloud targets: apply the plan (as `up`), then wait until healthy", flag=True
        ),
        Arg("--health-timeout", "cloud targets: seconds to wait after --apply", type="float"),
        Arg(
            "--skip-health-check",
            "cloud targets: ready without a health check (audited)",
            flag=True,
        ),
        Arg("--skip-preflight", "with --apply: skip the preflight gate (audited)", flag=True),
        PREFLIGHT_TIMEOUT,
    ),
    _v(
        "revisions",
        "drain",
        "ready -> draining (weight must be 0)",
        "rollout:revisions_drain",
        f"{ANSWERS}:RevisionPayload",
    ),
    _v(
        "revisions",
        "deactivate",
        "draining/warming -> inactive",
        "rollout:revisions_deactivate",
        f"{ANSWERS}:RevisionPayload",
    ),
    _v(
        "revisions",
        "archive",
        "-> archived (resources removed)",
        "rollout:revisions_archive",
        f"{ANSWERS}:RevisionPayload",
    ),
    _v("revisions", "list", "list revisions", "rollout:revisions_list", None, ENV),
    # traffic
    _v(
        "traffic",
        "set",
        "set the split of one or more deployments atomically",
        "rollout:traffic_set",
        f"{ANSWERS}:TrafficSetPayload",
        # The quick form (cli/quick_forms.py): the same payload, from the command line.
        Arg("environment_id", "environment id (quick form)", nargs="?"),
        Arg("--deployment", "deployment id or unique bundle id (quick form)"),
        Arg(
            "--weight",
            "REVISION=PERCENT (or =BPSbps); REVISION is an id, a unique prefix or "
            "<bundle>@<sequence>; once per revision (quick form)",
            repeat=True,
        ),
        Arg("--override-policy", "pass a max_step_bps gate (audited; quick form)", flag=True),
        Arg("--idempotency-key", "a retry with the same key replays the first result (quick form)"),
    ),
    _v("traffic", "show", "show the current splits", "rollout:traffic_show", None, ENV),
    _v(
        "traffic",
        "history",
        "splits over time, from the audit log",
        "rollout:traffic_history",
        None,
        ENV,
    ),
    _v(
        "traffic",
        "rollback",
        "restore a deployment's previous split",
        "rollout:traffic_rollback",
        f"{ANSWERS}:TrafficRollbackPayload",
    ),
    # rollout (progressive: steps, analysis, automatic rollback)
    _v(
        "rollout",
        "start",
        "record a progressive rollout (steps, analysis checks) of one or more deployments",
        "rollouts:rollout_start",
        f"{ANSWERS}:RolloutStartPayload",
    ),
    _v(
        "rollout",
        "run",
        "drive a rollout in the foreground until it is promoted or rolled back (resumable)",
        "rollouts:rollout_run",
        None,
        ENV,
        Arg("rollout_id", "rollout id (default: the only active one)", nargs="?"),
        Arg("--apply-command", "run this command to apply each step instead of `up`"),
        Arg("--poll", "seconds between checks while waiting (default 1)", type="float"),
    ),
    _v(
        "rollout",
        "status",
        "active rollouts: step, weights, last analysis, time to the next step",
        "rollouts:rollout_status",
        None,
        ENV,
        Arg("--all", "include finished rollouts", flag=True),
    ),
    _v(
        "rollout",
        "pause",
        "hold a rollout at its current step",
        "rollouts:rollout_pause",
        f"{ANSWERS}:RolloutActionPayload",
    ),
    _v(
        "rollout",
        "resume",
        "let a paused rollout go on (a pause or analysis under way starts afresh)",
        "rollouts:rollout_resume",
        f"{ANSWERS}:RolloutActionPayload",
    ),
    _v(
        "rollout",
        "promote",
        "release an indefinite pause (full: true gives the canaries 100 % now)",
        "rollouts:rollout_promote",
        f"{ANSWERS}:RolloutActionPayload",
    ),
    _v(
        "rollout",
        "abort",
        "set every stable revision back to 100 % and stop the rollout",
        "rollouts:rollout_abort",
        f"{ANSWERS}:RolloutActionPayload",
    ),
    # config
    _v(
        "config",
        "set",
        "set (or with value null, unset) a non-secret config key",
        "config:config_set",
        f"{ANSWERS}:ConfigSetPayload",
    ),
    _v(
        "config",
        "get",
        "get a config key",
        "config:config_get",
        None,
        ENV,
        Arg("key", "config key"),
        Arg("--deployment", "deployment id for a per-deployment key"),
    ),
    _v("config", "list", "list config keys", "config:config_list", None, ENV),
    # secrets
    _v(
        "secrets",
        "put",
        "store a secret through the environment's secrets pack",
        "config:secrets_put",
        f"{ANSWERS}:SecretPutPayload",
    ),
    _v(
        "secrets",
        "get",
        "print a secret's value (the only verb that does)",
        "config:secrets_get",
        None,
        ENV,
        Arg("name", "secret name"),
    ),
    _v("secrets", "list", "list secret names (never values)", "config:secrets_list", None, ENV),
    _v(
        "secrets",
        "rotate",
        "write a new version of a secret, keeping the previous one where the backend can",
        "secret_lifecycle:rotate",
        f"{ANSWERS}:SecretRotatePayload",
    ),
    _v(
        "secrets",
        "delete",
        "delete a secret (AWS Secrets Manager: after a recovery window, default 30 days)",
        "secret_lifecycle:delete",
        f"{ANSWERS}:SecretDeletePayload",
        Arg(
            "--force-delete-without-recovery",
            "AWS Secrets Manager: delete at once, with no recovery window",
            flag=True,
        ),
    ),
    # audit
    _v(
        "audit",
        "list",
        "list audit events",
        "config:audit_list",
        None,
        ENV,
        Arg("--limit", "newest N events", type="int"),
    ),
    # plan, preview and apply (top-level verbs: the noun is the command)
    _v(
        "plan",
        "",
        "compile an environment into its plan (summary, or --canonical for the plan itself)",
        "plan:plan",
        None,
        ENV,
        Arg("--canonical", "print the canonical plan JSON (the bytes the hash covers)", flag=True),
        Arg("--json", "deprecated spelling of --canonical", flag=True, hidden=True),
        Arg("--out", "write the canonical plan JSON to FILE"),
    ),
    _v(
        "preview",
        "",
        "diff the plan against the applied baseline: resources, traffic, limits, policy",
        "preview:preview",
        None,
        ENV,
        Arg("--format", "text, json, markdown or html", choices=PREVIEW_FORMATS),
        Arg("--against", "baseline plan FILE instead of the last applied plan"),
        Arg("--out", "write the report to FILE instead of stdout"),
        Arg("--engine", "offline (default) or pulumi", choices=("offline", "pulumi")),
        Arg("--detailed-exitcode", "exit 0 when nothing changes, 5 when changes", flag=True),
        Arg("--override-policy", "apply despite a traffic policy gate (audited)", flag=True),
        Arg("--skip-preflight", "skip the preflight gate of --engine pulumi (audited)", flag=True),
        PREFLIGHT_TIMEOUT,
    ),
    _v(
        "up",
        "",
        "apply the environment's plan with Pulumi (behind the preflight gate)",
        "apply:up",
        None,
        ENV,
        Arg("--yes", "apply without asking (required without a terminal)", flag=True),
        Arg(
            "--plan",
            "apply exactly this reviewed plan (`preview --out plan.json`); exit 4 if "
            "the state moved",
        ),
        Arg("--override-policy", "apply despite a traffic policy gate (audited)", flag=True),
        Arg("--skip-preflight", "skip the preflight gate (audited)", flag=True),
        PREFLIGHT_TIMEOUT,
    ),
    _v(
        "destroy",
        "",
        "destroy the environment's stack with Pulumi (behind the preflight gate)",
        "apply:destroy",
        None,
        ENV,
        Arg("--yes", "destroy without asking (required without a terminal)", flag=True),
        Arg("--skip-preflight", "skip the preflight gate (audited)", flag=True),
        PREFLIGHT_TIMEOUT,
    ),
    _v(
        "drift",
        "",
        "refresh preview: what changed in the cloud since the last apply",
        "apply:drift",
        None,
        ENV,
        Arg("--skip-preflight", "skip the preflight gate (audited)", flag=True),
        PREFLIGHT_TIMEOUT,
        Arg("--detailed-exitcode", "exit 0 without drift, 5 with drift", flag=True),
    ),
    _v(
        "status",
        "",
        "every environment (or ENV) at a glance: deployments, revisions, applied, drift",
        "status:status",
        None,
        Arg("environment_id", "environment id (default: every environment)", nargs="?"),
    ),
    _v(
        "export",
        "",
        "write the environment as a standalone Pulumi program or Kubernetes YAML",
        "plan:export",
        None,
        ENV,
        # Not a fixed choice: the environment's target adds its own formats.
        Arg(
            "--format",
            "pulumi-python, or a format the deployer offers (k8s: k8s-yaml)",
            suggest="export-formats",
        ),
        Arg("--out", "output directory"),
    ),
    _v(
        "setup",
        "",
        "verify a bundle archive, create or heal the environment, add (or reuse) the "
        "deployment and stage a revision with the archive's digest",
        "setup:setup",
        None,
        Arg("archive", "path to a .zip, .tar or .tar.gz bundle"),
        Arg("--env", "environment id (default: local)", default="local"),
        Arg("--bundle-id", "the deployment's bundle id (default: from the archive's name)"),
        Arg("--host", "route host of a new deployment (default: localhost)"),
        Arg("--path-prefix", "route path prefix of a new deployment (default: /)"),
    ),
    # stack, credentials, ci, doctor
    _v(
        "stack",
        "init",
        "write stacks/Pulumi.<env>.yaml for `pulumi up -s <env>`",
        "plan:stack_init",
        None,
        ENV,
        Arg("--dir", "project directory (default: the current directory)"),
    ),
    _v(
        "credentials",
        "policy",
        "the least-privilege IAM policy / RBAC Role the environment's deployer needs",
        "credentials:policy",
        None,
        ENV,
    ),
    _v(
        "credentials",
        "validate",
        "check the current credentials can do what the deployer needs",
        "credentials:validate",
        None,
        ENV,
        Arg("--timeout", "seconds per probe (default 10)", type="float"),
        Arg(
            "--allow-unverified",
            "exit 0 when only the identity could be checked (no policy simulation)",
            flag=True,
        ),
        Arg("--rules-pack", "also check a bootstrap's rules pack DIR (hashes, plan, live role)"),
    ),
    _v(
        "credentials",
        "bootstrap",
        "with admin credentials: create the deployer identity with exactly `credentials policy`",
        "credentials:bootstrap",
        None,
        ENV,
        Arg("--principal", "AWS: the IAM principal ARN that may assume the deployer role"),
        Arg("--oidc-provider", "AWS: the CI's IAM OIDC provider ARN that may assume it"),
        Arg(
            "--oidc-subject", "AWS: the token subject pattern, e.g. repo:ORG/REPO:ref:refs/heads/*"
        ),
        Arg("--oidc-audience", "AWS: the token audience (default sts.amazonaws.com)"),
        Arg("--role-name", "AWS: the role name (default greentic-iac-deployer-ENV)"),
        Arg("--rules-pack", "where to export the rules pack (default HOME/rules-packs/ENV)"),
        Arg(
            "--kubeconfig",
            "k8s: where to write the account's kubeconfig, 0600 (default "
            "HOME/secrets/kubeconfigs/ENV)",
        ),
        Arg("--skip-preflight", "skip the preflight gate (audited)", flag=True),
        PREFLIGHT_TIMEOUT,
    ),
    _v(
        "ci",
        "init",
        "render the pull-request preview workflow",
        "ci:init",
        None,
        Arg("--provider", "github or gitlab", choices=("github", "gitlab"), default="github"),
        Arg("--dir", "repository root (default: the current directory)"),
        Arg("--force", "overwrite an existing workflow file", flag=True),
        Arg(
            "--source",
            "install greentic-iac from git+https://HOST/PATH@<commit> or ==VERSION "
            "(default: the CI variable GREENTIC_IAC_SOURCE)",
        ),
        Arg("--index-url", "the package index serving greentic-iac (with --source ==VERSION)"),
        Arg("--pulumi-version", "Pulumi CLI release for the pulumi preview (with --pulumi-sha256)"),
        Arg("--pulumi-sha256", "SHA-256 of that release's linux-x64 archive"),
        Arg("--image", "GitLab job image (default python:3.11; pin it with @sha256:...)"),
    ),
    _v(
        "doctor",
        "secrets",
        "scan files and archives for leaked secrets (file and line, never the value)",
        "doctor:secrets",
        None,
        Arg("path", "a file, directory or archive"),
    ),
    _v(
        "completion",
        "",
        "print the shell completion script (nouns, verbs, flags, environment ids)",
        "completion:completion",
        None,
        Arg("shell", "bash, zsh or fish", nargs="?"),
        Arg(
            "--environments",
            "print the environment ids (the scripts call this)",
            flag=True,
            hidden=True,
        ),
    ),
    # local runtime
    _v(
        "local",
        "up",
        "start the local runtime: revision processes behind the weighted router",
        "local:up",
        None,
        ENV_OPT,
        Arg("--port", "router port (default 8787)", type="int"),
        Arg("--detach", "return once the router answers", flag=True),
        Arg("--seed", "seed the router's weighted choice (reproducible splits)", type="int"),
    ),
    _v(
        "local",
        "status",
        "processes, health, split and requests per revision",
        "local:status",
        None,
        ENV_OPT,
    ),
    _v(
        "local",
        "logs",
        "print the runtime's logs",
        "local:logs",
        None,
        ENV_OPT,
        Arg("--revision", "one revision's log"),
    ),
    _v("local", "down", "stop the local runtime and every process", "local:down", None, ENV_OPT),
)


def verb_table() -> dict[str, dict[str, Verb]]:
    table: dict[str, dict[str, Verb]] = {}
    for verb in VERBS:
        table.setdefault(verb.noun, {})[verb.name] = verb
    return table
