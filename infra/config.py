"""Deployment settings, read from CDK context and checked before anything is built."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk

from halotap.settings import DEFAULT_LINK_ENDPOINT, LINK_ENDPOINTS, ConfigurationError, halo_base_url
from halotap.settings import HALO_ENVIRONMENTS as HALO_ENVS
from infra import manifest

REPO_ROOT = Path(__file__).resolve().parents[1]
# Stages whose data may be thrown away with the stack. Everything else keeps its tables, secrets, queues
# and logs when the stack or a resource is deleted, and a stack talking to Halo's prod is never ephemeral.
EPHEMERAL_STAGE = re.compile(r"^(dev|dev-.+|pr-.+)$")
STAGE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,23}$")
DOMAIN_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$")


def pascal(key: str) -> str:
    """A manifest key as a construct id: "halo-events" -> "HaloEvents", "get_checkout" -> "GetCheckout"."""
    return "".join(part.capitalize() for part in re.split(r"[-_/]", key) if part)


class ConfigError(ValueError):
    """The context or the build folders are not fit to synthesize from."""


@dataclass(frozen=True)
class StackConfig:
    stage: str = "dev"
    halo_env: str = "dev"
    halo_link_endpoint: str = DEFAULT_LINK_ENDPOINT
    # Halo's host is kernelserver.{haloAcquirer}.{haloEnv}.haloplus.io when an acquirer is set ("za"), and
    # haloBaseUrl replaces it whole (a host Halo gives the PSP). Both are checked by halotap.settings.
    halo_acquirer: str | None = None
    halo_base_url: str | None = None
    # Creates the account-wide API Gateway CloudWatch role that execution logging needs; a PSP whose
    # account already has one set can turn this off (context apiGatewayAccountRole=false).
    api_gateway_account_role: bool = True
    # Each function's reserved concurrency (manifest.RESERVED_CONCURRENCY). A new account whose Lambda
    # concurrency quota is still 10 cannot reserve any: deploy it with -c reservedConcurrency=false.
    reserved_concurrency: bool = True
    # Lambda SnapStart (context snapStart=true): each function publishes a version whose initialised
    # memory is snapshotted; API Gateway, queues and schedules invoke its alias "live". Off by default:
    # it is billed per GB cached and per GB restored (docs/performance.md, "SnapStart").
    snap_start: bool = False
    # An optional custom domain for the shopper's page (and the API beside it): payUrl then points at
    # https://<pay_domain>/pay/<id>. Without one, payUrl uses the API's own execute-api address.
    pay_domain: str | None = None
    pay_certificate_arn: str | None = None  # an ACM certificate for pay_domain, in the stack's region
    # Subscribed to the alarm topic at deploy (SNS then sends it a confirmation link). Without one, the
    # topic (output AlarmTopicArn) waits for whatever subscription the PSP's on-call tooling adds.
    alarm_email: str | None = None
    # Both built by `make layer` (scripts/build-layer.sh), with Python 3.13 bytecode beside the sources.
    functions_dir: Path = REPO_ROOT / "build" / "functions"
    layer_dir: Path = REPO_ROOT / "layers" / "common" / "build"
    page_layer_dir: Path = REPO_ROOT / "layers" / "page" / "build"

    def __post_init__(self) -> None:
        if not STAGE_NAME.match(self.stage):
            raise ConfigError(f"stage {self.stage!r} must match {STAGE_NAME.pattern}")
        if self.halo_env not in HALO_ENVS:
            raise ConfigError(f"haloEnv {self.halo_env!r} must be one of {', '.join(HALO_ENVS)}")
        if (self.pay_domain is None) != (self.pay_certificate_arn is None):
            raise ConfigError("payDomain and payCertificateArn go together: give both or neither")
        if self.pay_domain is not None and not DOMAIN_NAME.match(self.pay_domain):
            raise ConfigError(
                f"payDomain {self.pay_domain!r} must be a lower-case DNS name such as pay.psp.example"
            )
        if self.pay_certificate_arn is not None and not CERTIFICATE_ARN.match(self.pay_certificate_arn):
            raise ConfigError(
                f"payCertificateArn {self.pay_certificate_arn!r} must be an ACM certificate ARN"
            )
        if self.alarm_email is not None and not EMAIL.match(self.alarm_email):
            raise ConfigError(
                f"alarmEmail {self.alarm_email!r} must be an email address such as oncall@psp.example"
            )
        try:
            halo_base_url(self.halo_env, self.halo_base_url, self.halo_acquirer)
        except ConfigurationError as error:
            raise ConfigError(f"haloAcquirer: {error}") from None
        if self.halo_base_url is not None and not self.halo_base_url.startswith("https://"):
            raise ConfigError(f"haloBaseUrl {self.halo_base_url!r} must be an https:// URL")
        if self.halo_link_endpoint not in LINK_ENDPOINTS:
            raise ConfigError(
                f"haloLinkEndpoint {self.halo_link_endpoint!r} must be one of {tuple(LINK_ENDPOINTS)}"
            )

    @classmethod
    def from_context(cls, scope: cdk.App, **paths: Path) -> StackConfig:
        def get(key: str, default: str) -> str:
            value = scope.node.try_get_context(key)
            return default if value is None else str(value)

        return cls(
            stage=get("stage", "dev"),
            halo_env=get("haloEnv", "dev"),
            halo_link_endpoint=get("haloLinkEndpoint", DEFAULT_LINK_ENDPOINT),
            halo_acquirer=get("haloAcquirer", "") or None,
            halo_base_url=get("haloBaseUrl", "") or None,
            api_gateway_account_role=get("apiGatewayAccountRole", "true").lower() != "false",
            reserved_concurrency=get("reservedConcurrency", "true").lower() != "false",
            snap_start=get("snapStart", "false").lower() == "true",
            pay_domain=get("payDomain", "") or None,
            pay_certificate_arn=get("payCertificateArn", "") or None,
            alarm_email=get("alarmEmail", "") or None,
            **paths,
        )

    @property
    def stack_name(self) -> str:
        return f"halotap-{self.stage}"

    @property
    def secrets_prefix(self) -> str:
        return f"halotap/{self.stage}"

    @property
    def pay_base_url(self) -> str | None:
        return f"https://{self.pay_domain}" if self.pay_domain else None

    @property
    def ephemeral(self) -> bool:
        return self.halo_env != "prod" and bool(EPHEMERAL_STAGE.match(self.stage))

    @property
    def removal_policy(self) -> cdk.RemovalPolicy:
        """For tables, secrets, queues and log groups: DESTROY only on ephemeral stages."""
        return cdk.RemovalPolicy.DESTROY if self.ephemeral else cdk.RemovalPolicy.RETAIN

    def check_assets(self) -> None:
        """Fail before synthesis, with the fix, when an asset folder is missing."""
        for layer in (self.layer_dir, self.page_layer_dir):
            if not (layer / "python").is_dir():
                raise ConfigError(
                    f"the layer is not built ({layer / 'python'} is missing): run `make layer` first"
                )
        missing = [
            s.name for s in manifest.FUNCTIONS if not (self.functions_dir / s.name / "handler.py").is_file()
        ]
        if missing:
            raise ConfigError(
                f"no handler.py for {', '.join(missing)} under {self.functions_dir}: every manifest function "
                "needs functions/<name>/handler.py, built by `make layer`"
            )
