"""`halotap-admin merchants put`'s checks with Halo, each a read that creates nothing there.

The pairing check reads one record of the merchant's transaction history with the merchant's key
(`GET /transactions?merchant=<Halo merchant id>&limit=1`). Halo serves a merchant's history only to that
merchant's key: the devstack's simulator refuses another merchant's id with 400, error 104 ("You do not
have permission to access this merchant"), and a refusal in any documented form (400/104, 401/100, 403)
is read the same way. So a 200 proves the key and the id belong together, and a record that names
another merchant is refused as well.

Where the history is not served at all (404 or 405: a Halo environment, or an older simulator, without
it) only the key can be checked, with the status read of a reference that cannot exist; the answer then
says so plainly, and names what a wrong id would do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from tools.operator_common import OperatorError

HALO_CHECK_TIMEOUT_SECONDS = 10.0
HISTORY_PATH = "/transactions"
NO_HISTORY = (404, 405)  # the endpoint is not there: nothing is known about the pairing
MERCHANT_REFUSED = {(400, 104), (401, 100)}  # Halo's "not your merchant" answers (and any 403)

Json = dict[str, Any]


class HaloCheckFailed(OperatorError):
    """Halo refused, or answered something that proves nothing; the message says which and what to do."""


@dataclass(frozen=True)
class Checked:
    """What the check proved: the key and the merchant id together, or the key only."""

    pairing: bool
    summary: str


def _error_code(answer: Any) -> int | None:
    try:
        body = answer.json()
    except ValueError:
        return None
    code = body.get("errorCode") if isinstance(body, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def _get(http: Any, url: str, api_key: str, halo_url: str, **params: Any) -> Any:
    import httpx

    try:
        return (http or httpx).get(
            url,
            params=params or None,
            headers={"x-api-key": api_key, "accept": "application/json"},
            timeout=HALO_CHECK_TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as error:
        raise HaloCheckFailed(f"could not reach Halo at {halo_url} to check the key: {error}") from None


def check_halo_key(halo_url: str, api_key: str, http: Any = None) -> None:
    """Asks Halo's status endpoint about a reference that cannot exist, with the merchant's key.

    Halo answers 404 (error 122, "Transaction not found") only after it has accepted the key, and 401 or
    403 when it refuses the key. A public integration reads 404 on an unknown reference the same way.
    Anything else says nothing about the key, and the check fails rather than guess.
    """
    from halotap.adapters.halo import STATUS_PATH

    reference = f"halotap-key-check-{uuid.uuid4()}"
    answer = _get(http, halo_url.rstrip("/") + STATUS_PATH.format(reference=reference), api_key, halo_url)
    if answer.status_code == 404:
        return
    if answer.status_code in (401, 403):
        raise HaloCheckFailed(
            f"Halo refused this API key (HTTP {answer.status_code}); nothing was saved. Check the key in "
            "Halo's merchant portal, or pass --skip-check to save it anyway"
        )
    raise HaloCheckFailed(
        f"Halo answered HTTP {answer.status_code} to the key check, which says nothing about the key; "
        "nothing was saved. Try again, or pass --skip-check"
    )


def check_halo_merchant(halo_url: str, api_key: str, halo_merchant_id: str, http: Any = None) -> Checked:
    """Proves that `api_key` is Halo merchant `halo_merchant_id`'s key, or the key alone where Halo cannot say."""
    url = halo_url.rstrip("/") + HISTORY_PATH
    answer = _get(http, url, api_key, halo_url, merchant=halo_merchant_id, limit=1)
    status, code = answer.status_code, _error_code(answer)
    if status == 200:
        records = answer.json()
        if not isinstance(records, list):
            raise HaloCheckFailed(
                f"Halo's transaction history answered 200 without a list of records at {url}; "
                "nothing was saved. Try again, or pass --skip-check"
            )
        named = (r.get("merchantId") for r in records if isinstance(r, dict))
        others = sorted({str(m) for m in named if m is not None} - {halo_merchant_id})
        if others:
            raise HaloCheckFailed(
                f"this key reads the history of Halo merchant {others[0]}, not {halo_merchant_id}; "
                "nothing was saved. Check --halo-merchant-id"
            )
        return Checked(
            pairing=True,
            summary=f"Halo accepted the key for merchant {halo_merchant_id} (it served that merchant's "
            f"transaction history at {halo_url})",
        )
    if status == 403 or (status, code) in MERCHANT_REFUSED:
        raise HaloCheckFailed(
            f"Halo refused merchant id {halo_merchant_id} for this key (HTTP {status}, error {code}); "
            "nothing was saved. Check --halo-merchant-id against the key's merchant in Halo's portal"
        )
    if status == 401:
        raise HaloCheckFailed(
            f"Halo refused this API key (HTTP 401, error {code}); nothing was saved. Check the key in "
            "Halo's merchant portal, or pass --skip-check to save it anyway"
        )
    if status in NO_HISTORY:
        check_halo_key(halo_url, api_key, http)
        return Checked(
            pairing=False,
            summary=f"Halo accepted the key, but only the key could be checked: its transaction history "
            f"(GET {HISTORY_PATH}) answered HTTP {status} at {halo_url}, so the key's pairing with "
            f"--halo-merchant-id {halo_merchant_id} is not proven. If the id is wrong, checkouts for this "
            "merchant will fail with 502 halo_auth_failed",
        )
    raise HaloCheckFailed(
        f"Halo answered HTTP {status} to the merchant check, which says nothing about the key or the "
        "merchant id; nothing was saved. Try again, or pass --skip-check"
    )
