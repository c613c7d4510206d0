"""Everything halotap deploys, as plain data: no aws_cdk import.

The CDK stack and the devstack both read this module, so the routes, queues, tables and secrets
that run locally are the ones that deploy. Names here are logical keys; each side turns them into
real resources (CloudFormation on AWS, moto locally).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from halotap.adapters.tables import (
    DUE_INDEX,
    HALO_REFERENCE_INDEX,
    HALO_TRANSACTION_INDEX,
    MERCHANT_CREATED_INDEX,
)
from halotap.domain import timing
from halotap.domain.errors import PROBLEM_TYPE_BASE

SERVICE_NAME = "halotap"
METRICS_NAMESPACE = "halotap"


@dataclass(frozen=True)
class Index:
    name: str
    partition_key: str
    sort_key: str | None = None


@dataclass(frozen=True)
class Table:
    key: str
    env: str  # the environment variable that carries the table's name
    partition_key: str
    ttl_attribute: str
    indexes: tuple[Index, ...] = ()
    sort_key: str | None = None


@dataclass(frozen=True)
class Queue:
    key: str
    env: str  # the environment variable that carries the queue's URL
    dlq_env: str  # ... and its dead-letter queue's URL
    visibility_timeout_seconds: int
    retention_days: int
    max_receive_count: int
    dlq_retention_days: int


@dataclass(frozen=True)
class Bucket:
    key: str
    env: str  # the environment variable that carries the bucket's name
    retention_days: int  # every object (and every noncurrent version) expires after this many days


@dataclass(frozen=True)
class Secret:
    key: str  # the name below the stack's secret prefix, e.g. "clients" -> "<prefix>/clients"
    description: str
    created_by_stack: bool  # merchant secrets are written by the operator, one per merchant


@dataclass(frozen=True)
class Key:
    """A customer managed KMS key the stack creates (rotation on), named to functions by `env`."""

    key: str
    env: str  # the environment variable that carries the key's id
    description: str


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway resource path, e.g. /v1/checkouts/{id}
    # The OpenAPI operationId: what generated clients and both SDKs name the call (createCheckout).
    operation_id: str
    authorized: bool = True
    # Not a PSP's call (Halo's webhook intake, the shopper's hosted page): left out of the PSP's contract and
    # SDKs (docs/openapi.json) and documented in docs/openapi-internal.json instead.
    internal: bool = False


@dataclass(frozen=True)
class Function:
    name: str  # the folder under functions/
    description: str
    routes: tuple[Route, ...] = ()
    queue: str | None = None  # the Queue.key this function consumes
    schedule_minutes: int | None = None  # run on an EventBridge schedule at this rate
    daily_at_utc_hour: int | None = None  # run on an EventBridge schedule once a day, at this hour (UTC)
    batch_size: int = 10
    # The event source's MaximumConcurrency (2..1000): how many of this consumer's invocations SQS may run
    # at once. None leaves it to the account's concurrency. docs/performance.md ("Bounded fan-out").
    max_concurrency: int | None = None
    is_authorizer: bool = False
    # Lambda reserved concurrency: both this function's guaranteed share of the account and its ceiling,
    # so one client's burst on one route cannot take the concurrency Halo's webhook intake and the
    # consumers need. Set from RESERVED_CONCURRENCY below (2 for a function it does not name); context
    # reservedConcurrency=false leaves it out (infra/config.py).
    reserved_concurrency: int = 2
    timeout_seconds: int = 10
    memory_mb: int = 512
    env: tuple[str, ...] = ()  # which resource settings the function reads (Table.env, Queue.env, ...)
    table_actions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # Table.key -> dynamodb:Actions
    index_query: tuple[str, ...] = ()  # Table.key whose indexes the function may Query
    sends_to: tuple[str, ...] = ()  # Queue.key the function may SendMessage to
    sends_to_dlq: tuple[str, ...] = ()  # Queue.key whose dead-letter queue the function may SendMessage to
    reads_secrets: tuple[str, ...] = ()  # Secret.key, "merchants/*" for every merchant
    lists_merchants: bool = False  # secretsmanager:ListSecrets, to find every merchant's secret by name
    bucket_actions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # Bucket.key -> s3:Actions
    key_actions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # Key.key -> kms:Actions
    # The Lambda layers the function gets (LAYERS' keys, in path order): each function carries only what
    # it loads. scripts/build-layer.sh builds them; docs/performance.md gives each function's size.
    layers: tuple[str, ...] = ("common",)


# Lambda layers, by key: what each holds (scripts/build-layer.sh builds both).
LAYERS = {
    "common": "halotap and its pinned runtime dependencies, botocore with only the services halotap calls",
    "page": "babel, with CLDR data for the hosted page's languages only",
}

CHECKOUTS = Table(
    key="checkouts",
    env="CHECKOUTS_TABLE",
    partition_key="pk",
    ttl_attribute="ttl",
    indexes=(
        Index(HALO_REFERENCE_INDEX, "haloReference"),
        # Sparse: only checkouts with something left to check carry dueShard/dueAt (see halotap/app/reconcile.py).
        Index(DUE_INDEX, "dueShard", "dueAt"),
        # Only checkouts carry merchantId and createdAt (reference guards lack merchantId), so only they list.
        Index(MERCHANT_CREATED_INDEX, "merchantId", "createdAt"),
        # Sparse: only approved checkouts carry haloTransactionId; the ledger finds a refund's payment by it.
        Index(HALO_TRANSACTION_INDEX, "haloTransactionId"),
    ),
)
IDEMPOTENCY = Table(
    key="idempotency", env="IDEMPOTENCY_TABLE", partition_key="id", ttl_attribute="expiration"
)
# Each client's event feed (halotap/adapters/events.py): one item per event, sorted by a per-client sequence
# number allocated in commit order, read with a consistent Query. Kept EVENT_RETENTION_DAYS by TTL.
EVENTS = Table(key="events", env="EVENTS_TABLE", partition_key="pk", sort_key="sk", ttl_attribute="ttl")
# What a PSP changes about its own integration through the API (issue 20): webhook endpoints, API key
# hashes and rate limits, one partition per client (pk "client#<id>", sk "endpoint#we_..." / "key#key_..."),
# plus one lookup item per key hash (pk "keyhash#<sha256>") so the authorizer reads a key with one GetItem.
INTEGRATIONS = Table(
    key="integrations", env="INTEGRATIONS_TABLE", partition_key="pk", sort_key="sk", ttl_attribute="ttl"
)
TABLES = (CHECKOUTS, IDEMPOTENCY, EVENTS, INTEGRATIONS)

APPLY_TIMEOUT_SECONDS = 30
HALO_EVENTS = Queue(
    key="halo-events",
    env="HALO_EVENTS_QUEUE_URL",
    dlq_env="HALO_EVENTS_DLQ_URL",
    visibility_timeout_seconds=6 * APPLY_TIMEOUT_SECONDS,  # AWS: at least 6x the consumer's timeout
    retention_days=4,
    # Above the confirm attempts (halotap.domain.timing), so a webhook Halo cannot confirm yet is handed to
    # reconciliation by the consumer, never parked in the DLQ by SQS.
    max_receive_count=timing.HALO_EVENT_MAX_RECEIVES,
    dlq_retention_days=14,  # longer than the source, so a message never expires in the DLQ first
)
DELIVER_TIMEOUT_SECONDS = 30
NOTIFICATIONS = Queue(
    key="notifications",
    env="NOTIFICATIONS_QUEUE_URL",
    dlq_env="NOTIFICATIONS_DLQ_URL",
    visibility_timeout_seconds=6 * DELIVER_TIMEOUT_SECONDS,
    retention_days=4,  # the retry schedule spans about 27.6 h
    # The deliverer parks a message in the DLQ itself when its schedule is exhausted. This count is only
    # the safety net for a deliverer that crashes on a message, so it sits above any schedule's attempts.
    max_receive_count=timing.NOTIFY_MAX_RECEIVES,
    dlq_retention_days=14,
)
# The daily ledger: one message per merchant-day to prove against Halo's history (halotap/app/ledger.py).
LEDGER_TIMEOUT_SECONDS = 900  # Lambda's most: a 100,000-record day (docs/performance.md, "The daily ledger")
LEDGER_RUNS = Queue(
    key="ledger",
    env="LEDGER_QUEUE_URL",
    dlq_env="LEDGER_DLQ_URL",
    visibility_timeout_seconds=6 * LEDGER_TIMEOUT_SECONDS,
    retention_days=4,
    max_receive_count=3,  # a run that fails three times waits in the DLQ for a person
    dlq_retention_days=14,
)
QUEUES = (HALO_EVENTS, NOTIFICATIONS, LEDGER_RUNS)

# Each merchant-day's ledger report, JSON and CSV (halotap/adapters/ledger_store.py).
LEDGER_REPORTS = Bucket(key="ledger", env="LEDGER_BUCKET", retention_days=400)
BUCKETS = (LEDGER_REPORTS,)

# Seals each webhook endpoint's signing secrets in the integrations table (halotap/adapters/kms.py), with an
# encryption context of the client and the endpoint: docs/architecture.md ("Webhook endpoints").
SIGNING_KEY = Key("signing", "SIGNING_KEY_ID", "halotap: seals PSP webhook signing secrets at rest")
KEYS = (SIGNING_KEY,)

SECRETS = (
    Secret(
        "clients", "PSP clients: API key hashes, allowed merchants, notification URL, signing secrets", True
    ),
    Secret(
        "halo-webhook", "The path token(s) Halo's webhook URL carries; two may be valid during rotation", True
    ),
    Secret("cursor-key", "The HMAC key that seals list cursors; generated at deploy, never leaves AWS", True),
    Secret(
        "merchants/*", "One secret per merchant: {haloMerchantId, apiKey}; written by the operator", False
    ),
)

# Settings that are not resources; the stack fills them from context, the devstack from its own config.
# HALO_ACQUIRER and HALO_BASE_URL are set only when the stack's context gives them (haloAcquirer, haloBaseUrl).
SETTING_ENV = ("SECRETS_PREFIX", "HALO_ENV", "HALO_LINK_ENDPOINT", "HALO_ACQUIRER", "HALO_BASE_URL")
# Settings a function reads only when the deployment has them (context payDomain sets PAY_BASE_URL).
OPTIONAL_ENV = frozenset({"PAY_BASE_URL", "HALO_ACQUIRER", "HALO_BASE_URL"})

# How often EventBridge runs reconcile. A checkout that falls due waits at most this long for the next run;
# the ReconcileLag alarm's threshold (infra/monitoring.py) starts from it.
RECONCILE_SCHEDULE_MINUTES = 1

_READ_WRITE_CHECKOUTS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
# Recording an event allocates its sequence number and writes it in one TransactWriteItems (adapters/events.py).
_RECORD_EVENTS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
_IDEMPOTENCY = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
# The delivery log lives in the events table beside each event (halotap/adapters/deliveries.py).
_DELIVERY_LOG = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query")

FUNCTIONS: tuple[Function, ...] = (
    Function(
        name="authorizer",
        description="Authenticates PSP API keys (Bearer) by their hash: the integrations table's key lookup, "
        "then the clients secret",
        is_authorizer=True,
        timeout_seconds=5,
        env=("SECRETS_PREFIX", "INTEGRATIONS_TABLE"),
        # GetItem: the key's lookup item; UpdateItem: lastUsedAt, at most once per key per 5 minutes.
        table_actions={"integrations": ("dynamodb:GetItem", "dynamodb:UpdateItem")},
        reads_secrets=("clients",),
    ),
    Function(
        name="api_keys",
        description="GET and POST /v1/api-keys, DELETE /v1/api-keys/{id}: a PSP lists, makes and revokes its keys",
        routes=(
            Route("GET", "/v1/api-keys", "listApiKeys"),
            Route("POST", "/v1/api-keys", "createApiKey"),
            Route("DELETE", "/v1/api-keys/{id}", "revokeApiKey"),
        ),
        env=("SECRETS_PREFIX", "INTEGRATIONS_TABLE"),
        table_actions={
            # Query: the client's key ring; BatchGetItem: the keys' lookups (last use, revoked);
            # TransactWriteItems needs each of its writes' actions: Update (ring), Put (key, lookup), Delete.
            "integrations": (
                "dynamodb:Query",
                "dynamodb:GetItem",
                "dynamodb:BatchGetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
            ),
        },
        reads_secrets=("clients",),
    ),
    Function(
        name="create_checkout",
        description="POST /v1/checkouts: stores a checkout and asks Halo for its deep link",
        routes=(Route("POST", "/v1/checkouts", "createCheckout"),),
        timeout_seconds=25,  # inside API Gateway's 29 s, with room for Halo's connect + read timeouts
        # notificationUrl is checked here too; PAY_BASE_URL is payUrl's base (payDomain), when configured.
        env=("CHECKOUTS_TABLE", "IDEMPOTENCY_TABLE", "PAY_BASE_URL", *SETTING_ENV),
        table_actions={"checkouts": _READ_WRITE_CHECKOUTS, "idempotency": _IDEMPOTENCY},
        reads_secrets=("merchants/*",),
    ),
    Function(
        name="get_checkout",
        description="GET /v1/checkouts/{id}, GET /v1/checkouts to list a merchant's or find one by reference, "
        "and GET a refund",
        routes=(
            Route("GET", "/v1/checkouts/{id}", "getCheckout"),
            Route("GET", "/v1/checkouts", "listCheckouts"),
            Route("GET", "/v1/checkouts/{id}/refunds/{refundId}", "getRefund"),
        ),
        env=("CHECKOUTS_TABLE", "PAY_BASE_URL", *SETTING_ENV),  # PAY_BASE_URL: payUrl of an open checkout
        table_actions={"checkouts": ("dynamodb:GetItem",)},
        index_query=("checkouts",),  # the list reads byMerchantCreated: a Query, never a Scan
        reads_secrets=("cursor-key",),
    ),
    Function(
        name="cancel_checkout",
        description="POST /v1/checkouts/{id}/cancel: open -> cancelled",
        routes=(Route("POST", "/v1/checkouts/{id}/cancel", "cancelCheckout"),),
        env=("CHECKOUTS_TABLE", "EVENTS_TABLE", "NOTIFICATIONS_QUEUE_URL", *SETTING_ENV),
        table_actions={"checkouts": ("dynamodb:GetItem", "dynamodb:UpdateItem"), "events": _RECORD_EVENTS},
        sends_to=("notifications",),
    ),
    Function(
        name="create_refund",
        description="POST /v1/checkouts/{id}/refunds: reserves a refund with a conditional write and asks Halo",
        routes=(Route("POST", "/v1/checkouts/{id}/refunds", "createRefund"),),
        timeout_seconds=25,  # inside API Gateway's 29 s, with room for Halo's connect + read timeouts
        env=("CHECKOUTS_TABLE", "EVENTS_TABLE", "IDEMPOTENCY_TABLE", "NOTIFICATIONS_QUEUE_URL", *SETTING_ENV),
        table_actions={
            "checkouts": ("dynamodb:GetItem", "dynamodb:UpdateItem"),
            "events": _RECORD_EVENTS,
            "idempotency": _IDEMPOTENCY,
        },
        sends_to=("notifications",),
        reads_secrets=("merchants/*",),
    ),
    Function(
        name="new_attempt",
        description="POST /v1/checkouts/{id}/attempts and the page's POST /pay/{id}/attempts: a new Halo deep "
        "link for an open checkout whose current attempt failed",
        routes=(
            Route("POST", "/v1/checkouts/{id}/attempts", "createCheckoutAttempt"),
            # The shopper's "Try again": public like the page, the unguessable id in the path is the capability.
            Route("POST", "/pay/{id}/attempts", "retryCheckoutPage", authorized=False, internal=True),
        ),
        timeout_seconds=25,  # inside API Gateway's 29 s, with room for Halo's connect + read timeouts
        env=("CHECKOUTS_TABLE", "IDEMPOTENCY_TABLE", "PAY_BASE_URL", *SETTING_ENV),
        table_actions={"checkouts": ("dynamodb:GetItem", "dynamodb:UpdateItem"), "idempotency": _IDEMPOTENCY},
        reads_secrets=("merchants/*",),
        layers=("common", "page"),  # the shopper's route answers the page's status, in the page's language
    ),
    Function(
        name="halo_webhook",
        description="POST /v1/halo/webhooks/{token}: checks the token and shape, queues the raw event",
        routes=(
            Route("POST", "/v1/halo/webhooks/{token}", "receiveHaloWebhook", authorized=False, internal=True),
        ),
        timeout_seconds=5,
        env=("HALO_EVENTS_QUEUE_URL", "SECRETS_PREFIX"),
        sends_to=("halo-events",),
        reads_secrets=("halo-webhook",),
    ),
    Function(
        name="apply_halo_event",
        description="Consumes halo-events: finds the checkout and applies Halo's outcome",
        queue="halo-events",
        timeout_seconds=APPLY_TIMEOUT_SECONDS,
        # Each record is one GET to Halo's status endpoint, so this caps the GETs in flight at 20, whatever
        # the burst of webhooks; the rest wait in the queue, which is what it is for. 20 x ~3 records/s keeps
        # up with the API's 50 creates/s (docs/performance.md, "Bounded fan-out").
        max_concurrency=20,
        env=(
            "CHECKOUTS_TABLE",
            "EVENTS_TABLE",
            "HALO_EVENTS_QUEUE_URL",
            "NOTIFICATIONS_QUEUE_URL",
            *SETTING_ENV,
        ),
        table_actions={"checkouts": ("dynamodb:GetItem", "dynamodb:UpdateItem"), "events": _RECORD_EVENTS},
        index_query=("checkouts",),
        sends_to=("notifications",),
        reads_secrets=("merchants/*", "clients"),  # clients: a late approval's lateApprovals setting
    ),
    Function(
        name="reconcile",
        description="Every minute: asks Halo about due open checkouts, applies outcomes, expires the unpaid, "
        "retries pending refunds",
        schedule_minutes=RECONCILE_SCHEDULE_MINUTES,
        timeout_seconds=55,  # under the schedule's period, so runs never overlap for long
        # A run examines RECONCILE_WORKERS checkouts at once (halotap.domain.timing), up to 1,000 a run, and
        # reads up to 8,000 due entries when backlogged. Its threads share one interpreter, so CPU, not Halo,
        # can bind. Measured against moto (docs/performance.md), in CPU time of one full core: about 2 ms per
        # checkout rescheduled, 8 to 14 ms per checkout expired or settled (its event, message and writes),
        # 0.2 ms per due entry read. 512 MB is about 0.29 of a vCPU: 1,000 expirations would take 28 to 48 s
        # of a 55 s run in CPU alone. 1,024 MB (about 0.58) halves that; more would hardly help, since one
        # interpreter uses at most one core, which Lambda gives at 1,769 MB.
        memory_mb=1024,
        env=("CHECKOUTS_TABLE", "EVENTS_TABLE", "NOTIFICATIONS_QUEUE_URL", *SETTING_ENV),
        table_actions={
            "checkouts": ("dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"),
            "events": _RECORD_EVENTS,
        },
        index_query=("checkouts",),
        sends_to=("notifications",),
        reads_secrets=("merchants/*", "clients"),  # clients: a late approval's lateApprovals setting
    ),
    Function(
        name="deliver_notification",
        description="Consumes notifications: signs and POSTs each to the PSP, retrying on the published schedule",
        queue="notifications",
        timeout_seconds=DELIVER_TIMEOUT_SECONDS,  # one 15 s delivery per record, with room to record it
        batch_size=5,
        # Records in a batch are delivered one after another, so at most 10 POSTs are in flight to PSPs.
        max_concurrency=10,
        env=(
            "CHECKOUTS_TABLE",
            "EVENTS_TABLE",
            "INTEGRATIONS_TABLE",
            "SIGNING_KEY_ID",
            "NOTIFICATIONS_QUEUE_URL",
            "NOTIFICATIONS_DLQ_URL",
            *SETTING_ENV,
        ),
        table_actions={
            "checkouts": ("dynamodb:GetItem", "dynamodb:UpdateItem"),
            # The delivery log, and endpoint.disabled recorded in the feed (halotap/app/fanout.py).
            "events": tuple(sorted({*_RECORD_EVENTS, *_DELIVERY_LOG})),
            # Each endpoint's delivery state: failingSince, and disabling one (never its secrets).
            "integrations": ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"),
        },
        sends_to=("notifications",),  # an event for several endpoints is split into one copy each
        sends_to_dlq=("notifications",),
        reads_secrets=("clients",),
        key_actions={"signing": ("kms:Decrypt",)},
    ),
    Function(
        name="events",
        description="GET /v1/events (and /{id}, /{id}/deliveries), POST /v1/events/{id}/resend, "
        "POST /v1/webhook-endpoint/ping",
        routes=(
            Route("GET", "/v1/events", "listEvents"),
            Route("GET", "/v1/events/{id}", "getEvent"),
            Route("POST", "/v1/events/{id}/resend", "resendEvent"),
            Route("POST", "/v1/webhook-endpoint/ping", "pingWebhookEndpoint"),
            Route("GET", "/v1/events/{id}/deliveries", "listEventDeliveries"),
        ),
        timeout_seconds=25,  # a ping waits for one delivery (15 s at most)
        env=("EVENTS_TABLE", "NOTIFICATIONS_QUEUE_URL", *SETTING_ENV),
        table_actions={"events": ("dynamodb:GetItem", "dynamodb:Query")},
        sends_to=("notifications",),
        reads_secrets=("clients", "cursor-key"),
    ),
    Function(
        name="webhook_endpoints",
        description="/v1/webhook-endpoints: a PSP's own webhook endpoints (create, list, change, delete, "
        "rotate a secret, ping, recover)",
        routes=(
            Route("POST", "/v1/webhook-endpoints", "createWebhookEndpoint"),
            Route("GET", "/v1/webhook-endpoints", "listWebhookEndpoints"),
            Route("GET", "/v1/webhook-endpoints/{id}", "getWebhookEndpoint"),
            Route("PATCH", "/v1/webhook-endpoints/{id}", "updateWebhookEndpoint"),
            Route("DELETE", "/v1/webhook-endpoints/{id}", "deleteWebhookEndpoint"),
            Route("POST", "/v1/webhook-endpoints/{id}/rotate-secret", "rotateWebhookEndpointSecret"),
            Route("POST", "/v1/webhook-endpoints/{id}/ping", "pingWebhookEndpointById"),
            Route("POST", "/v1/webhook-endpoints/{id}/recover", "recoverWebhookEndpoint"),
        ),
        timeout_seconds=25,  # a ping waits for one delivery (15 s at most)
        env=(
            "INTEGRATIONS_TABLE",
            "SIGNING_KEY_ID",
            "EVENTS_TABLE",
            "CHECKOUTS_TABLE",
            "NOTIFICATIONS_QUEUE_URL",
            *SETTING_ENV,
        ),
        table_actions={
            "integrations": (
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:Query",
            ),
            "events": ("dynamodb:GetItem", "dynamodb:Query"),  # recover reads the feed and the delivery log
            "checkouts": ("dynamodb:GetItem",),  # recover skips events of a checkout with its own URL
        },
        sends_to=("notifications",),
        reads_secrets=("clients",),  # the default endpoint: the operator's notificationUrl and its secret
        key_actions={"signing": ("kms:Encrypt", "kms:Decrypt")},
    ),
    Function(
        name="checkout_page",
        description="GET /pay/{id} and /pay/{id}/status: the hosted checkout page for the shopper (public)",
        # Public: the unguessable checkout id in the path is the capability; the page shows no PSP data.
        routes=(
            Route("GET", "/pay/{id}", "getCheckoutPage", authorized=False, internal=True),
            Route("GET", "/pay/{id}/status", "getCheckoutPageStatus", authorized=False, internal=True),
        ),
        timeout_seconds=5,
        env=("CHECKOUTS_TABLE", *SETTING_ENV),
        table_actions={"checkouts": ("dynamodb:GetItem",)},
        layers=("common", "page"),  # babel, for the page's languages and amounts
    ),
    Function(
        name="ledger",
        description="Daily at 03:00 UTC queues yesterday's ledger of every merchant; each queued run proves "
        "one merchant-day against Halo's transaction history and writes its report",
        queue="ledger",
        daily_at_utc_hour=3,  # late outcomes of the day have settled by then (app/ledger.py, LATE_WINDOW)
        batch_size=1,  # one merchant-day per invocation: each has the whole timeout
        max_concurrency=5,  # Halo's history is paged by this many runs at once, at most
        timeout_seconds=LEDGER_TIMEOUT_SECONDS,
        # Classing a record costs CPU (JSON, Decimal, boto3's codec); about one vCPU keeps 100,000 in time.
        memory_mb=1769,
        env=(
            "CHECKOUTS_TABLE",
            "EVENTS_TABLE",
            "NOTIFICATIONS_QUEUE_URL",
            "LEDGER_QUEUE_URL",
            "LEDGER_BUCKET",
            *SETTING_ENV,
        ),
        table_actions={
            # BatchGetItem: the day's checkouts 100 at a time; UpdateItem: healing a status mismatch.
            "checkouts": ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:UpdateItem"),
            "events": _RECORD_EVENTS,
        },
        index_query=("checkouts",),
        sends_to=("notifications", "ledger"),
        reads_secrets=("merchants/*", "clients"),
        lists_merchants=True,
        # PutObject also covers the multipart upload of a large CSV; AbortMultipartUpload cleans one up.
        bucket_actions={"ledger": ("s3:PutObject", "s3:AbortMultipartUpload")},
    ),
    Function(
        name="ledger_report",
        description="GET /v1/merchants/{merchantId}/ledger/{date} and POST .../run: a merchant-day's ledger",
        routes=(
            Route("GET", "/v1/merchants/{merchantId}/ledger/{date}", "getLedger"),
            Route("POST", "/v1/merchants/{merchantId}/ledger/{date}/run", "runLedger"),
        ),
        env=("LEDGER_QUEUE_URL", "LEDGER_BUCKET", *SETTING_ENV),
        sends_to=("ledger",),
        reads_secrets=("merchants/*",),  # a run is only queued for a configured merchant
        bucket_actions={"ledger": ("s3:GetObject", "s3:PutObject")},  # PutObject: the "running" report
    ),
)


def bucket(key: str) -> Bucket:
    return next(spec for spec in BUCKETS if spec.key == key)


# Each function's reserved concurrency, from docs/performance.md's capacity model ("Reserved concurrency"):
# concurrency = requests/s x seconds each (Little's law), at the stage's 50 requests/s, with headroom for a
# slow dependency. The sum, 162, leaves an account at the default 1,000 its 100 unreserved and more; an
# account whose quota is still 10 deploys with -c reservedConcurrency=false.
RESERVED_CONCURRENCY = {
    # The authorizer's answers are cached 60 s per key; uncached, 50/s x ~50 ms (one GetItem) is 2.5.
    "authorizer": 5,
    # 50 creates/s x 0.33 s (Halo's POST) is 17; x2 for a slow Halo. Past it, creates are refused (5XX,
    # safe to retry with the Idempotency-Key) instead of taking the webhook intake's concurrency.
    "create_checkout": 35,
    "get_checkout": 10,  # 50/s x ~50 ms is 2.5; x4
    "cancel_checkout": 5,
    "create_refund": 10,  # refunds are a fraction of creates; each waits for Halo (0.3 s)
    # Halo's webhook intake: 50/s x ~50 ms (check the token, one SendMessage) is 2.5; x4, always there.
    "halo_webhook": 10,
    "apply_halo_event": 20,  # = its event source's MaximumConcurrency, so the mapping is never throttled
    "reconcile": 2,  # one run a minute, under 55 s: one, and one overlapping at most
    "deliver_notification": 10,  # = its MaximumConcurrency
    "events": 5,  # a ping waits for one delivery (15 s at most): 5 at once
    "checkout_page": 20,  # the page's own 200/s x ~50 ms is 10; x2
    "ledger": 6,  # its MaximumConcurrency 5, and the daily scheduled run that queues them
    "ledger_report": 2,
    "api_keys": 2,  # a PSP rotates keys rarely
    "webhook_endpoints": 5,  # rare changes, but a ping waits for one delivery (15 s at most)
    "new_attempt": 10,  # a fraction of creates, each waiting for Halo's POST (0.33 s)
}
FUNCTIONS = tuple(
    replace(spec, reserved_concurrency=RESERVED_CONCURRENCY.get(spec.name, spec.reserved_concurrency))
    for spec in FUNCTIONS
)


def function(name: str) -> Function:
    return next(spec for spec in FUNCTIONS if spec.name == name)


def table(key: str) -> Table:
    return next(spec for spec in TABLES if spec.key == key)


def queue(key: str) -> Queue:
    return next(spec for spec in QUEUES if spec.key == key)


@dataclass(frozen=True)
class GatewayResponse:
    """An API Gateway response that never reaches a Lambda, rendered as RFC 9457 problem+json."""

    kind: str  # API Gateway's ResponseType, e.g. UNAUTHORIZED
    status: int
    code: str
    title: str
    detail: str
    headers: tuple[tuple[str, str], ...] = ()  # besides Content-Type


GATEWAY_RESPONSES = (
    GatewayResponse(
        "UNAUTHORIZED",
        401,
        "unauthorized",
        "Missing or invalid credentials",
        "Send your halotap API key as 'Authorization: Bearer <key>'.",
        headers=(("WWW-Authenticate", 'Bearer realm="halotap"'),),  # RFC 9110: a 401 names its scheme
    ),
    GatewayResponse(
        "ACCESS_DENIED", 403, "forbidden", "Access denied", "This API key may not call this route."
    ),
    GatewayResponse(
        "MISSING_AUTHENTICATION_TOKEN",
        404,
        "route_not_found",
        "No such route",
        "No route matches this method and path; see the API reference in README.md.",
    ),
    # Over the client's usage plan (or the stage's, or a method's) throttle. API Gateway says nothing about
    # when to retry, so Retry-After is a fixed 1 s: a token comes back within 1/rate s at any rate >= 1/s.
    GatewayResponse(
        "THROTTLED",
        429,
        "rate_limited",
        "Too many requests",
        "Over this client's rate limit; retry after the Retry-After header's seconds.",
        headers=(("Retry-After", "1"),),
    ),
    GatewayResponse(
        "REQUEST_TOO_LARGE",
        413,
        "payload_too_large",
        "The request body is too large",
        "API Gateway accepts request bodies up to 10 MB; halotap's routes accept up to 64 KB.",
    ),
    GatewayResponse("DEFAULT_4XX", 400, "bad_request", "Bad request", "API Gateway rejected the request."),
    GatewayResponse(
        "DEFAULT_5XX",
        502,
        "gateway_error",
        "Gateway error",
        "API Gateway could not complete the request. It is safe to retry with the same Idempotency-Key.",
    ),
)


# A known path with a method it does not take. Not one of API Gateway's response types: on AWS each
# resource gets an ANY method answered by a mock integration (infra/api.py), in the devstack the emulator
# answers it (devstack/apigw.py). Both send `Allow` with the path's methods.
METHOD_NOT_ALLOWED = GatewayResponse(
    "METHOD_NOT_ALLOWED",
    405,
    "method_not_allowed",
    "Method not allowed",
    "This path does not take this method; the Allow header lists the methods it does.",
)


def methods_by_path() -> dict[str, tuple[str, ...]]:
    """Every routed path and the methods it takes, for the Allow header of a 405."""
    found: dict[str, set[str]] = {}
    for spec in FUNCTIONS:
        for route in spec.routes:
            found.setdefault(route.path, set()).add(route.method)
    return {path: tuple(sorted(methods)) for path, methods in found.items()}


def problem_body(response: GatewayResponse) -> dict[str, object]:
    return {
        "type": PROBLEM_TYPE_BASE + response.code,
        "title": response.title,
        "status": response.status,
        "detail": response.detail,
        "code": response.code,
    }
