"""What the operator commands share: their errors and how they reach a running local devstack."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from infra import local_stage


class OperatorError(Exception):
    """A failure to report on stderr, with the exit status it warrants."""

    exit_code = 1


class SettingMissing(OperatorError):
    exit_code = 2


# An SQS queue URL names its region: https://sqs.eu-west-1.amazonaws.com/123456789012/name.
_QUEUE_URL_REGION = re.compile(r"^https://sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/")


def aws_session(queue_urls: Iterable[str] = ()) -> Any:
    """A boto3 session for the deployed account, with a region, or SettingMissing naming how to set one.

    boto3 reads the region from AWS_DEFAULT_REGION or the profile (AWS_PROFILE, ~/.aws/config). Without
    one, its own error ("You must specify a region") names no setting; a queue URL given to the command
    names its region, so that is used before giving up.
    """
    import boto3

    session = boto3.session.Session()
    if session.region_name:
        return session
    for url in queue_urls:
        named = _QUEUE_URL_REGION.match(url or "")
        if named:
            return boto3.session.Session(region_name=named[1])
    raise SettingMissing(
        "the AWS region is not set: set AWS_DEFAULT_REGION (for example eu-west-1, the stack's region), "
        "or AWS_PROFILE to a profile that has one, or use --devstack"
    )


@dataclass(frozen=True)
class LocalDevstack:
    """Where --devstack finds a running devstack: its ports (HALOTAP_*_PORT) and the local stage's names.

    Read from infra.local_stage, never from the devstack package: the tools are what an operator runs
    against AWS, and an import contract keeps them apart from the devstack (pyproject.toml).
    """

    moto_url: str
    halo_url: str
    region: str = local_stage.REGION
    secrets_prefix: str = local_stage.SECRETS_PREFIX

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> LocalDevstack:
        try:
            moto, halo = (
                local_stage.port(environ, s) for s in (local_stage.MOTO_PORT, local_stage.HALO_PORT)
            )
        except ValueError as error:
            raise SettingMissing(str(error)) from None
        return cls(moto_url=f"http://127.0.0.1:{moto}", halo_url=f"http://127.0.0.1:{halo}")

    @staticmethod
    def resource_name(key: str) -> str:
        return local_stage.resource_name(key)


def devstack_session(environ: Mapping[str, str]) -> tuple[Any, str, LocalDevstack]:
    """A boto3 session and endpoint for the devstack's moto (127.0.0.1:$HALOTAP_MOTO_PORT), and the devstack.

    Explicit endpoint, region and fake credentials: no profile or AWS_ENDPOINT_URL_* can redirect them.
    """
    import boto3

    local = LocalDevstack.from_env(environ)
    session = boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's fake credentials, nothing real
        region_name=local.region,
    )
    return session, local.moto_url, local
