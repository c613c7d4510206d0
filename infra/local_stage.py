"""The local stage's names and addresses: the devstack serves them, and the operator tools' --devstack finds them.

Plain data beside the manifest, so that the operator tools reach a running devstack without importing it
(an import contract forbids tools -> devstack: the tools are what an operator runs against AWS).
"""

from __future__ import annotations

from collections.abc import Mapping

from infra import manifest

STAGE = "local"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
RESOURCE_PREFIX = f"{manifest.SERVICE_NAME}-{STAGE}"  # halotap-local-checkouts, halotap-local-halo-events
SECRETS_PREFIX = f"{manifest.SERVICE_NAME}/{STAGE}"  # halotap/local/clients
# The setting that moves each of the devstack's ports, and where it listens without one.
API_PORT, HALO_PORT, MOTO_PORT, SINK_PORT = (
    "HALOTAP_API_PORT",
    "HALOTAP_HALO_PORT",
    "HALOTAP_MOTO_PORT",
    "HALOTAP_SINK_PORT",
)
DEFAULT_PORTS = {API_PORT: 3000, HALO_PORT: 4010, MOTO_PORT: 5000, SINK_PORT: 4020}


def resource_name(key: str) -> str:
    return f"{RESOURCE_PREFIX}-{key}"


def whole_number(environ: Mapping[str, str], name: str, default: int) -> int:
    """The setting `name` as a whole number, or `default` when it is unset; ValueError names the setting."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise ValueError(f"{name} must be a whole number, not {raw!r}")
    return int(raw)


def port(environ: Mapping[str, str], setting: str) -> int:
    """The port the devstack uses for `setting` (one of DEFAULT_PORTS) under this environment."""
    return whole_number(environ, setting, DEFAULT_PORTS[setting])
