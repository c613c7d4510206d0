"""Verify and parse a delivery from halotap, over the `standardwebhooks` library."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from standardwebhooks import Webhook

from halotap_client.errors import WebhookVerificationError
from halotap_client.models import WebhookEvent


class Webhooks:
    """`Webhooks("whsec_...").verify(raw_body, request.headers)`: the event, or WebhookVerificationError.

    Pass the body exactly as it arrived (bytes or text, before any JSON parsing): the signature is over
    those bytes. The timestamp must be within 5 minutes of your clock, which refuses replays.
    """

    def __init__(self, secret: str) -> None:
        self._webhook = Webhook(secret)

    def verify(self, body: bytes | str, headers: Mapping[str, str]) -> WebhookEvent:
        lowered = {name.lower(): value for name, value in headers.items()}
        try:
            self._webhook.verify(body, lowered, json_parse=False)
        except Exception as error:  # the library raises several types; all mean "do not trust this"
            raise WebhookVerificationError(str(error) or type(error).__name__) from error
        parsed: Any = json.loads(body)
        if not isinstance(parsed, dict):
            raise WebhookVerificationError("the body is not a JSON object")
        return cast(WebhookEvent, {"id": lowered["webhook-id"], **parsed})
