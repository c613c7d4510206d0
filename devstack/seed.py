"""What the local secrets hold: one entry per manifest secret key, so a new secret fails loudly here."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from devstack.config import (
    AUTOREFUND_CLIENT_ID,
    DEMO_CLIENT_ID,
    DEMO_MERCHANT_PROFILES,
    DEMO_MERCHANTS,
    DevConfig,
)
from infra import manifest

SecretValues = dict[str, Any]  # name below the secrets prefix -> JSON value


def _clients(config: DevConfig) -> SecretValues:
    def client(api_key: str, **settings: Any) -> dict[str, Any]:
        return {
            "keyHashes": [hashlib.sha256(api_key.encode()).hexdigest()],
            # The usage plan key (tools/usage_plans.py on AWS); the emulator meters the client by it.
            "usageKey": "usage-" + hashlib.sha256(api_key.encode()).hexdigest()[:24],
            "merchants": list(DEMO_MERCHANTS),
            "notificationUrl": f"http://127.0.0.1:{config.sink_port}/",
            "signingSecrets": [config.signing_secret],
            **settings,
        }

    return {
        "clients": {
            DEMO_CLIENT_ID: client(config.api_key),  # lateApprovals: the default, keep
            AUTOREFUND_CLIENT_ID: client(config.autorefund_api_key, lateApprovals="refund"),
        }
    }


def _halo_webhook(config: DevConfig) -> SecretValues:
    return {"halo-webhook": {"tokens": [config.webhook_token]}}


def _cursor_key(config: DevConfig) -> SecretValues:
    # Fixed locally, like every other devstack value; on AWS the stack generates it.
    return {"cursor-key": {"key": "dev-cursor-key-not-a-secret-0123456789"}}


def _merchants(config: DevConfig) -> SecretValues:
    return {
        f"merchants/{merchant}": {
            "haloMerchantId": halo_merchant_id,
            "apiKey": halo_api_key,
            **DEMO_MERCHANT_PROFILES[merchant],
        }
        for merchant, (halo_merchant_id, halo_api_key) in DEMO_MERCHANTS.items()
    }


_SEEDS: dict[str, Callable[[DevConfig], SecretValues]] = {
    "clients": _clients,
    "halo-webhook": _halo_webhook,
    "cursor-key": _cursor_key,
    "merchants/*": _merchants,
}


def secret_values(secret: manifest.Secret, config: DevConfig) -> SecretValues:
    try:
        seed = _SEEDS[secret.key]
    except KeyError:
        raise LookupError(
            f"the manifest declares secret {secret.key!r} but devstack/seed.py has no local value for it"
        ) from None
    return seed(config)
