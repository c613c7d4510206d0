"""Shared test setup: no test may reach real AWS, whatever the machine's environment holds."""

from __future__ import annotations

import os

import pytest

_FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_SERVICE_NAME": "halotap",
    "POWERTOOLS_METRICS_NAMESPACE": "halotap",
}
for _name, _value in _FAKE_AWS.items():
    os.environ[_name] = _value
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)


@pytest.fixture
def lambda_context():
    from tests.fakes import FakeLambdaContext

    return FakeLambdaContext()
