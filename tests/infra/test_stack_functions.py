"""Each function is what the manifest says: runtime, settings, environment, layer and domain."""

from __future__ import annotations

import pytest

from infra import manifest
from tests.infra.conftest import PAY_CERTIFICATE_ARN, PAY_DOMAIN, Synth
from tests.infra.template import (
    POWERTOOLS_ENV,
    function_resource,
)

pytestmark = pytest.mark.infra


def test_one_function_per_manifest_entry(dev: Synth) -> None:
    dev.template.resource_count_is("AWS::Lambda::Function", len(manifest.FUNCTIONS))
    assert set(dev.stack.functions.functions) == {spec.name for spec in manifest.FUNCTIONS}


@pytest.mark.parametrize("spec", manifest.FUNCTIONS, ids=lambda s: s.name)
def test_function_runtime_and_settings(dev: Synth, spec: manifest.Function) -> None:
    props = function_resource(dev, spec.name)["Properties"]
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "handler.handler"
    assert props["Timeout"] == spec.timeout_seconds
    assert props["MemorySize"] == spec.memory_mb
    assert props["TracingConfig"] == {"Mode": "Active"}
    layers = dev.stack.functions.layers
    assert props["Layers"] == [{"Ref": dev.logical_id(layers[key])} for key in spec.layers]
    log_group = dev.json["Resources"][props["LoggingConfig"]["LogGroup"]["Ref"]]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == 30


def test_only_the_page_gets_babels_layer(dev: Synth) -> None:
    """Babel's CLDR data is the page's alone: the page, and the shopper's "Try again" that answers in the
    page's language (tests/unit/test_layers.py finds them by their imports); every other function gets the
    common layer only."""
    dev.template.resource_count_is("AWS::Lambda::LayerVersion", len(manifest.LAYERS))
    with_page = {spec.name for spec in manifest.FUNCTIONS if "page" in spec.layers}
    assert with_page == {"checkout_page", "new_attempt"}
    layers = {
        name: len(function_resource(dev, name)["Properties"]["Layers"])
        for name in (spec.name for spec in manifest.FUNCTIONS)
    }
    assert layers == {spec.name: len(spec.layers) for spec in manifest.FUNCTIONS}
    assert all(spec.layers[0] == "common" for spec in manifest.FUNCTIONS)


def test_layer_targets_the_function_runtime(dev: Synth) -> None:
    dev.template.has_resource_properties(
        "AWS::Lambda::LayerVersion",
        {"CompatibleRuntimes": ["python3.13"], "CompatibleArchitectures": ["arm64"]},
    )


@pytest.mark.parametrize("spec", manifest.FUNCTIONS, ids=lambda s: s.name)
def test_function_environment_is_what_the_manifest_lists(dev: Synth, spec: manifest.Function) -> None:
    env = function_resource(dev, spec.name)["Properties"]["Environment"]["Variables"]
    settings = {"SECRETS_PREFIX": "halotap/dev", "HALO_ENV": "dev", "HALO_LINK_ENDPOINT": "applink"}
    resources = {t.env: {"Ref": dev.logical_id(dev.stack.data.tables[t.key])} for t in manifest.TABLES}
    resources |= {q.env: {"Ref": dev.logical_id(dev.stack.messaging.queues[q.key])} for q in manifest.QUEUES}
    resources |= {
        q.dlq_env: {"Ref": dev.logical_id(dev.stack.messaging.dead_letter_queues[q.key])}
        for q in manifest.QUEUES
    }
    resources |= {b.env: {"Ref": dev.logical_id(dev.stack.data.buckets[b.key])} for b in manifest.BUCKETS}
    resources |= {k.env: {"Ref": dev.logical_id(dev.stack.data.keys[k.key])} for k in manifest.KEYS}
    known = {**settings, **resources}  # no payDomain on dev: PAY_BASE_URL stays unset
    expected = {name: known[name] for name in spec.env if name not in manifest.OPTIONAL_ENV} | POWERTOOLS_ENV
    assert env == expected


def test_without_a_pay_domain_there_is_no_custom_domain_and_no_pay_base_url(dev: Synth) -> None:
    dev.template.resource_count_is("AWS::ApiGateway::DomainName", 0)
    env = function_resource(dev, "create_checkout")["Properties"]["Environment"]["Variables"]
    assert "PAY_BASE_URL" not in env


def test_a_pay_domain_is_the_apis_custom_domain_and_payurls_base(prod: Synth) -> None:
    env = function_resource(prod, "create_checkout")["Properties"]["Environment"]["Variables"]
    assert env["PAY_BASE_URL"] == f"https://{PAY_DOMAIN}"
    prod.template.has_resource_properties(
        "AWS::ApiGateway::DomainName",
        {
            "DomainName": PAY_DOMAIN,
            "RegionalCertificateArn": PAY_CERTIFICATE_ARN,
            "EndpointConfiguration": {"Types": ["REGIONAL"]},
            "SecurityPolicy": "TLS_1_2",
        },
    )
    prod.template.resource_count_is("AWS::ApiGateway::BasePathMapping", 1)
    assert "PayDomainTarget" in prod.json["Outputs"]
    for name in ("create_checkout", "get_checkout"):  # the create's answer, and GET of an open checkout
        assert function_resource(prod, name)["Properties"]["Environment"]["Variables"]["PAY_BASE_URL"] == (
            "https://pay.psp.example"
        )
    assert (
        "PAY_BASE_URL"
        not in function_resource(prod, "checkout_page")["Properties"]["Environment"]["Variables"]
    )


def test_settings_come_from_context(prod: Synth) -> None:
    env = function_resource(prod, "create_checkout")["Properties"]["Environment"]["Variables"]
    assert env["SECRETS_PREFIX"] == "halotap/prod"
    assert env["HALO_ENV"] == "prod"
    assert env["HALO_LINK_ENDPOINT"] == "qrCode"  # the deprecated endpoint stays selectable
    assert env["HALO_ACQUIRER"] == "za"  # kernelserver.za.prod.haloplus.io
    assert "HALO_BASE_URL" not in env
    assert prod.stack.stack_name == "halotap-prod"


def test_no_acquirer_in_context_means_no_acquirer_segment(dev: Synth) -> None:
    env = function_resource(dev, "create_checkout")["Properties"]["Environment"]["Variables"]
    assert "HALO_ACQUIRER" not in env
