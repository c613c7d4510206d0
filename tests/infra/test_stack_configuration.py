"""Bad context is refused, with a message that says what to fix."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import ConfigError, StackConfig

pytestmark = pytest.mark.infra


@pytest.mark.parametrize(
    "settings",
    [
        {"halo_env": "staging"},
        {"halo_link_endpoint": "qrcode"},
        {"stage": "Prod"},
        {"stage": "a/b"},
        {"pay_domain": "pay.psp.example"},  # without its certificate
        {
            "pay_domain": "https://pay.psp.example",
            "pay_certificate_arn": "arn:aws:acm:eu-west-1:1:certificate/x",
        },
        {"pay_domain": "pay.psp.example", "pay_certificate_arn": "not-an-arn"},
        {"alarm_email": "oncall"},
        {"alarm_email": "on call@psp.example"},
        {"halo_acquirer": "ZA"},  # not a lower-case DNS label
        {"halo_acquirer": "za.evil.example"},
        {"halo_base_url": "http://kernelserver.example"},  # not https
    ],
)
def test_bad_context_is_refused(settings: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        StackConfig(**settings)


def test_missing_layer_says_run_make_layer(tmp_path: Any) -> None:
    config = StackConfig(layer_dir=tmp_path / "nothing-here")
    with pytest.raises(ConfigError, match=r"run `make layer` first"):
        config.check_assets()


def test_missing_handler_is_named(tmp_path: Any, asset_paths: dict[str, Any]) -> None:
    config = StackConfig(functions_dir=tmp_path, layer_dir=asset_paths["layer_dir"])
    with pytest.raises(ConfigError, match="authorizer"):
        config.check_assets()


@pytest.mark.parametrize(
    ("stage", "halo_env", "ephemeral"),
    [
        ("dev", "dev", True),
        ("dev-alice", "qa", True),
        ("pr-42", "dev", True),
        ("qa", "qa", False),
        ("prod", "prod", False),
        ("dev", "prod", False),
    ],
)
def test_only_dev_like_stages_are_ephemeral(stage: str, halo_env: str, ephemeral: bool) -> None:
    assert StackConfig(stage=stage, halo_env=halo_env).ephemeral is ephemeral
