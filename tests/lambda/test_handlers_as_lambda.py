"""Every handler, as Lambda runs it: Python 3.13, only its folder and the x86_64 build of the layer on the
path, only the environment the manifest gives it; each answers its sample event from events/ for real,
against moto's server and the Halo simulator.

This is what proves the layer complete (boto3 included) and the settings complete: a module missing from
the layer is an ImportError here, a setting missing from the manifest a ConfigurationError.
`make test` builds the x86_64 layer first (build/x86_64, the same build `make bench` times).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.config import DevConfig, lambda_environment
from devstack.events import CHECKOUT_ID, EVENTS_DIR, HALO_REFERENCE
from infra import manifest
from scripts import bench

REPO_ROOT = Path(__file__).resolve().parents[2]
INVOKE = Path(__file__).with_name("invoke.py")
# What Lambda's runtime gives every function besides the manifest's settings (fake credentials for moto).
RUNTIME_ENV = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
# The order of a checkout's life; cancel comes last, after the approval, so it is refused.
ORDER = (
    "authorizer",
    "create_checkout",
    "get_checkout",
    "checkout_page",
    "halo_webhook",
    "apply_halo_event",
    "deliver_notification",
    "reconcile",
    "create_refund",
    "events",
    "cancel_checkout",
)


def test_every_handler_is_in_the_order():
    assert sorted(ORDER) == sorted(spec.name for spec in manifest.FUNCTIONS)


@pytest.fixture(scope="module")
def stack():
    with bench.local_stack() as running:
        yield running


def function_env(spec: manifest.Function, stack: bench.Stack) -> dict[str, str]:
    import os

    values = {**lambda_environment(DevConfig()), **os.environ}  # the provisioned names, from local_stack
    # A required setting missing here is a KeyError: only the manifest's optional ones may be absent.
    env = {name: values[name] for name in spec.env if name in values or name not in manifest.OPTIONAL_ENV}
    env |= {name: os.environ[name] for name in RUNTIME_ENV}
    env |= {
        "POWERTOOLS_SERVICE_NAME": manifest.SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": manifest.METRICS_NAMESPACE,
        "HALO_BASE_URL": stack.halo_url,  # the simulator stands in for Halo's host
    }
    return env


def invoke(name: str, event: dict[str, Any], env: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    event_file, result_file = tmp_path / f"{name}-event.json", tmp_path / f"{name}-result.json"
    event_file.write_text(json.dumps(event))
    done = subprocess.run(
        [
            bench.python313(),
            "-I",
            "-S",
            str(INVOKE),
            str(bench.X86_FUNCTIONS / name),
            str(bench.X86_LAYER),
            str(event_file),
            str(result_file),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(result_file.read_text())


def sample(name: str, checkout_id: str, halo_reference: str) -> dict[str, Any]:
    """The committed sample, pointed at the checkout this run created."""
    text = (EVENTS_DIR / f"{name}.json").read_text()
    return json.loads(text.replace(CHECKOUT_ID, checkout_id).replace(HALO_REFERENCE, halo_reference))


def body(answer: dict[str, Any]) -> dict[str, Any]:
    return json.loads(answer["body"])


def test_each_handler_answers_its_sample_event_from_the_layer_alone(stack, tmp_path):
    answers: dict[str, Any] = {}
    checkout_id, halo_reference = CHECKOUT_ID, HALO_REFERENCE
    runtime = str(Path(bench.python313()).resolve().parents[1])  # the 3.13 installation: its stdlib
    for name in ORDER:
        spec = manifest.function(name)
        result = invoke(name, sample(name, checkout_id, halo_reference), function_env(spec, stack), tmp_path)
        assert "raised" not in result, f"{name} raised {result.get('raised')}"
        outside = {
            package: path
            for package, path in result["loaded_from"].items()
            if not path.startswith((str(bench.X86_LAYER), str(bench.X86_FUNCTIONS / name), runtime))
        }
        assert outside == {}, f"{name} loaded modules from outside the layer: {outside}"
        assert result["loaded_from"]["boto3"].startswith(str(bench.X86_LAYER))
        answers[name] = result["answer"]
        if name == "create_checkout":
            created = body(answers[name])
            checkout_id, halo_reference = created["id"], created["haloReference"]
            # The shopper taps: Halo's status endpoint now says Approved (the webhook comes from the sample).
            tapped = httpx.post(
                f"{stack.halo_url}/_sim/transactions/{halo_reference}/tap",
                json={"disposition": "Approved", "webhook": False},
                timeout=10,
            )
            tapped.raise_for_status()

    assert answers["authorizer"]["context"] == {"clientId": "demo-psp", "merchants": "demo-merchant"}
    assert answers["create_checkout"]["statusCode"] == 201
    assert answers["get_checkout"]["statusCode"] == 200
    assert body(answers["get_checkout"])["status"] == "open"
    assert answers["checkout_page"]["statusCode"] == 200
    assert answers["checkout_page"]["headers"]["content-type"].startswith("text/html")
    assert answers["halo_webhook"]["statusCode"] == 200
    assert answers["apply_halo_event"] == {"batchItemFailures": []}  # confirmed with Halo and applied
    # The PSP's URL is the devstack sink, which may not be running: delivered, or handed back for a retry.
    assert isinstance(answers["deliver_notification"]["batchItemFailures"], list)
    assert answers["reconcile"]["errors"] == 0
    assert answers["create_refund"]["statusCode"] == 201, answers["create_refund"]
    assert body(answers["create_refund"])["status"] == "succeeded"
    assert answers["events"]["statusCode"] == 200
    assert [event["type"] for event in body(answers["events"])["data"]][-1] == "refund.succeeded"
    refused = answers["cancel_checkout"]
    assert refused["statusCode"] == 409
    assert refused["headers"]["content-type"] == "application/problem+json"


def test_a_setting_missing_from_the_environment_is_a_configuration_error(stack, tmp_path):
    spec = manifest.function("get_checkout")
    env = function_env(spec, stack)
    del env["CHECKOUTS_TABLE"]
    result = invoke("get_checkout", sample("get_checkout", CHECKOUT_ID, HALO_REFERENCE), env, tmp_path)
    assert "raised" not in result  # the API answers problem+json, never a bare crash
    assert result["answer"]["statusCode"] == 500
    assert "CHECKOUTS_TABLE" not in result["answer"]["body"]  # an internal detail stays in the logs
