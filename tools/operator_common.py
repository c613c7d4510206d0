"""What the operator commands share: their errors and how they reach a running local devstack."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class OperatorError(Exception):
    """A failure to report on stderr, with the exit status it warrants."""

    exit_code = 1


class SettingMissing(OperatorError):
    exit_code = 2


def devstack_config() -> Any:
    """devstack.config, for --devstack: the repository's devstack package, installed beside the tools."""
    from devstack import config

    return config


def devstack_session(environ: Mapping[str, str]) -> tuple[Any, str]:
    """A boto3 session and endpoint for the devstack's moto (127.0.0.1:$HALOTAP_MOTO_PORT).

    Explicit endpoint, region and fake credentials: no profile or AWS_ENDPOINT_URL_* can redirect them.
    """
    import boto3

    config = devstack_config()
    endpoint = f"http://127.0.0.1:{config.DevConfig.from_env(environ).moto_port}"
    session = boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's fake credentials, nothing real
        region_name=config.REGION,
    )
    return session, endpoint
