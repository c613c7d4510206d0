"""The operator CLIs name the setting that is missing, the AWS region included, before calling AWS at all."""

from __future__ import annotations

import pytest

from tools import admin_cli, notifications_cli
from tools.operator_common import aws_session

NOTIFICATION_SETTINGS = ("NOTIFICATIONS_QUEUE_URL", "NOTIFICATIONS_DLQ_URL", "CHECKOUTS_TABLE")
DLQ_IN_EU_WEST_1 = "https://sqs.eu-west-1.amazonaws.com/123456789012/halotap-prod-notifications-dlq"


@pytest.fixture(autouse=True)
def no_aws_settings(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """No region, profile or stack output in the environment, and no ~/.aws files to fall back on."""
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE", "SECRETS_PREFIX", *NOTIFICATION_SETTINGS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))


def test_list_dlq_with_nothing_set_names_the_dlq_setting(capsys: pytest.CaptureFixture[str]) -> None:
    assert notifications_cli.main(["list-dlq"]) == 2
    err = capsys.readouterr().err
    assert "the notifications DLQ URL is not set: pass --dlq-url, set NOTIFICATIONS_DLQ_URL" in err
    assert "You must specify a region" not in err


def test_redrive_with_nothing_set_names_the_first_setting_it_needs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert notifications_cli.main(["redrive", "--all"]) == 2
    assert "pass --queue-url, set NOTIFICATIONS_QUEUE_URL" in capsys.readouterr().err


def test_a_dlq_url_names_its_region_when_none_is_set() -> None:
    args = notifications_cli.build_parser().parse_args(["list-dlq", "--dlq-url", DLQ_IN_EU_WEST_1])
    connection = notifications_cli.connect(args, {})
    assert connection.sqs.meta.region_name == "eu-west-1"


def test_list_dlq_with_a_url_that_names_no_region_names_the_region_setting(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert notifications_cli.main(["list-dlq", "--dlq-url", "http://localhost:4566/000000000000/dlq"]) == 2
    assert "the AWS region is not set: set AWS_DEFAULT_REGION" in capsys.readouterr().err


def test_admin_with_a_prefix_but_no_region_names_the_region_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SECRETS_PREFIX", "halotap/prod")
    assert admin_cli.main(["clients", "list"]) == 2
    err = capsys.readouterr().err
    assert "the AWS region is not set: set AWS_DEFAULT_REGION" in err
    assert "You must specify a region" not in err


def test_admin_with_nothing_set_names_the_secrets_prefix(capsys: pytest.CaptureFixture[str]) -> None:
    assert admin_cli.main(["clients", "list"]) == 2
    assert "pass --secrets-prefix halotap/<stage>" in capsys.readouterr().err


def test_a_region_in_the_environment_is_used_as_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "af-south-1")
    assert aws_session([DLQ_IN_EU_WEST_1]).region_name == "af-south-1"
