"""The layer keeps botocore's models only for the services in layers/common/aws-services.txt
(scripts/build-layer.sh): a client for any other service would fail on Lambda with UnknownServiceError."""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
HALOTAP = REPO_ROOT / "layers" / "common" / "python" / "halotap"
# Every client halotap makes goes through halotap.adapters.aws.client("<service>"), the named helpers too.
CLIENT_CALL = re.compile(r"""\bclient\(\s*["']([a-z0-9-]+)["']""")


def kept_services() -> set[str]:
    lines = (REPO_ROOT / "layers" / "common" / "aws-services.txt").read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def test_every_service_halotap_makes_a_client_for_is_kept_in_the_layer():
    named = {match for path in HALOTAP.rglob("*.py") for match in CLIENT_CALL.findall(path.read_text())}
    assert {"dynamodb", "s3", "secretsmanager", "sqs"} <= named  # the pattern sees aws.py's helpers too
    missing = named - kept_services()
    assert not missing, f"add {sorted(missing)} to layers/common/aws-services.txt"
