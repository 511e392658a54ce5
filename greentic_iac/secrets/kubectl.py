"""Bounded ``kubectl`` calls for the k8s secrets backend.

Each call carries ``--request-timeout`` (so kubectl itself gives up on a slow API server)
and a subprocess timeout a little longer (so a kubectl that hangs anyway, say on an exec
credential plugin, is killed with its whole process group). A value is only ever passed on
stdin, never on the command line, which any user can read from the process list; stderr
comes back folded to one line with any value scrubbed out.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from greentic_iac.secrets.errors import SecretsAccessError, SecretsBackendError, one_line, scrub

DEFAULT_TIMEOUT_SECONDS: Final = 20.0
# Time kubectl gets beyond its own request timeout to report before it is killed.
_MAX_GRACE_SECONDS: Final = 5.0


@dataclass(frozen=True)
class KubectlResult:
    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Kubectl:
    """``kubectl`` with the environment's context and a namespace, every call bounded."""

    namespace: str
    context: str | None = None
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    # Shown when kubectl is not on PATH (the preflight catalog's install hint).
    install_hint: str = "install kubectl: see https://kubernetes.io/docs/tasks/tools/"
    environ: Mapping[str, str] | None = None

    def executable(self) -> str:
        environ = os.environ if self.environ is None else self.environ
        found = shutil.which("kubectl", path=environ.get("PATH"))
        if found is None:
            raise SecretsAccessError(f"kubectl: not found on PATH; {self.install_hint}")
        return found

    def argv(self, arguments: Sequence[str]) -> list[str]:
        seconds = max(round(self.timeout_seconds), 1)
        prefix = [self.executable(), f"--request-timeout={seconds}s"]
        if self.context:
            prefix.append(f"--context={self.context}")
        return [*prefix, "--namespace", self.namespace, *arguments]

    def run(
        self, arguments: Sequence[str], *, what: str, stdin: str = "", secret: str = ""
    ) -> KubectlResult:
        """Run kubectl; a timeout or a failure to start is a one-line ``SecretsBackendError``.

        ``secret`` (the value, and anything derived from it) is scrubbed from stderr.
        """
        argv = self.argv(arguments)
        environ = dict(os.environ if self.environ is None else self.environ)
        try:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                env=environ,
                start_new_session=True,
            )
        except OSError as error:
            raise SecretsBackendError(f"{what}: kubectl did not start ({error.strerror})") from None
        limit = self.timeout_seconds + min(_MAX_GRACE_SECONDS, self.timeout_seconds / 2)
        try:
            stdout, stderr = process.communicate(stdin, timeout=limit)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            raise SecretsBackendError(
                f"{what}: kubectl did not answer within {limit:g}s (killed); check the "
                "cluster's reachability and the kube context"
            ) from None
        except BaseException:
            _kill_group(process)
            raise
        return KubectlResult(
            process.returncode, stdout, scrub(stderr, secret) if secret else stderr
        )

    def failure(self, what: str, result: KubectlResult) -> Exception:
        """The one-line error for a kubectl call that exited non-zero."""
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        detail = one_line(lines[-1] if lines else f"exit code {result.returncode}")
        if "Forbidden" in result.stderr or "forbidden" in detail:
            return SecretsAccessError(
                f"{what}: {detail} (needs RBAC get/list/create/patch, and delete for secrets "
                f"delete, on secrets in namespace {self.namespace})"
            )
        if "Unauthorized" in result.stderr:
            return SecretsAccessError(f"{what}: {detail} (check the kube context's credentials)")
        return SecretsBackendError(f"{what}: {detail}")


def _kill_group(process: subprocess.Popen[str]) -> None:
    try:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover (Windows has no process groups of this kind)
            process.kill()
    except ProcessLookupError:
        pass
    process.communicate()
