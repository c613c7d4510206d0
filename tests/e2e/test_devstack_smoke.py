"""The running devstack answers like the deployed API at its edges, before any checkout is made."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.e2e


def _problem(response: httpx.Response) -> dict:
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


def test_an_unknown_route_is_a_404_route_not_found_problem(devstack):
    response = httpx.get(f"{devstack.api_url}/v1/nothing-here")
    assert response.status_code == 404
    assert _problem(response)["code"] == "route_not_found"


def test_a_request_without_authorization_is_a_401_problem(devstack):
    response = httpx.post(f"{devstack.api_url}/v1/checkouts", json={})
    assert response.status_code == 401, devstack.log_tail()
    assert _problem(response)["code"] == "unauthorized"


def test_a_wrong_api_key_is_a_401_problem(devstack):
    response = httpx.get(f"{devstack.api_url}/v1/checkouts/chk_x", headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401, devstack.log_tail()


def test_the_halo_simulator_answers(devstack):
    response = httpx.get(f"{devstack.halo_url}/_sim/requests")
    assert response.status_code == 200
    assert isinstance(response.json(), list)
