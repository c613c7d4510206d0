"""Every handler, as Lambda runs it: Python 3.13, only its folder and the x86_64 build of the layer on the
path, only the environment the manifest gives it; each answers its sample event from events/ for real,
against moto's server and the Halo simulator.

This is what proves the layer complete (boto3 included) and the settings complete: a module missing from
the layer is an ImportError here, a setting missing from the manifest a ConfigurationError.
`make test` builds the x86_64 layer first (build/x86_64, the same build `make bench` times).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devstack.events import CHECKOUT_ID, HALO_REFERENCE
from infra import manifest
from scripts import lambda_shaped
from scripts.lambda_shaped import ORDER, body, function_env, invoke, sample
from scripts.local_stack import local_stack

# What each handler's first request may load beyond the standard library: top-level packages, from the
# layer or the function's folder. A handler that loads more fails test_each_handler_answers_...: each
# package on a cold start is CPU before the answer (docs/performance.md). A new function adds its row.
AWS = {"boto3", "botocore", "jmespath", "s3transfer", "urllib3", "dateutil", "six", "certifi"}
RUNTIME = AWS | {"aws_lambda_powertools", "typing_extensions", "halotap", "handler"}
HTTP = {"httpx", "httpcore", "h11", "anyio", "idna", "certifi"}  # Halo's API and the PSP's endpoint
# A body (domain/requests.py) and the events feed's query (domain/event_query.py) are checked by
# pydantic's core alone: pydantic's Python layer (BaseModel) is on no handler's first request.
CORE = {"pydantic_core"}
PAGE = {"babel", "segno"}  # the hosted page's languages and amounts (CLDR), its QR code
LOADS_AT_MOST = {
    "authorizer": RUNTIME,
    "create_checkout": RUNTIME | HTTP | CORE,
    "get_checkout": RUNTIME,
    "checkout_page": RUNTIME | PAGE,
    "halo_webhook": RUNTIME,
    "apply_halo_event": RUNTIME | HTTP,
    "deliver_notification": RUNTIME | HTTP,
    "reconcile": RUNTIME,
    "create_refund": RUNTIME | HTTP | CORE,
    "events": RUNTIME | CORE,
    "ledger": RUNTIME | HTTP,
    "ledger_report": RUNTIME,
    "cancel_checkout": RUNTIME,
    "api_keys": RUNTIME,
    "webhook_endpoints": RUNTIME,
    "new_attempt": RUNTIME,
}


def test_every_handler_is_in_the_order():
    assert sorted(ORDER) == sorted(spec.name for spec in manifest.FUNCTIONS)


def test_every_handler_says_what_its_first_request_may_load():
    assert sorted(LOADS_AT_MOST) == sorted(spec.name for spec in manifest.FUNCTIONS)
    assert all("babel" not in LOADS_AT_MOST[name] for name in LOADS_AT_MOST if name != "checkout_page")
    assert "pydantic" not in LOADS_AT_MOST["halo_webhook"]


@pytest.fixture(scope="module")
def stack():
    with local_stack() as running:
        yield running


def test_each_handler_answers_its_sample_event_from_the_layer_alone(stack, tmp_path):
    runtime = str(Path(lambda_shaped.python313()).resolve().parents[1])  # the 3.13 installation: its stdlib
    functions = lambda_shaped.X86_FUNCTIONS

    def run(name: str, event: dict[str, Any]) -> dict[str, Any]:
        result = invoke(name, event, function_env(name, stack.halo_url), tmp_path)
        assert "raised" not in result, f"{name} raised {result.get('raised')}"
        layers = tuple(map(str, lambda_shaped.layer_paths(name)))  # its own layers, from the manifest
        outside = {
            package: path
            for package, path in result["loaded_from"].items()
            if not path.startswith((*layers, str(functions / name), runtime))
        }
        assert outside == {}, f"{name} loaded modules from outside its layers: {outside}"
        assert result["loaded_from"]["boto3"].startswith(str(lambda_shaped.X86_LAYER))
        return result

    # walk() runs ORDER on the samples, pointed at the checkout create_checkout made, and taps Approved
    # in the simulator right after the create (the webhook comes from the sample).
    results = lambda_shaped.walk(stack.halo_url, run)
    answers = {name: result["answer"] for name, result in results.items()}
    # Each first request loads only what it needs: e.g. no pydantic where nothing the PSP sent is
    # validated, no babel outside the page, no httpx where nothing calls Halo or the PSP.
    beyond_stdlib = {
        name: {package for package, path in result["loaded_from"].items() if not path.startswith(runtime)}
        for name, result in results.items()
    }
    more = {
        name: sorted(loaded - LOADS_AT_MOST[name])
        for name, loaded in beyond_stdlib.items()
        if not loaded <= LOADS_AT_MOST[name]
    }
    assert more == {}, f"first requests that loaded more than LOADS_AT_MOST allows: {more}"

    assert answers["authorizer"]["context"] == {
        "clientId": "demo-psp",
        "merchants": "demo-merchant",
        "rateLimit": 25,
        "burstLimit": 50,
    }
    assert [key["source"] for key in body(answers["api_keys"])["data"]] == ["operator"]
    assert [endpoint["id"] for endpoint in body(answers["webhook_endpoints"])["data"]] == ["we_default"]
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
    env = function_env("get_checkout", stack.halo_url)
    del env["CHECKOUTS_TABLE"]
    result = invoke("get_checkout", sample("get_checkout", CHECKOUT_ID, HALO_REFERENCE), env, tmp_path)
    assert "raised" not in result  # the API answers problem+json, never a bare crash
    assert result["answer"]["statusCode"] == 500
    assert "CHECKOUTS_TABLE" not in result["answer"]["body"]  # an internal detail stays in the logs


def test_the_page_reads_its_compiled_catalogs_from_the_layer(stack, tmp_path):
    """The layer carries the page's catalogs as .mo files only (scripts/build-layer.sh): a German shopper
    gets German from them, here on the page for a link that names no checkout."""
    catalogs = lambda_shaped.X86_LAYER / "halotap" / "page" / "locales"
    assert sorted(p.parent.parent.name for p in catalogs.glob("*/LC_MESSAGES/messages.mo")) == [
        "af",
        "de",
        "es",
        "fr",
        "pt",
        "zu",
    ]
    assert list(catalogs.rglob("*.po")) == []
    event = sample("checkout_page", "chk_" + "a" * 26, HALO_REFERENCE)
    event["headers"]["Accept-Language"] = "de-DE,de;q=0.9"
    result = invoke("checkout_page", event, function_env("checkout_page", stack.halo_url), tmp_path)
    answer = result["answer"]
    assert answer["statusCode"] == 404
    assert '<html lang="de">' in answer["body"]
    assert "<h1>Dieser Zahlungslink ist ungültig</h1>" in answer["body"]
