"""Webhook signing secrets sealed with KMS, so a dump of the integrations table shows none of them.

Each value is encrypted under the stack's signing key with an encryption context of the client and the
endpoint it belongs to: a ciphertext copied onto another endpoint's item does not decrypt there, and
every Decrypt names its endpoint in CloudTrail. Decrypted values are cached by ciphertext and context for the life of
the container (a ciphertext never changes meaning; a rotation writes a new one), so a delivery costs no
KMS call once warm. docs/architecture.md ("Webhook endpoints") has the threat model.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from typing import Any

from halotap.domain.errors import DependencyUnavailable

_CACHE_ENTRIES = 512  # 10 endpoints of 50 clients, each with a secret in rotation


class SecretSealer:
    def __init__(self, key_id: Callable[[], str], client: Any = None) -> None:
        self._key_id = key_id
        self._client = client
        # By ciphertext and context: a cached value must never answer for a context KMS would refuse.
        self._opened: dict[tuple[str, str, str, str], tuple[str, ...]] = {}
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        if self._client is None:
            from halotap.adapters import aws

            self._client = aws.client("kms")
        return self._client

    def seal(self, secrets: tuple[str, ...], client_id: str, endpoint_id: str, field: str) -> str:
        answer = self._call(
            "encrypt",
            KeyId=self._key_id(),
            Plaintext=json.dumps(list(secrets)).encode(),
            EncryptionContext=_context(client_id, endpoint_id, field),
        )
        return base64.b64encode(answer["CiphertextBlob"]).decode("ascii")

    def open(self, sealed: str, client_id: str, endpoint_id: str, field: str) -> tuple[str, ...]:
        cache_key = (sealed, client_id, endpoint_id, field)
        with self._lock:
            if cache_key in self._opened:
                return self._opened[cache_key]
        answer = self._call(
            "decrypt",
            CiphertextBlob=base64.b64decode(sealed),
            EncryptionContext=_context(client_id, endpoint_id, field),
        )
        secrets = tuple(str(s) for s in json.loads(answer["Plaintext"]))
        with self._lock:
            if len(self._opened) >= _CACHE_ENTRIES:
                self._opened.clear()
            self._opened[cache_key] = secrets
        return secrets

    def _call(self, operation: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, operation)(**kwargs)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            # The message never quotes the value: it is a secret, and this ends up in logs.
            raise DependencyUnavailable(f"KMS could not {operation} a signing secret ({code})") from None
        except BotoCoreError:
            raise DependencyUnavailable(f"KMS could not be reached to {operation} a signing secret") from None


def _context(client_id: str, endpoint_id: str, field: str) -> dict[str, str]:
    # `field` (secrets, previous): the rotated-out secret cannot be swapped in as the current one.
    return {"clientId": client_id, "endpointId": endpoint_id, "field": field}
