"""The one place that builds halotap: settings in, adapters and use cases out, once per container.

Everything is built lazily, on first use, and imported lazily too: no module, AWS client, HTTP pool or
setting is touched until a call needs it, so the authorizer never imports pydantic, boto3's DynamoDB
codec or Halo's client, and a function is only asked for the settings its manifest entry gives it. Tests build the same `Services` with fakes at the edges (a Halo transport,
a clock, a DNS resolver), so they run the production wiring, confirmer included.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from halotap.domain.clock import utc_now
from halotap.settings import Settings, settings
from halotap.wiring_integration import IntegrationWiring

if TYPE_CHECKING:
    import httpx

    from halotap.adapters.dynamo.checkouts import CheckoutStore
    from halotap.adapters.events import EventLog
    from halotap.adapters.halo import HaloClient
    from halotap.adapters.idempotency import IdempotentRunner
    from halotap.adapters.queues import SqsQueue
    from halotap.adapters.secrets import SecretStore
    from halotap.adapters.webhooks import Attempt
    from halotap.app.attempts import AttemptService
    from halotap.app.checkouts import CheckoutService
    from halotap.app.events import EventService
    from halotap.app.intake import HaloWebhookIntake
    from halotap.app.ledger import LedgerReportService, LedgerService
    from halotap.app.listing import CheckoutListing
    from halotap.app.notifications import NotificationDeliverer
    from halotap.app.outcomes import OutcomeService
    from halotap.app.reconcile import Reconciler
    from halotap.app.refunds import RefundService
    from halotap.domain import ssrf


class Services(IntegrationWiring):
    """The container's adapters and use cases. Keyword arguments replace an edge, for tests."""

    def __init__(
        self,
        config: Settings | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        halo_http: httpx.Client | None = None,
        webhook_http: httpx.Client | None = None,
        dynamodb: Any = None,
        sqs: Any = None,
        s3: Any = None,
        kms: Any = None,
        secrets_provider: Any = None,
        resolve: ssrf.Resolver | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config or settings()
        self.clock = clock
        self._halo_http = halo_http
        self._webhook_http = webhook_http
        self._dynamodb = dynamodb
        self._sqs = sqs
        self._s3 = s3
        self._kms = kms
        self._secrets_provider = secrets_provider
        self._resolve_override = resolve
        self._sleep = sleep

    # -- adapters --------------------------------------------------------------------------------------
    @cached_property
    def store(self) -> CheckoutStore:
        from halotap.adapters.dynamo.checkouts import CheckoutStore

        return CheckoutStore(
            self.config.checkouts_table, client=self._dynamodb, retention_days=self.config.retention_days
        )

    @cached_property
    def event_log(self) -> EventLog:
        from halotap.adapters.events import EventLog

        return EventLog(lambda: self.config.events_table, client=self._dynamodb)

    @cached_property
    def secrets(self) -> SecretStore:
        from halotap.adapters.secrets import SecretStore

        return SecretStore(
            self.config.secrets_prefix, self.config.secrets_ttl_seconds, provider=self._secrets_provider
        )

    @cached_property
    def halo(self) -> HaloClient:
        from halotap.adapters.breaker import CircuitBreaker
        from halotap.adapters.halo import HaloClient

        # The breaker's cooldown runs on the same clock as everything else, so a test's clock moves it too.
        cooldown = self.config.halo_breaker_cooldown
        breaker = (
            CircuitBreaker(cooldown=cooldown)
            if self.clock is utc_now
            else CircuitBreaker(cooldown=cooldown, clock=self._seconds)
        )
        return HaloClient(
            self.config.halo_base_url,
            self.config.halo_link_path,
            http=self._halo_http,
            connect_timeout=self.config.halo_connect_timeout,
            read_timeout=self.config.halo_read_timeout,
            sleep=self._sleep,
            breaker=breaker,
        )

    @cached_property
    def notifications_queue(self) -> SqsQueue:
        from halotap.adapters.queues import SqsQueue

        return SqsQueue(lambda: self.config.notifications_queue_url, client=self._sqs)

    @cached_property
    def dead_letters(self) -> SqsQueue:
        from halotap.adapters.queues import SqsQueue

        return SqsQueue(lambda: self.config.notifications_dlq_url, client=self._sqs)

    @cached_property
    def halo_events_queue(self) -> SqsQueue:
        from halotap.adapters.queues import SqsQueue

        return SqsQueue(lambda: self.config.halo_events_queue_url, client=self._sqs)

    @cached_property
    def idempotency(self) -> IdempotentRunner:
        from halotap.adapters.idempotency import IdempotentRunner

        return IdempotentRunner(self.config.idempotency_table, client=self._dynamodb)

    @cached_property
    def _resolve(self) -> ssrf.Resolver:
        if self._resolve_override is not None:
            return self._resolve_override
        from halotap.adapters.dns import resolve_host

        return resolve_host

    def url_guard(self, url: str) -> None:
        from halotap.domain import ssrf

        ssrf.check_url(url, resolve=self._resolve, allow_loopback_http=self.config.allow_loopback_webhooks)

    def post_notification(self, url: str, body: bytes, headers: dict[str, str]) -> Attempt:
        from halotap.adapters import webhooks

        return webhooks.deliver(
            self._webhooks_http,
            url,
            body,
            headers,
            allow_loopback_http=self.config.allow_loopback_webhooks,
            resolve=self._resolve,
        )

    @cached_property
    def _webhooks_http(self) -> httpx.Client:
        if self._webhook_http is not None:
            return self._webhook_http
        import httpx

        return httpx.Client(limits=httpx.Limits(max_keepalive_connections=10))

    # -- use cases -------------------------------------------------------------------------------------
    @cached_property
    def checkouts(self) -> CheckoutService:
        from halotap.app.checkouts import CheckoutService

        return CheckoutService(
            self.store,
            self.halo,
            self.secrets,
            notifications=self.notifications_queue,
            url_guard=self.url_guard,
            events=self.event_log,
            check_backoff=self.config.check_backoff,
            watch_schedule=self.config.watch_schedule,
            attention_after=self.config.indeterminate_attention_after,
            clock=self.clock,
        )

    @cached_property
    def attempts(self) -> AttemptService:
        from halotap.app.attempts import AttemptService

        return AttemptService(self.checkouts, in_flight=self.refunds.first_call_window)

    @cached_property
    def listing(self) -> CheckoutListing:
        from halotap.app.listing import CheckoutListing

        return CheckoutListing(self.store, self.secrets)

    @cached_property
    def events(self) -> EventService:
        from halotap.app.events import EventService

        return EventService(
            self.event_log,
            self.secrets,
            self.notifications_queue,
            self.post_notification,
            clock=self.clock,
            log=self.delivery_log,
        )

    @cached_property
    def outcomes(self) -> OutcomeService:
        from halotap.app.confirm import ConfirmWithHalo
        from halotap.app.outcomes import OutcomeService

        return OutcomeService(
            self.checkouts,
            ConfirmWithHalo(self.halo, self.secrets),
            self.refunds,
            confirm_retry_seconds=self.config.confirm_retry_seconds,
        )

    @cached_property
    def refunds(self) -> RefundService:
        from halotap.app.refunds import RefundService
        from halotap.domain import timing

        return RefundService(
            self.checkouts,
            first_call_window=timing.refund_first_call_window(
                self.config.halo_connect_timeout, self.config.halo_read_timeout
            ),
        )

    @cached_property
    def reconciler(self) -> Reconciler:
        from datetime import timedelta

        from halotap.adapters.tables import DUE_SHARDS
        from halotap.app.reconcile import Reconciler

        return Reconciler(
            self.checkouts,
            self.outcomes,
            self.refunds,
            shards=DUE_SHARDS,
            grace=timedelta(seconds=self.config.expiry_grace_seconds),
            batch_size=self.config.reconcile_batch,
            workers=self.config.reconcile_workers,
            after_error=self.config.reconcile_after_error,
            clock=self.clock,
            prepare=self.build_shared_clients,
        )

    def build_shared_clients(self) -> None:
        """Build, in the calling thread, every client reconcile's worker threads share and would otherwise
        build lazily on first use: the DynamoDB and SQS clients, the secrets cache (and its Secrets
        Manager client) and Halo's connection pool.

        Why here and now: the adapters build these on first use with a plain "if None: build", and
        `cached_property` has no lock from Python 3.12 on, so two workers could each build one (two boto3
        clients created at once, a second provider with its own empty cache, a pool that leaks). The use
        cases themselves are built already: the reconciler holds them.
        """
        _ = self.store.client, self.event_log.client, self.notifications_queue.client
        _ = self.secrets.provider, self.halo.http

    @cached_property
    def deliverer(self) -> NotificationDeliverer:
        from halotap.app.notifications import NotificationDeliverer

        return NotificationDeliverer(
            store=self.store,
            secret_store=self.secrets,
            post=self.post_notification,
            dead_letters=self.dead_letters,
            schedule=self.config.notify_schedule,
            clock=self.clock,
            directory=self.endpoint_directory,
            log=self.delivery_log,
            health=self.endpoint_health,
            fan_out=self.notifications_queue,
        )

    @cached_property
    def ledger_queue(self) -> SqsQueue:
        from halotap.adapters.queues import SqsQueue

        return SqsQueue(lambda: self.config.ledger_queue_url, client=self._sqs)

    @cached_property
    def ledger_reports(self) -> LedgerReportService:
        from halotap.adapters.ledger_store import LedgerReports
        from halotap.app.ledger import LedgerReportService

        return LedgerReportService(
            secrets=self.secrets,
            reports=LedgerReports(lambda: self.config.ledger_bucket, client=self._s3),
            runs=self.ledger_queue,
            clock=self.clock,
        )

    @cached_property
    def ledger(self) -> LedgerService:
        from halotap.adapters.ledger_lookup import LedgerLookup
        from halotap.adapters.ledger_store import LedgerReports
        from halotap.app.ledger import LedgerService

        return LedgerService(
            halo=self.halo,
            secrets=self.secrets,
            reads=LedgerLookup(self.store, self.config.checkouts_table),
            reports=LedgerReports(lambda: self.config.ledger_bucket, client=self._s3),
            outcomes=self.outcomes,
            events=self.event_log,
            notifications=self.notifications_queue,
            clock=self.clock,
        )

    @cached_property
    def intake(self) -> HaloWebhookIntake:
        from halotap.app.intake import HaloWebhookIntake

        return HaloWebhookIntake(self.secrets, self.halo_events_queue, clock=self.clock)

    def _seconds(self) -> float:
        return self.clock().timestamp()


@lru_cache(maxsize=1)
def default_services() -> Services:
    """The container's services, from its environment. `default_services.cache_clear()` forgets them."""
    return Services()


__all__ = ["Services", "default_services"]
