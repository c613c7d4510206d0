"""Halo Dot backend simulator for local development and tests.

Serves the part of Halo's kernelserver API that halotap calls (create a deep link on ``/consumer/qrCode``
or ``/consumer/applink``, read its status on ``/consumer/QRCode/{reference}``, refund on
``/transactions/{id}/refund``, read the transaction history on ``/transactions``) and a ``/_sim`` control
API that stands in for the customer's phone and Halo's back office: tap a card with a chosen
disposition, send (duplicate, late or contradictory) webhooks, plant or amend ledger records, and inject
faults into the Halo API calls.

It follows Halo's public documentation (the halo-dot/halo-documentation repository; see
docs/architecture.md, "Calling Halo") and accepts each documented variant: merchantId as string or
integer, amount as string or number, ``image`` or ``Image``, an optional version segment before
``/consumer`` and either case of ``qrCode`` in the path. It refuses only what the documentation requires;
where the documentation is silent (how many decimals an amount has, whether it may be zero), it accepts.
devstack/README.md lists each of those assumptions.

One module per reason to change:

- ``halo_api``: what halotap calls, as Halo documents it;
- ``control_api``: what a test calls (``/_sim/*``);
- ``state`` and ``ledger``: what the simulator remembers (transactions, refunds, the ledger, faults);
- ``webhooks``: sending Halo's webhook; ``wire``: the error shapes and values both APIs speak;
- ``server``: the HTTP service that routes between them and applies faults; ``cli``: the command line.

Run standalone with ``python -m devstack.halo_sim --port 4010 --merchant KEY=MID``.
"""

from devstack.halo_sim.cli import main
from devstack.halo_sim.server import HaloSimulator
from devstack.halo_sim.state import MAX_DELIVERIES_PER_TRANSACTION, MAX_LOGGED_REQUESTS

__all__ = ["MAX_DELIVERIES_PER_TRANSACTION", "MAX_LOGGED_REQUESTS", "HaloSimulator", "main"]
