"""Halo as its current documentation describes it, and the merchant's currencies, on the default devstack."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.client import Psp

pytestmark = pytest.mark.e2e


def halo_creates(psp: Psp, **match: Any) -> list[Any]:
    """The simulator's log of Halo create calls whose body has every given field."""
    response = psp.sim.get("/_sim/requests")
    assert response.status_code == 200
    return [
        request
        for request in response.json()
        if isinstance(request["json"], dict) and all(request["json"].get(k) == v for k, v in match.items())
    ]


def test_a_create_on_the_default_devstack_calls_halos_applink_endpoint(psp):
    checkout = psp.open_checkout()
    calls = halo_creates(psp, paymentReference=checkout["id"])
    assert [(c["method"], c["path"]) for c in calls] == [("POST", "/consumer/applink")]
    reference = checkout["haloReference"]
    assert checkout["deepLink"] == (
        f"https://go.merchantportal.dev.haloplus.io/{reference}?env=kernelserver.dev.haloplus.io"
    )


def test_a_three_decimal_bhd_amount_is_accepted_end_to_end(psp):
    checkout = psp.open_checkout(currency="BHD", amount="1.005")
    assert (checkout["amount"], checkout["currency"]) == ("1.005", "BHD")
    assert halo_creates(psp, paymentReference=checkout["id"])[0]["json"]["amount"] == "1.005"
    psp.tap(checkout, "Approved")
    final = psp.wait_for(checkout["id"], "approved")
    assert final["outcome"]["disposition"] == "Approved"


def test_a_currency_outside_the_merchants_list_is_400_and_halo_is_never_called(psp):
    response = psp.create(currency="EUR", amount="10.00", reference="e2e-eur-refused")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "currency_not_supported"
    assert response.json()["currencies"] == ["ZAR", "USD", "JPY", "BHD"]
    # The create answered synchronously; a Halo call it made would already be in the log.
    assert halo_creates(psp, currencyCode="EUR") == []
