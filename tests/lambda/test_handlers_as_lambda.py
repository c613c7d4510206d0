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

# The handlers whose sample carries something the PSP sent to validate. A body is checked by pydantic's
# core alone (domain/requests.py); a list's query by a pydantic model (domain/listing.py).
VALIDATE_A_BODY = {"create_checkout", "create_refund"}
PARSE_A_QUERY = {"events"}


def test_every_handler_is_in_the_order():
    assert sorted(ORDER) == sorted(spec.name for spec in manifest.FUNCTIONS)


@pytest.fixture(scope="module")
def stack():
    with local_stack() as running:
        yield running


def test_each_handler_answers_its_sample_event_from_the_layer_alone(stack, tmp_path):
    runtime = str(Path(lambda_shaped.python313()).resolve().parents[1])  # the 3.13 installation: its stdlib
    layer, functions = str(lambda_shaped.X86_LAYER), lambda_shaped.X86_FUNCTIONS

    def run(name: str, event: dict[str, Any]) -> dict[str, Any]:
        result = invoke(name, event, function_env(name, stack.halo_url), tmp_path)
        assert "raised" not in result, f"{name} raised {result.get('raised')}"
        outside = {
            package: path
            for package, path in result["loaded_from"].items()
            if not path.startswith((layer, str(functions / name), runtime))
        }
        assert outside == {}, f"{name} loaded modules from outside the layer: {outside}"
        assert result["loaded_from"]["boto3"].startswith(layer)
        return result

    # walk() runs ORDER on the samples, pointed at the checkout create_checkout made, and taps Approved
    # in the simulator right after the create (the webhook comes from the sample).
    results = lambda_shaped.walk(stack.halo_url, run)
    answers = {name: result["answer"] for name, result in results.items()}
    # pydantic validates what the PSP sends and nothing else: the handlers that read, apply, deliver or
    # reconcile checkouts never load it, even on a first request. Its Python layer (BaseModel and the
    # schema generator, about 40 ms of a cold start) loads only where a list's query is parsed.
    loads_core = {name for name, result in results.items() if "pydantic_core" in result["loaded_from"]}
    loads_pydantic = {name for name, result in results.items() if "pydantic" in result["loaded_from"]}
    assert loads_core == VALIDATE_A_BODY | PARSE_A_QUERY
    assert loads_pydantic == PARSE_A_QUERY

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
