"""Secrets in AWS Secrets Manager (``greentic.secrets.aws-sm``), through boto3.

A logical secret ``NAME`` of environment ``ENV`` is the Secrets Manager secret
``<name_prefix><ENV>/<NAME>`` (``greentic/prod-eu/db-password``), unless the pack's
``secret_arns`` maps ``NAME`` to the ARN of a secret someone else owns: then greentic
writes and reads that ARN and never creates it. boto3 finds credentials, profile and
endpoint the usual way (``AWS_PROFILE``, ``AWS_ENDPOINT_URL``, …); the region is the
pack's ``region`` setting, where the secrets live.

``rotate`` writes a new version: Secrets Manager moves the ``AWSCURRENT`` stage to it and
``AWSPREVIOUS`` to the version it replaced, so the old value stays readable by stage.
``delete`` schedules deletion with a recovery window (default 30 days, 7 to 30) unless
forced; greentic never deletes a secret it does not own (one mapped by ``secret_arns``).

Every call has bounded connect/read timeouts and a bounded number of attempts (standard
retry mode backs off on throttling). Every failure becomes one line naming the secret and
the AWS error code; the value is never part of a message, a tag or a log line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from greentic_iac.errors import ConflictError
from greentic_iac.secrets.backend import (
    DEFAULT_RECOVERY_WINDOW_DAYS,
    DeleteOutcome,
    DeleteRequest,
    PutOutcome,
    RotateOutcome,
)
from greentic_iac.secrets.errors import (
    SecretNotFoundError,
    SecretsAccessError,
    SecretsBackendError,
    one_line,
    scrub,
)

AWS_SM: Final = "greentic.secrets.aws-sm"
DEFAULT_NAME_PREFIX: Final = "greentic/"
CONNECT_TIMEOUT_SECONDS: Final = 5.0
READ_TIMEOUT_SECONDS: Final = 20.0
DEFAULT_MAX_ATTEMPTS: Final = 3
TAG_PREFIX: Final = "greentic:"

# Error codes that mean "these credentials may not do this" rather than "the call failed".
_ACCESS_CODES: Final = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "KMSAccessDeniedException",
    }
)
_THROTTLING_CODES: Final = frozenset(
    {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"}
)


def max_attempts_from(environ: Mapping[str, str]) -> int:
    """``AWS_MAX_ATTEMPTS`` when it is a positive integer, else the default of 3."""
    raw = environ.get("AWS_MAX_ATTEMPTS", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_MAX_ATTEMPTS


@dataclass
class AwsSecretsManager:
    """The ``secrets`` verbs' backend for one environment bound to ``greentic.secrets.aws-sm``."""

    environment_id: str
    region: str
    name_prefix: str = DEFAULT_NAME_PREFIX
    kms_key_id: str | None = None
    secret_arns: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    kind: str = AWS_SM
    _client: Any = field(default=None, init=False, repr=False)

    @classmethod
    def from_settings(
        cls,
        environment_id: str,
        settings: Mapping[str, Any],
        *,
        tenant: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> AwsSecretsManager:
        tags = {f"{TAG_PREFIX}environment": environment_id}
        if tenant:
            tags[f"{TAG_PREFIX}tenant"] = tenant
        return cls(
            environment_id=environment_id,
            region=str(settings["region"]),
            name_prefix=str(settings.get("name_prefix", DEFAULT_NAME_PREFIX)),
            kms_key_id=settings.get("kms_key_id"),
            secret_arns=dict(settings.get("secret_arns") or {}),
            tags=tags,
            max_attempts=max_attempts_from(os.environ if environ is None else environ),
        )

    # ---- naming ---------------------------------------------------------------------------

    @property
    def environment_prefix(self) -> str:
        """``greentic/prod-eu/``: every secret greentic creates for this environment."""
        return f"{self.name_prefix}{self.environment_id}/"

    def secret_id(self, name: str) -> str:
        """The ARN from ``secret_arns``, or the name greentic manages."""
        return self.secret_arns.get(name) or f"{self.environment_prefix}{name}"

    # ---- the protocol ---------------------------------------------------------------------

    def put(self, name: str, value: str) -> PutOutcome:
        secret_id = self.secret_id(name)
        client = self._secretsmanager()
        if name in self.secret_arns:
            # Someone else's secret: write a new version, never create or re-tag it.
            self._put_value(client, name, secret_id, value)
            return PutOutcome(created=False, reference=secret_id)
        arguments: dict[str, Any] = {
            "Name": secret_id,
            "SecretString": value,
            "Description": f"greentic-iac secret {name} of environment {self.environment_id}",
            "Tags": [
                *({"Key": k, "Value": v} for k, v in sorted(self.tags.items())),
                {"Key": f"{TAG_PREFIX}secret-name", "Value": name},
            ],
        }
        if self.kms_key_id:
            arguments["KmsKeyId"] = self.kms_key_id
        try:
            created = client.create_secret(**arguments)
        except Exception as error:
            if _error_code(error) != "ResourceExistsException":
                raise self._translate("put", name, secret_id, error, value) from None
        else:
            return PutOutcome(created=True, reference=str(created.get("ARN") or secret_id))
        answer = self._put_value(client, name, secret_id, value)
        return PutOutcome(created=False, reference=str(answer.get("ARN") or secret_id))

    def get(self, name: str) -> str:
        secret_id = self.secret_id(name)
        client = self._secretsmanager()
        try:
            answer = client.get_secret_value(SecretId=secret_id)
        except Exception as error:
            raise self._translate("get", name, secret_id, error) from None
        text = answer.get("SecretString")
        if isinstance(text, str):
            return text
        binary = answer.get("SecretBinary")
        if isinstance(binary, bytes | bytearray):
            try:
                return bytes(binary).decode("utf-8")
            except UnicodeDecodeError:
                pass
        raise SecretsBackendError(
            f"secrets get {name}: AWS Secrets Manager {secret_id} holds binary data that is "
            "not UTF-8 text"
        )

    def names(self) -> list[str]:
        client = self._secretsmanager()
        prefix = self.environment_prefix
        found: set[str] = set(self.secret_arns)
        try:
            paginator = client.get_paginator("list_secrets")
            pages = paginator.paginate(Filters=[{"Key": "name", "Values": [prefix]}])
            for page in pages:
                for entry in page.get("SecretList", []):
                    # The service's name filter is a case-insensitive prefix match: keep
                    # only exact prefix matches.
                    secret_name = str(entry.get("Name", ""))
                    if secret_name.startswith(prefix) and len(secret_name) > len(prefix):
                        found.add(secret_name[len(prefix) :])
        except Exception as error:
            raise self._translate("list", None, prefix + "*", error) from None
        return sorted(found)

    def rotate(self, name: str, value: str) -> RotateOutcome:
        secret_id = self.secret_id(name)
        client = self._secretsmanager()
        described = self._describe(client, "rotate", name, secret_id)
        if described.get("DeletedDate") is not None:
            raise ConflictError(
                f"secrets rotate {name}: AWS Secrets Manager {secret_id} is scheduled for "
                "deletion (restore it with `aws secretsmanager restore-secret` first)"
            )
        replaced = _version_with_stage(described, "AWSCURRENT")
        answer = self._put_value(client, name, secret_id, value)
        return RotateOutcome(
            reference=str(answer.get("ARN") or secret_id),
            version=str(answer.get("VersionId") or "") or None,
            previous=f"{secret_id} stage AWSPREVIOUS"
            + (f" (version {replaced})" if replaced else ""),
        )

    def delete(self, name: str, request: DeleteRequest) -> DeleteOutcome:
        secret_id = self.secret_id(name)
        if name in self.secret_arns:
            raise ConflictError(
                f"secret_arns.{name}: {secret_id} is not greentic's secret; greentic never "
                "deletes it (remove the mapping from the pack's settings instead)"
            )
        client = self._secretsmanager()
        # Deleting a missing secret with ForceDeleteWithoutRecovery succeeds silently: look
        # first, so a typo is not reported as a deletion.
        described = self._describe(client, "delete", name, secret_id)
        if described.get("DeletedDate") is not None and not request.force_without_recovery:
            raise ConflictError(
                f"secrets delete {name}: AWS Secrets Manager {secret_id} is already scheduled "
                f"for deletion on {_iso(described.get('DeletedDate'))}"
            )
        arguments: dict[str, Any] = {"SecretId": secret_id}
        if request.force_without_recovery:
            arguments["ForceDeleteWithoutRecovery"] = True
        else:
            days = request.recovery_window_days or DEFAULT_RECOVERY_WINDOW_DAYS
            arguments["RecoveryWindowInDays"] = days
        try:
            answer = client.delete_secret(**arguments)
        except Exception as error:
            raise self._translate("delete", name, secret_id, error) from None
        return DeleteOutcome(
            reference=str(answer.get("ARN") or secret_id),
            recoverable_until=None
            if request.force_without_recovery
            else _iso(answer.get("DeletionDate")),
        )

    def _describe(self, client: Any, verb: str, name: str, secret_id: str) -> dict[str, Any]:
        try:
            return dict(client.describe_secret(SecretId=secret_id))
        except Exception as error:
            raise self._translate(verb, name, secret_id, error) from None

    # ---- boto3 ----------------------------------------------------------------------------

    def _secretsmanager(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config
            from botocore.exceptions import BotoCoreError

            config = Config(
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                read_timeout=READ_TIMEOUT_SECONDS,
                retries={"total_max_attempts": self.max_attempts, "mode": "standard"},
            )
            try:
                session = boto3.session.Session()
                self._client = session.client(
                    "secretsmanager", region_name=self.region, config=config
                )
            except BotoCoreError as error:
                raise self._translate("connect", None, self.environment_prefix, error) from None
        return self._client

    def _put_value(self, client: Any, name: str, secret_id: str, value: str) -> dict[str, Any]:
        """A new current version of an existing secret."""
        try:
            return dict(client.put_secret_value(SecretId=secret_id, SecretString=value))
        except Exception as error:
            raise self._translate("put", name, secret_id, error, value) from None

    def _translate(
        self,
        verb: str,
        name: str | None,
        secret_id: str,
        error: Exception,
        value: str | None = None,
    ) -> Exception:
        """One line naming the secret and the AWS error code, of the right error class.

        A service message never quotes a value today; the scrub keeps it that way should a
        parameter-validation message ever echo one.
        """
        translated = self._classify(verb, name, secret_id, error)
        if value:
            translated.args = (scrub(str(translated), value),)
        return translated

    def _classify(self, verb: str, name: str | None, secret_id: str, error: Exception) -> Exception:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectionClosedError,
            ConnectTimeoutError,
            CredentialRetrievalError,
            EndpointConnectionError,
            NoCredentialsError,
            PartialCredentialsError,
            ProfileNotFound,
            ReadTimeoutError,
        )

        subject = f"secrets {verb}" + (f" {name}" if name else "")
        where = f"AWS Secrets Manager {secret_id} ({self.region})"
        if isinstance(error, ClientError):
            return self._classify_client_error(subject, where, name, error)
        kind = type(error).__name__
        if isinstance(
            error,
            NoCredentialsError
            | PartialCredentialsError
            | ProfileNotFound
            | CredentialRetrievalError,
        ):
            return SecretsAccessError(
                f"{subject}: {where}: no usable AWS credentials ({kind}: "
                f"{one_line(str(error), 200)}); set AWS_PROFILE or AWS_ACCESS_KEY_ID"
            )
        if isinstance(
            error,
            EndpointConnectionError
            | ConnectTimeoutError
            | ReadTimeoutError
            | ConnectionClosedError,
        ):
            return SecretsBackendError(
                f"{subject}: {where}: endpoint unreachable ({kind}: {one_line(str(error), 200)})"
            )
        if isinstance(error, BotoCoreError):
            return SecretsBackendError(f"{subject}: {where}: {kind}: {one_line(str(error), 200)}")
        return SecretsBackendError(f"{subject}: {where}: {kind}")

    def _classify_client_error(
        self, subject: str, where: str, name: str | None, error: Any
    ) -> Exception:
        code = _error_code(error) or "ClientError"
        message = one_line(str(error.response.get("Error", {}).get("Message") or ""), 200)
        detail = f"{code}" + (f": {message}" if message else "")
        if code == "ResourceNotFoundException":
            if name is not None and name in self.secret_arns:
                return SecretNotFoundError(f"secret_arns.{name}: {where} does not exist ({code})")
            return SecretNotFoundError(f"{subject}: {where} does not exist ({code})")
        if code in _ACCESS_CODES:
            return SecretsAccessError(
                f"{subject}: {where}: {detail} (check the credentials and the IAM policy)"
            )
        if code in _THROTTLING_CODES:
            return SecretsBackendError(
                f"{subject}: {where}: {code} after {self.max_attempts} attempts; retry later"
            )
        return SecretsBackendError(f"{subject}: {where}: {detail}")


def _version_with_stage(described: Mapping[str, Any], stage: str) -> str | None:
    stages = described.get("VersionIdsToStages") or {}
    return next((str(v) for v, labels in stages.items() if stage in (labels or [])), None)


def _iso(moment: Any) -> str | None:
    if moment is None:
        return None
    isoformat = getattr(moment, "isoformat", None)
    return str(isoformat()) if callable(isoformat) else str(moment)


def _error_code(error: Exception) -> str | None:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None
