"""The SnapStart hook (halotap/snapstart.py): registered only where Lambda runs SnapStart, and it builds
the clients a first request would otherwise build."""

from __future__ import annotations

import sys
import types

import pytest

from halotap import snapstart
from halotap.adapters import aws


@pytest.fixture
def runtime_hooks(monkeypatch):
    """snapshot_restore_py as Lambda's Python runtime ships it: the hooks it was handed."""
    registered: list = []
    module = types.ModuleType("snapshot_restore_py")
    module.register_before_snapshot = registered.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", module)
    monkeypatch.setattr(snapstart, "_registered", False)
    return registered


def test_without_snapstart_no_hook_is_registered(runtime_hooks, monkeypatch):
    monkeypatch.delenv("AWS_LAMBDA_INITIALIZATION_TYPE", raising=False)
    assert snapstart.register_before_snapshot() is False
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
    assert snapstart.register_before_snapshot() is False
    assert runtime_hooks == []


def test_with_snapstart_the_hook_is_registered_once(runtime_hooks, monkeypatch):
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start")
    assert snapstart.register_before_snapshot() is True
    assert snapstart.register_before_snapshot() is True
    assert runtime_hooks == [snapstart.build_clients]


def test_the_hook_builds_the_clients_before_the_snapshot(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # building a client calls nothing
    aws.reset()
    try:
        assert aws._client.cache_info().currsize == 0
        snapstart.build_clients()
        assert aws._client.cache_info().currsize == 3
        assert aws.dynamodb().meta.service_model.service_name == "dynamodb"
    finally:
        aws.reset()
