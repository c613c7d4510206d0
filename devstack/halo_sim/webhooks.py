"""Halo's webhook to halotap: sent now or later (from a thread), each outcome recorded on its transaction."""

from __future__ import annotations

import logging
import threading

import httpx

from devstack import redact
from devstack.halo_sim.state import SimState
from devstack.halo_sim.wire import Json

log = logging.getLogger("devstack.halo_sim")

WEBHOOK_TIMEOUT_SECONDS = 10.0


class WebhookSender:
    def __init__(self, state: SimState, stopping: threading.Event) -> None:
        self._state, self._stopping = state, stopping
        self._background: list[threading.Thread] = []  # delayed sends, joined when the simulator stops

    def take_background(self) -> list[threading.Thread]:
        """The delayed sends' threads, forgotten here: the simulator joins them as it stops."""
        with self._state.lock:
            background, self._background = self._background, []
        return background

    def send(self, reference: str, payload: Json, times: int, delay: float) -> list[Json]:
        """Sends now and returns the outcomes, or sends later from a thread and returns [].

        Until its outcome is recorded in `webhookDeliveries`, each send counts in the transaction's
        `webhooksPending` (counted before this returns), so a test can tell "nothing was sent" from
        "not sent yet" by looking instead of waiting: pending 0 and no delivery means none will come.
        """
        with self._state.lock:
            tx = self._state.transactions.get(reference)
            if tx is not None:
                tx.webhooks_pending += 1
        if delay <= 0:
            return self._deliver(reference, payload, times)

        def later() -> None:
            if self._stopping.wait(delay):
                self._record_deliveries(reference, None, payload, [])  # stopped first: never sent
            else:
                self._deliver(reference, payload, times)

        worker = threading.Thread(target=later, name=f"halo-sim-webhook-{reference}", daemon=True)
        with self._state.lock:
            self._background = [t for t in self._background if t.is_alive()]
            self._background.append(worker)
        worker.start()
        return []

    def _deliver(self, reference: str, payload: Json, times: int) -> list[Json]:
        with self._state.lock:
            url = self._state.webhook_url
        results: list[Json] = []
        try:
            with httpx.Client(timeout=WEBHOOK_TIMEOUT_SECONDS, trust_env=False) as client:
                for _ in range(times):
                    if url is None:
                        results.append({"status": None, "error": "no webhook URL configured"})
                        continue
                    try:
                        answer = client.post(url, json=payload)
                        results.append({"status": answer.status_code, "error": None})
                    except (httpx.HTTPError, httpx.InvalidURL) as exc:
                        results.append({"status": None, "error": f"{type(exc).__name__}: {exc}"})
            log.info("webhook for %s to %s: %s", reference, redact.webhook_token(url or "-"), results)
        finally:  # even if a send blew up: a count left pending would stall a waiting test
            self._record_deliveries(reference, url, payload, results)
        return results

    def _record_deliveries(self, reference: str, url: str | None, payload: Json, results: list[Json]) -> None:
        """Records one send's outcomes (none when it was cancelled) and ends its pending count."""
        with self._state.lock:
            tx = self._state.transactions.get(reference)
            if tx is not None:
                if results:
                    tx.webhook_url = url
                tx.webhook_deliveries.extend({"payload": payload, **result} for result in results)
                tx.webhooks_pending = max(0, tx.webhooks_pending - 1)
