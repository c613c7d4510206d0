"""A JSON secret in Secrets Manager, changed by read-modify-write that is safe under concurrent writers.

Secrets Manager has no conditional PutSecretValue, but moving a staging label is conditional: moving
AWSCURRENT with `RemoveFromVersionId=<the version we read>` fails when AWSCURRENT is no longer on that
version. So a change is written as a new version under a private label (not yet current), and then
AWSCURRENT is moved to it from the version the change was computed from. If another writer got there
first, the move fails, nothing we wrote is ever current, and the change is computed again from the
new current value.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable
from typing import Any

from tools.operator_common import OperatorError

PENDING_STAGE = "HALOTAP_PENDING"  # our label on a version written but not yet made current
WRITE_ATTEMPTS = 5
_CONFLICTS = ("InvalidParameterException", "InvalidRequestException", "ResourceExistsException")


class ConcurrentWrites(OperatorError):
    """The secret changed under every attempt: someone else is writing it too."""


def _code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


class SecretDocument:
    def __init__(self, client: Any, secret_id: str, *, attempts: int = WRITE_ATTEMPTS) -> None:
        self._client = client
        self.secret_id = secret_id
        self._attempts = attempts

    def read(self) -> tuple[Any, str | None]:
        """The current JSON value and its version id; (None, None) when the secret does not exist."""
        try:
            answer = self._client.get_secret_value(SecretId=self.secret_id, VersionStage="AWSCURRENT")
        except self._client.exceptions.ResourceNotFoundException:
            return None, None
        try:
            return json.loads(answer["SecretString"]), str(answer["VersionId"])
        except ValueError:
            raise OperatorError(f"{self.secret_id} does not hold JSON; fix it by hand first") from None

    def update(self, change: Callable[[Any], Any]) -> Any:
        """Applies `change` (current value, or None for a new secret) and makes its result current."""
        from botocore.exceptions import ClientError

        for _ in range(self._attempts):
            current, version = self.read()
            updated = change(current)
            text = json.dumps(updated, separators=(",", ":"), sort_keys=True)
            try:
                if version is None:
                    self._client.create_secret(Name=self.secret_id, SecretString=text)
                    return updated
                self._swap(text, version)
                return updated
            except ClientError as error:
                if _code(error) not in _CONFLICTS:
                    raise
        raise ConcurrentWrites(
            f"{self.secret_id} changed under each of {self._attempts} attempts; nothing was written. Try again."
        )

    def _swap(self, text: str, expected_version: str) -> None:
        token = str(uuid.uuid4())
        self._client.put_secret_value(
            SecretId=self.secret_id,
            SecretString=text,
            ClientRequestToken=token,
            VersionStages=[PENDING_STAGE],
        )
        try:
            # The compare-and-swap: fails unless AWSCURRENT is still on the version the change was made from.
            self._client.update_secret_version_stage(
                SecretId=self.secret_id,
                VersionStage="AWSCURRENT",
                MoveToVersionId=token,
                RemoveFromVersionId=expected_version,
            )
        finally:
            self._drop_pending_label(token)

    def _drop_pending_label(self, version: str) -> None:
        """Leaves no private label behind, so Secrets Manager can retire old versions as usual."""
        from botocore.exceptions import ClientError

        # Another writer's version may have taken the label since; that writer removes it itself.
        with contextlib.suppress(ClientError):
            self._client.update_secret_version_stage(
                SecretId=self.secret_id, VersionStage=PENDING_STAGE, RemoveFromVersionId=version
            )
