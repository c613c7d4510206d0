"""Lambda SnapStart (opt-in: CDK context snapStart=true, infra/functions.py): build the AWS clients before
the snapshot, so a restored environment starts with them.

With SnapStart, Lambda runs a published version's init once, snapshots its memory, and starts new
environments from that snapshot. Whatever init built is then free on every cold start; what a first
request builds lazily is not. This hook moves the clients, the costliest part of a first request
(docs/performance.md), into init. It registers only when Lambda says the environment is a SnapStart one
(AWS_LAMBDA_INITIALIZATION_TYPE=snap-start), so without SnapStart nothing is imported or built early.
"""

from __future__ import annotations

import os

SNAP_START = "snap-start"
_registered = False


def build_clients() -> None:
    """The botocore session and the clients most functions call, built now, before the snapshot.

    Credentials are not fetched here: botocore reads them from the environment the restored sandbox
    has (Lambda gives a restored environment its own), and no AWS call is made before the snapshot.
    """
    from halotap.adapters import aws

    aws.dynamodb(), aws.sqs(), aws.secretsmanager()


def register_before_snapshot() -> bool:
    """Registers build_clients with the runtime's snapshot hooks, once per process, in a SnapStart
    environment only. Returns whether it is registered."""
    global _registered  # noqa: PLW0603 - once per process
    if _registered or os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != SNAP_START:
        return _registered
    from snapshot_restore_py import register_before_snapshot as register  # in Lambda's Python runtime

    register(build_clients)
    _registered = True
    return True
