"""`make bench`: halotap's performance figures, each a ratio against a baseline measured in the same run.

The machine this runs on is small and noisy, so no figure is an absolute time on its own. Each one
pairs a subject (halotap doing something) with a baseline (the least any implementation would have
to do for the same thing), samples them alternately (baseline first on even rounds, subject first
on odd ones) and reports the ratio of their medians. Drift in the machine's speed during a run
moves both sides together and cancels out of the ratio.

Figures (docs/performance.md explains each, with one run's results):

- cold: importing each handler in a fresh interpreter, against `import boto3`.
- first: each handler's import and its first request (its sample event from events/, answered for real
  against the local stack) in a fresh interpreter, as Lambda runs it, against `import boto3`, a DynamoDB
  client and one `get_item` of an existing checkout: what a real cold start pays, lazy loads included.
- page: the hosted page's import and first render (English, and German from its catalog) in a fresh
  interpreter, against the same page just before issue 19 gave it languages (scripts/bench_page.py).
- get: a warm GET /v1/checkouts/{id}, against one raw `get_item` on the same item.
- create: a warm POST /v1/checkouts, against a raw two-put `transact_write_items`, one POST to the
  Halo simulator and the `update_item` that opens the checkout: the floor of the create's own design.
- intake: a warm Halo webhook, against one raw `send_message`.
- calls: the AWS calls each operation makes, counted exactly; any difference from the budget in
  DESIGN.md's "Performance budget" makes the run exit 1.
- ledger: the daily ledger over a merchant-day of 100,000 Halo records, against paging the same records raw
  with httpx, each in a fresh interpreter for its own peak memory (scripts/bench_ledger.py).
- lifecycle: every AWS call of one checkout's life (create, Halo webhook, confirm and apply, notify the
  PSP, one GET, one reconcile pass), the requests Halo and the PSP received, and the checkout item's size
  in bytes; docs/performance.md prices them.

The warm figures run the handlers in this process against moto's server and the Halo simulator,
both over HTTP on loopback, with the settings the devstack gives every function. The first-request
figures run each handler in a fresh Python 3.13 interpreter against the same two, as tests/lambda does
(scripts/lambda_shaped.py).

    .venv/bin/python scripts/bench.py [--quick] [--only cold|first|page|get|create|intake|calls|lifecycle|ledger ...]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))  # devstack, functions and tests are top-level packages here

from scripts import bench_ledger, lambda_shaped  # noqa: E402 - once REPO_ROOT is on sys.path
from scripts.lambda_shaped import X86_FUNCTIONS, X86_LAYER, python313  # noqa: E402

if TYPE_CHECKING:
    from devstack.config import DevConfig

PARTS = ("cold", "first", "page", "get", "create", "intake", "calls", "lifecycle", "ledger")
HANDLERS = tuple(sorted(path.parent.name for path in (REPO_ROOT / "functions").glob("*/handler.py")))
BASELINE_IMPORT = "boto3"  # the one import every Python Lambda that calls AWS pays anyway
DEFAULT_SECRETS_TTL = "120"

# The child measures only the import itself, not the interpreter's own start-up.
# argv: the modules (comma-separated, imported in that order), then the folders to put first on sys.path.
# CPU time, not wall time: an import is CPU work (reading cached bytecode and running module bodies), and
# the CPU time of one process barely moves when other processes load the machine, where wall time does.
_IMPORT_PROBE = (
    "import sys, time\nsys.path[:0] = sys.argv[2:]\nstart = time.process_time()\n"
    "for module in sys.argv[1].split(','):\n    __import__(module)\n"
    "print(time.process_time() - start)\n"
)
# Every handler calls AWS, and its first call imports boto3 (lazily: not at import). So the subject is the
# handler and then boto3, and 1.0x means that loading halotap itself costs nothing over the floor.
HANDLER_THEN_BOTO3 = f"handler,{BASELINE_IMPORT}"


@dataclass(frozen=True)
class Plan:
    """Sample counts for one run."""

    cold: int = 7
    first: int = 7  # rounds: each walks every handler once, a checkout's whole life
    get: int = 200
    create: int = 50
    intake: int = 200
    warmups: int = 5

    @classmethod
    def quick(cls) -> Plan:
        return cls(cold=3, first=2, get=30, create=10, intake=30, warmups=2)


# -- pure helpers ---------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("no samples")
    return float(statistics.median(values))


def ratio(subject: Sequence[float], baseline: Sequence[float]) -> float:
    """median(subject) / median(baseline): how many baselines the subject costs."""
    below = median(baseline)
    if below <= 0:
        raise ValueError("the baseline median must be positive")
    return median(subject) / below


def format_ms(seconds: float) -> str:
    ms = seconds * 1000
    if ms >= 100:
        return f"{ms:.0f} ms"
    if ms >= 10:
        return f"{ms:.1f} ms"
    return f"{ms:.2f} ms"


def format_ratio(value: float) -> str:
    return f"{value:.2f}x"


@dataclass(frozen=True)
class Figure:
    name: str
    subject: list[float]  # seconds
    baseline: list[float]  # seconds
    meaning: str

    @property
    def ratio(self) -> float:
        return ratio(self.subject, self.baseline)

    def row(self) -> list[str]:
        return [
            self.name,
            format_ms(median(self.subject)),
            format_ms(median(self.baseline)),
            format_ratio(self.ratio),
            f"n={len(self.subject)}",
            self.meaning,
        ]


@dataclass(frozen=True)
class CallCheck:
    """The AWS calls one operation made, against the budget."""

    name: str
    observed: list[str]  # "Service.Operation"
    expected: str
    ok: bool

    def row(self) -> list[str]:
        return [self.name, ", ".join(self.observed) or "(none)", self.expected, "ok" if self.ok else "BROKEN"]


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(header), line(["-" * width for width in widths]), *(line(row) for row in rows)])


def figures_table(figures: Sequence[Figure]) -> str:
    return format_table(
        ["figure", "subject", "baseline", "ratio", "samples", "meaning"], [f.row() for f in figures]
    )


def calls_table(checks: Sequence[CallCheck]) -> str:
    return format_table(["operation", "AWS calls observed", "budget", "verdict"], [c.row() for c in checks])


def clock(action: Callable[[], object]) -> float:
    """Seconds `action` took."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def pair(round_: int, subject: Callable[[], float], baseline: Callable[[], float]) -> tuple[float, float]:
    """One sample of each, as (subject, baseline): the baseline goes first on even rounds, the subject
    on odd ones."""
    if round_ % 2 == 0:
        below = baseline()
        return subject(), below
    above = subject()
    return above, baseline()


def interleave(
    subject: Callable[[], float], baseline: Callable[[], float], n: int
) -> tuple[list[float], list[float]]:
    """n samples of each, alternating; the side that goes first alternates too. Each callable
    returns its own sample in seconds (so set-up outside the measured part stays unmeasured)."""
    subjects: list[float] = []
    baselines: list[float] = []
    for round_ in range(n):
        above, below = pair(round_, subject, baseline)
        subjects.append(above)
        baselines.append(below)
    return subjects, baselines


def progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# -- settings -------------------------------------------------------------------------------------


def function_settings() -> dict[str, str]:
    """What the devstack gives every function, made quiet: no metrics, no tracing, error logs only."""
    from devstack.config import SECRETS_PREFIX, DevConfig, lambda_environment

    return {
        **lambda_environment(DevConfig(log_level="ERROR")),
        "SECRETS_PREFIX": SECRETS_PREFIX,
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "HALOTAP_SECRETS_TTL_SECONDS": os.environ.get("HALOTAP_SECRETS_TTL_SECONDS") or DEFAULT_SECRETS_TTL,
    }


def reset_halotap() -> None:
    """Forget every cached setting, client and wired service (after the environment changed)."""
    from halotap.adapters import aws, halo
    from halotap.settings import settings
    from halotap.wiring import default_services

    settings.cache_clear()
    aws.reset()
    default_services.cache_clear()
    if halo._shared_http is not None:
        halo._shared_http.close()
        halo._shared_http = None


# -- 1. cold start ---------------------------------------------------------------------------------

# `make bench` builds X86_LAYER and X86_FUNCTIONS (scripts/build-layer.sh x86_64 ...), and python313()
# finds the interpreter: both come from scripts/lambda_shaped.py, which tests/lambda shares.


def _need_x86_build() -> None:
    if not (X86_LAYER.is_dir() and X86_FUNCTIONS.is_dir()):
        raise RuntimeError(f"no x86_64 build in {X86_LAYER.parent.parent}: run `make bench`, which builds it")


def import_seconds(module: str, path: Sequence[Path], env: dict[str, str], python: str) -> float:
    """Seconds a fresh interpreter spends importing `module` with only `path` before the standard library.

    `-I -S`: no site-packages, no PYTHON* variables, no current directory; what Lambda's runtime offers
    a function beyond the standard library is its own folder and the layer. The interpreter's start-up
    is not counted.
    """
    done = subprocess.run(  # noqa: S603 - a 3.13 interpreter, a fixed probe and a module name we chose
        [python, "-I", "-S", "-c", _IMPORT_PROBE, module, *map(str, path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"importing {module} failed:\n{done.stderr.strip()}")
    return float(done.stdout.strip().splitlines()[-1])


def cold_start(n: int, handlers: Sequence[str] = HANDLERS) -> list[Figure]:
    _need_x86_build()
    python = python313()
    env = {**os.environ, **function_settings(), "AWS_DEFAULT_REGION": "us-east-1"}
    baseline = partial(import_seconds, BASELINE_IMPORT, [X86_LAYER], env, python)
    subjects = {
        name: partial(import_seconds, HANDLER_THEN_BOTO3, [X86_FUNCTIONS / name, X86_LAYER], env, python)
        for name in handlers
    }
    for sample in [baseline, *subjects.values()]:
        sample()  # untimed: warms the OS file cache
    figures = []
    for name, subject in subjects.items():
        progress(f"cold start: {name} ({n} + {n} fresh interpreters)")
        timed, floor = interleave(subject, baseline, n)
        figures.append(
            Figure(
                f"cold import {name}",
                timed,
                floor,
                f"the handler, then boto3, costs this many `import {BASELINE_IMPORT}`s",
            )
        )
    return figures


# -- 1b. cold first request --------------------------------------------------------------------------

# The baseline's child: boto3, a DynamoDB client and one GetItem of an existing checkout, the least a
# handler that reads a checkout must do on its first request. Timed as tests/lambda/invoke.py times a
# handler: the child's CPU seconds from just before the first import to just after the answer, with json,
# sys and time already loaded in both. argv: the layer folder, the table, the key (JSON).
_GET_ITEM_PROBE = (
    "import json, sys, time\nsys.path[:0] = sys.argv[1:2]\n"
    "table, key = sys.argv[2], json.loads(sys.argv[3])\nstart = time.process_time()\n"
    "import boto3\n"
    "found = boto3.client('dynamodb').get_item(TableName=table, Key=key, ConsistentRead=True)\n"
    "print(json.dumps({'cpu_seconds': time.process_time() - start, 'found': 'Item' in found}))\n"
)
FIRST_REQUEST_MEANING = "import + first request cost this many (import boto3 + client + GetItem)s"


def get_item_seconds(table: str, key: Mapping[str, Any], env: Mapping[str, str], python: str) -> float:
    """CPU seconds a fresh interpreter with only the layer spends on `import boto3`, a DynamoDB client and
    one consistent GetItem of `key`, which must find an item."""
    done = subprocess.run(  # noqa: S603 - a 3.13 interpreter, a fixed probe, our own table and key
        [python, "-I", "-S", "-c", _GET_ITEM_PROBE, str(X86_LAYER), table, json.dumps(key)],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the baseline's GetItem failed:\n{done.stderr.strip()}")
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    if not answer["found"]:
        raise RuntimeError(f"the baseline's GetItem found no item at {key} in {table}")
    return float(answer["cpu_seconds"])


def first_request_env(name: str, halo_url: str) -> dict[str, str]:
    """tests/lambda's environment for function `name`, plus one devstack setting: the PSP's endpoint is
    the local sink, plain http on loopback, which the deployed settings refuse. Without it
    deliver_notification's first request refuses the URL and hands its record back undelivered (which
    tests/lambda accepts, and a timing must not)."""
    return lambda_shaped.function_env(name, halo_url) | {"HALOTAP_ALLOW_LOOPBACK_WEBHOOKS": "true"}


def first_request_figures(rounds: Sequence[Mapping[str, tuple[float, float]]]) -> list[Figure]:
    """One figure per handler, by name, from rounds of {handler: (subject, baseline)} samples."""
    if not rounds:
        raise ValueError("no rounds")
    return [
        Figure(
            f"cold first request {name}",
            [samples[name][0] for samples in rounds],
            [samples[name][1] for samples in rounds],
            FIRST_REQUEST_MEANING,
        )
        for name in sorted(rounds[0])
    ]


Answer = Callable[[str, dict[str, Any]], lambda_shaped.Result]


def _sampled_walk(
    halo_url: str, round_: int, answer: Answer, baseline: Callable[[], float]
) -> dict[str, tuple[float, float]]:
    """One walk of ORDER, each handler's first request paired with a baseline run (pair(): which side
    goes first alternates with the round)."""
    samples: dict[str, tuple[float, float]] = {}

    def sampled(name: str, event: dict[str, Any]) -> lambda_shaped.Result:
        result: lambda_shaped.Result = {}

        def subject() -> float:
            result.update(answer(name, event))
            return float(result["cpu_seconds"])

        samples[name] = pair(round_, subject, baseline)
        return result

    lambda_shaped.walk(halo_url, sampled)
    return samples


def cold_first_request(stack: Stack, n: int) -> list[Figure]:
    """n rounds; each empties moto, then walks a checkout's whole life (ORDER), one fresh 3.13
    interpreter per handler answering its sample event, each paired with one baseline interpreter."""
    from halotap.adapters.dynamodb import checkout_key

    _need_x86_build()
    python = python313()
    table = os.environ["CHECKOUTS_TABLE"]  # local_stack exported it
    dynamodb = stack.raw("dynamodb")
    envs = {name: first_request_env(name, stack.halo_url) for name in lambda_shaped.ORDER}
    rounds: list[dict[str, tuple[float, float]]] = []
    with tempfile.TemporaryDirectory(prefix="halotap-bench-") as folder:

        def answer(name: str, event: dict[str, Any]) -> lambda_shaped.Result:
            result = lambda_shaped.invoke(name, event, envs[name], Path(folder), python)
            lambda_shaped.expect_success(name, result)  # a first request that failed fast is no figure
            return result

        # Untimed: one walk warms the OS file cache and leaves the checkout whose item the baseline reads.
        progress(f"cold first request: one untimed walk of {len(lambda_shaped.ORDER)} handlers")
        stack.reprovision()
        created = lambda_shaped.walk(stack.halo_url, answer)["create_checkout"]
        key = checkout_key(lambda_shaped.body(created["answer"])["id"])
        item = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
        baseline = partial(get_item_seconds, table, key, lambda_shaped.runtime_env(), python)
        baseline()
        for round_ in range(n):
            progress(
                f"cold first request: round {round_ + 1} of {n} "
                f"({len(lambda_shaped.ORDER)} + {len(lambda_shaped.ORDER)} fresh interpreters)"
            )
            stack.reprovision()  # every round walks the same life from empty tables...
            dynamodb.put_item(TableName=table, Item=item)  # ...but for the checkout the baseline reads
            rounds.append(_sampled_walk(stack.halo_url, round_, answer, baseline))
    return first_request_figures(rounds)


# -- the local stack for the warm figures -----------------------------------------------------------


@dataclass
class Stack:
    moto_url: str
    halo_url: str
    webhook_token: str
    merchant_id: str  # halotap's
    halo_merchant_id: str
    halo_api_key: str
    sink_url: str = ""
    clients: dict[str, Any] = field(default_factory=dict)  # raw boto3 clients for the baselines
    config: DevConfig | None = None  # what moto was provisioned from

    def reprovision(self) -> None:
        """Empty moto, then create the manifest's tables, queues and secrets again: the same names (so
        the environment this process exported still holds), no items, no messages."""
        if self.config is None:
            raise RuntimeError("this stack has no provisioning config")
        _provision_afresh(self.moto_url, self.config)

    def raw(self, service: str) -> Any:
        """A plain boto3 client of its own (not halotap's), for baselines."""
        if service not in self.clients:
            import boto3

            self.clients[service] = boto3.session.Session().client(service)  # type: ignore[call-overload]
        return self.clients[service]


def _provision_afresh(moto_url: str, config: DevConfig) -> None:
    """An empty moto, provisioned from the manifest; this process's environment names what it made."""
    import httpx

    from devstack.config import export
    from devstack.provision import provision

    httpx.post(f"{moto_url}/moto-api/reset", timeout=10).raise_for_status()
    environment, _secrets = provision(config)
    export(environment)


@contextlib.contextmanager
def local_stack() -> Iterator[Stack]:
    """moto's server and the Halo simulator on free loopback ports, provisioned from the manifest,
    with this process's environment pointing halotap at them; everything is undone on exit."""
    from dataclasses import replace

    from devstack.aws import MotoServer
    from devstack.config import DEMO_MERCHANT_ID, DEMO_MERCHANTS, DevConfig, export
    from devstack.halo_sim import HaloSimulator
    from devstack.sink import WebhookSink

    config = DevConfig(log_level="ERROR")
    sink = WebhookSink(port=0, secrets=[config.signing_secret])  # the PSP's endpoint for notifications
    sink.start()
    config = replace(config, sink_port=int(sink.url.rsplit(":", 1)[1]))
    saved = dict(os.environ)
    werkzeug = logging.getLogger("werkzeug")  # moto's server logs a line per AWS call otherwise
    werkzeug_level = werkzeug.level
    werkzeug.setLevel(logging.WARNING)
    moto = MotoServer(port=0)
    simulator = HaloSimulator(port=0, merchants=config.sim_merchants)
    try:
        moto.start()  # exports AWS_ENDPOINT_URL and fake credentials
        export(function_settings())
        _provision_afresh(moto.url, config)
        simulator.start()
        # The intake figure empties its queue before every sample; moto allows that only when asked.
        export({"HALO_BASE_URL": simulator.url, "MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR": "false"})
        reset_halotap()
        halo_merchant_id, halo_api_key = DEMO_MERCHANTS[DEMO_MERCHANT_ID]
        stack = Stack(
            moto.url,
            simulator.url,
            config.webhook_token,
            DEMO_MERCHANT_ID,
            halo_merchant_id,
            halo_api_key,
            sink_url=sink.url,
            config=config,
        )
        try:
            yield stack
        finally:
            for client in stack.clients.values():
                client.close()
    finally:
        try:
            reset_halotap()
        finally:
            simulator.stop()
            moto.stop()
            sink.stop()
            os.environ.clear()
            os.environ.update(saved)
            werkzeug.setLevel(werkzeug_level)


def _expect(answer: dict[str, Any], status: int, what: str) -> dict[str, Any]:
    if answer.get("statusCode") != status:
        raise RuntimeError(f"{what} answered {answer.get('statusCode')}, not {status}: {answer.get('body')}")
    return answer


class Operations:
    """The three API operations, as API Gateway would invoke their handlers."""

    def __init__(self, stack: Stack) -> None:
        from functions.create_checkout import handler as create_handler
        from functions.get_checkout import handler as get_handler
        from functions.halo_webhook import handler as webhook_handler
        from tests.fakes import FakeLambdaContext

        self.stack = stack
        self._create, self._get, self._webhook = (
            create_handler.handler,
            get_handler.handler,
            webhook_handler.handler,
        )
        self.context = FakeLambdaContext()

    def create_event(self) -> dict[str, Any]:
        from tests.fakes import api_event

        body = {
            "merchantId": self.stack.merchant_id,
            "reference": f"bench-{uuid.uuid4().hex[:16]}",
            "amount": "12.50",
            "currency": "ZAR",
        }
        return api_event("POST", "/v1/checkouts", body=body)

    def create(self, event: dict[str, Any] | None = None) -> str:
        answer = _expect(self._create(event or self.create_event(), self.context), 201, "create")
        return str(json.loads(answer["body"])["id"])

    def get_event(self, checkout_id: str) -> dict[str, Any]:
        from tests.fakes import api_event

        return api_event(
            "GET",
            f"/v1/checkouts/{checkout_id}",
            resource="/v1/checkouts/{id}",
            path_params={"id": checkout_id},
        )

    def get(self, event: dict[str, Any]) -> None:
        _expect(self._get(event, self.context), 200, "get")

    def webhook_event(self, checkout_id: str) -> dict[str, Any]:
        from tests.fakes import api_event

        token = self.stack.webhook_token
        body = {"merchantReference": checkout_id, "disposition": "Approved", "amount": "12.50"}
        return api_event(
            "POST",
            f"/v1/halo/webhooks/{token}",
            resource="/v1/halo/webhooks/{token}",
            path_params={"token": token},
            body=body,
        )

    def webhook(self, event: dict[str, Any]) -> None:
        _expect(self._webhook(event, self.context), 200, "webhook")


def _warm(actions: Sequence[Callable[[], object]], times: int) -> None:
    for _ in range(times):
        for action in actions:
            action()


# -- 2. warm GET ------------------------------------------------------------------------------------


def warm_get(stack: Stack, ops: Operations, plan: Plan) -> Figure:
    from halotap.adapters.dynamodb import checkout_key
    from halotap.settings import settings

    checkout_id = ops.create()
    event = ops.get_event(checkout_id)
    dynamodb = stack.raw("dynamodb")
    table = settings().checkouts_table

    def raw_get() -> None:
        if "Item" not in dynamodb.get_item(
            TableName=table, Key=checkout_key(checkout_id), ConsistentRead=True
        ):
            raise RuntimeError("the baseline read found no item")

    _warm([lambda: ops.get(event), raw_get], plan.warmups)
    progress(f"warm GET ({plan.get} + {plan.get} calls)")
    subject, baseline = interleave(lambda: clock(lambda: ops.get(event)), lambda: clock(raw_get), plan.get)
    return Figure(
        "warm GET /v1/checkouts/{id}",
        subject,
        baseline,
        "a read through halotap costs this many raw GetItems",
    )


# -- 3. warm create ---------------------------------------------------------------------------------


def warm_create(stack: Stack, ops: Operations, plan: Plan) -> Figure:
    import httpx

    from halotap.settings import settings

    dynamodb = stack.raw("dynamodb")
    table = settings().checkouts_table
    # A stored checkout as the template for the baseline's put, so both write items of the same size.
    template = dynamodb.get_item(TableName=table, Key={"pk": {"S": f"checkout#{ops.create()}"}})["Item"]
    halo = httpx.Client()  # one keep-alive pool, as the handler's container has
    halo_url = f"{stack.halo_url}/consumer/applink"  # the devstack's default endpoint
    headers = {"x-api-key": stack.halo_api_key, "accept": "application/json"}

    def raw_create() -> None:
        new_id = f"chk_{uuid.uuid4().hex}"
        reference = f"bench-{uuid.uuid4().hex[:16]}"
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": {**template, "pk": {"S": f"checkout#{new_id}"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": table,
                        "Item": {
                            "pk": {"S": f"ref#{stack.merchant_id}#{reference}"},
                            "checkoutId": {"S": new_id},
                            "createdAt": template["createdAt"],
                            "ttl": template["ttl"],
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
        body = {
            "merchantId": stack.halo_merchant_id,
            "paymentReference": new_id,
            "amount": "12.50",
            "timestamp": "2026-01-01T00:00:00.000Z",
            "currencyCode": "ZAR",
            "isConsumerApp": False,
            "image": {"required": False},
        }
        link = halo.post(halo_url, json=body, headers=headers)
        link.raise_for_status()
        # ...and the conditional UpdateItem that opens it with Halo's answer (stored first, by design).
        dynamodb.update_item(
            TableName=table,
            Key={"pk": {"S": f"checkout#{new_id}"}},
            UpdateExpression="SET haloReference = :ref, deepLink = :url, version = :next",
            ConditionExpression="version = :current",
            ExpressionAttributeValues={
                ":ref": {"S": link.json()["reference"]},
                ":url": {"S": link.json()["url"]},
                ":current": template["version"],
                ":next": {"N": str(int(template["version"]["N"]) + 1)},
            },
        )

    def subject() -> float:
        event = ops.create_event()  # a new reference each time; building it is not timed
        return clock(lambda: ops.create(event))

    try:
        _warm([ops.create, raw_create], plan.warmups)
        progress(f"warm create ({plan.create} + {plan.create} calls)")
        subjects, baselines = interleave(subject, lambda: clock(raw_create), plan.create)
    finally:
        halo.close()
    return Figure(
        "warm POST /v1/checkouts",
        subjects,
        baselines,
        "a create costs this many (2-put transaction + Halo POST + UpdateItem)s",
    )


# -- 4. webhook intake ------------------------------------------------------------------------------


def webhook_intake(stack: Stack, ops: Operations, plan: Plan) -> Figure:
    from halotap.settings import settings

    event = ops.webhook_event("chk_bench")
    sqs = stack.raw("sqs")
    queue_url = settings().halo_events_queue_url
    message = json.dumps(
        {"receivedAt": "2026-01-01T00:00:00.000000Z", "requestId": "bench", "payload": event["body"]}
    )

    def raw_send() -> None:
        sqs.send_message(QueueUrl=queue_url, MessageBody=message)

    def on_empty_queue(action: Callable[[], object]) -> Callable[[], float]:
        # moto's SendMessage slows as its queue grows, so every sample starts from an empty one.
        def sample() -> float:
            sqs.purge_queue(QueueUrl=queue_url)  # untimed
            return clock(action)

        return sample

    _warm([lambda: ops.webhook(event), raw_send], plan.warmups)
    progress(f"webhook intake ({plan.intake} + {plan.intake} calls)")
    subject, baseline = interleave(
        on_empty_queue(lambda: ops.webhook(event)), on_empty_queue(raw_send), plan.intake
    )
    return Figure(
        "webhook intake",
        subject,
        baseline,
        "taking a Halo webhook costs this many raw SendMessages",
    )


# -- 5. AWS calls per operation ---------------------------------------------------------------------


class AwsCalls:
    """Counts every call halotap's own DynamoDB, SQS and Secrets Manager clients make."""

    SERVICES = {"dynamodb": "DynamoDB", "sqs": "SQS", "secretsmanager": "SecretsManager"}

    def __init__(self) -> None:
        from halotap.adapters import aws
        from tests.fakes import CallCounter

        self._clients = {label: getattr(aws, name)() for name, label in self.SERVICES.items()}
        self._counters = {label: CallCounter(client) for label, client in self._clients.items()}

    def during(self, action: Callable[[], object]) -> list[str]:
        for counter in self._counters.values():
            counter.reset()
        action()
        return [f"{label}.{call}" for label, counter in self._counters.items() for call in counter.calls]

    def close(self) -> None:
        for label, counter in self._counters.items():
            self._clients[label].meta.events.unregister("before-call.*.*", counter._record)


def aws_calls(ops: Operations) -> list[CallCheck]:
    checkout_id = ops.create()  # also fills the secrets cache: the next create is a warm one
    get_event, webhook_event = ops.get_event(checkout_id), ops.webhook_event(checkout_id)
    ops.get(get_event)
    ops.webhook(webhook_event)
    progress("AWS calls per operation")
    counter = AwsCalls()
    try:
        read = counter.during(lambda: ops.get(get_event))
        intake = counter.during(lambda: ops.webhook(webhook_event))
        create = counter.during(ops.create)
    finally:
        counter.close()
    secrets_reads = [call for call in create if call.startswith("SecretsManager.")]
    return [
        CallCheck("GET /v1/checkouts/{id}", read, "exactly DynamoDB.GetItem", read == ["DynamoDB.GetItem"]),
        CallCheck("webhook intake", intake, "exactly SQS.SendMessage", intake == ["SQS.SendMessage"]),
        CallCheck("warm POST /v1/checkouts", create, "no SecretsManager call", not secrets_reads),
    ]


# -- 6. one checkout's whole life, counted --------------------------------------------------------------


@dataclass(frozen=True)
class Lifecycle:
    """The AWS and HTTP calls of each step of one checkout's life, and what the item weighs at the end."""

    steps: list[tuple[str, list[str]]]  # step -> "Service.Operation" calls, halotap's own clients
    after: list[str]  # per step: the checkout item's size, status and index keys afterwards
    log_bytes: list[int]  # per step: bytes the handlers logged at INFO (the deployed level)
    halo_requests: int  # requests the Halo simulator received
    psp_posts: int  # notifications the PSP's endpoint received
    item_bytes: int  # the checkout item after the lifecycle, by DynamoDB's sizing rules
    guard_bytes: int  # the (merchantId, reference) guard item
    event_bytes: list[int] = field(default_factory=list)  # the events table's items after it, largest first

    def rows(self) -> list[list[str]]:
        rows = [
            [step, str(len(calls)), _calls(calls), after, str(logged)]
            for (step, calls), after, logged in zip(self.steps, self.after, self.log_bytes, strict=True)
        ]
        total = [call for _, calls in self.steps for call in calls]
        rows.append(["total", str(len(total)), _calls(total), "", str(sum(self.log_bytes))])
        return rows

    def table(self) -> str:
        header = ["lifecycle step", "AWS calls", "which", "checkout item after", "log bytes"]
        return (
            f"{format_table(header, self.rows())}\nHalo requests: {self.halo_requests}; PSP notifications "
            f"received: {self.psp_posts}; checkout item {self.item_bytes} bytes, reference guard "
            f"{self.guard_bytes} bytes; events table {len(self.event_bytes)} items of "
            f"{', '.join(map(str, self.event_bytes)) or '-'} bytes (DynamoDB sizing)"
        )


def _calls(calls: Sequence[str]) -> str:
    return ", ".join(f"{n}x {call}" for call, n in _tally(calls)) or "(none)"


def _tally(calls: Sequence[str]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for call in calls:
        counts[call] = counts.get(call, 0) + 1
    return sorted(counts.items())


def attribute_bytes(value: dict[str, Any]) -> int:  # noqa: PLR0911 - one return per DynamoDB type
    """An attribute value's size as DynamoDB bills it (Developer Guide, "Item sizes and formats")."""
    (kind, inner), *_ = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        digits = inner.lstrip("-").replace(".", "").strip("0") or "0"
        return (len(digits) + 1) // 2 + 1 + (1 if inner.startswith("-") else 0)
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + attribute_bytes(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(attribute_bytes(v) + 1 for v in inner)
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_bytes({kind[0]: member}) for member in inner)
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_bytes(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_bytes(value) for name, value in item.items())


def _queued_event(stack: Stack, queue_url: str) -> dict[str, Any]:
    """What Lambda's event source mapping would hand the consumer: the messages on the queue, as one batch.
    The mapping's own ReceiveMessage and DeleteMessage are made here with the bench's client, so they are
    not counted as halotap's (docs/performance.md adds them to the cost)."""
    from devstack.lambda_events import sqs_event

    sqs = stack.raw("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    messages = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=1
    ).get("Messages", [])
    if not messages:
        raise RuntimeError(f"nothing queued on {queue_url}")
    for message in messages:
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return sqs_event(messages, arn)


class LogBytes(logging.Handler):
    """Counts the bytes the handlers' Powertools loggers would write to CloudWatch Logs, a line each."""

    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(formatter)
        self.total = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.total += len(self.format(record).encode()) + 1


@contextlib.contextmanager
def counting_logs(modules: Sequence[Any]) -> Iterator[LogBytes]:
    loggers = [module.logger for module in modules]
    counter = LogBytes(loggers[0].registered_formatter)
    levels = [logger.log_level for logger in loggers]
    for logger in loggers:
        logger.setLevel("INFO")  # what the stack deploys (POWERTOOLS_LOG_LEVEL=INFO)
        logger._logger.addHandler(counter)
    try:
        yield counter
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger._logger.removeHandler(counter)
            logger.setLevel(level)


def lifecycle(stack: Stack, ops: Operations) -> Lifecycle:  # noqa: PLR0915 - one life, top to bottom
    """create -> Halo webhook -> confirm and apply -> notify -> one GET, then one reconcile pass."""
    import httpx

    from functions.apply_halo_event import handler as apply_handler
    from functions.create_checkout import handler as create_handler
    from functions.deliver_notification import handler as deliver_handler
    from functions.get_checkout import handler as get_handler
    from functions.halo_webhook import handler as webhook_handler
    from functions.reconcile import handler as reconcile_handler
    from halotap.adapters.dynamodb import checkout_key
    from halotap.settings import settings
    from halotap.wiring import default_services

    config = settings()
    # Warm, as a container that has served before: every secret the steps read is in the TTL cache. (The
    # lifecycle runs first on an empty table, so its reconcile pass sees no other checkout.)
    secrets = default_services().secrets
    secrets.merchant(stack.merchant_id), secrets.clients(), secrets.webhook_tokens()
    progress("one checkout's lifecycle, counted")
    httpx.delete(f"{stack.halo_url}/_sim/requests", timeout=10).raise_for_status()
    psp_before = len(httpx.get(f"{stack.sink_url}/_sink/received", timeout=10).json())
    dynamodb = stack.raw("dynamodb")
    modules = [
        create_handler,
        webhook_handler,
        apply_handler,
        deliver_handler,
        get_handler,
        reconcile_handler,
    ]
    counter = AwsCalls()
    steps: list[tuple[str, list[str]]] = []
    after: list[str] = []
    log_bytes: list[int] = []
    created: dict[str, str] = {}

    def step(name: str, action: Callable[[], object]) -> None:
        with counting_logs(modules) as logged:
            steps.append((name, counter.during(action)))
        log_bytes.append(logged.total)
        item = dynamodb.get_item(TableName=config.checkouts_table, Key=checkout_key(created["id"]))["Item"]
        keys = [name for name in ("haloReference", "dueShard") if name in item]
        after.append(f"{item_bytes(item)} B, {item['status']['S']}, index keys: {', '.join(keys) or 'none'}")

    try:
        create_event = ops.create_event()
        step("create (POST /v1/checkouts)", lambda: created.update(id=ops.create(create_event)))
        checkout_id = created["id"]
        answer = ops._get(ops.get_event(checkout_id), ops.context)
        halo_reference = json.loads(answer["body"])["haloReference"]
        httpx.post(
            f"{stack.halo_url}/_sim/transactions/{halo_reference}/tap",
            json={"disposition": "Approved", "webhook": False},
            timeout=10,
        ).raise_for_status()
        step("Halo webhook intake", lambda: ops.webhook(ops.webhook_event(checkout_id)))
        applied = _queued_event(stack, config.halo_events_queue_url)
        step("confirm with Halo and apply", lambda: apply_handler.handler(applied, ops.context))
        notified = _queued_event(stack, config.notifications_queue_url)
        step("notify the PSP", lambda: deliver_handler.handler(notified, ops.context))
        get_event = ops.get_event(checkout_id)
        step("GET /v1/checkouts/{id}", lambda: ops.get(get_event))
        step("one reconcile pass", lambda: reconcile_handler.handler({}, ops.context))
    finally:
        counter.close()
    halo_requests = httpx.get(f"{stack.halo_url}/_sim/requests", timeout=10).json()  # Halo's own routes only
    psp_after = len(httpx.get(f"{stack.sink_url}/_sink/received", timeout=10).json())
    item = dynamodb.get_item(TableName=config.checkouts_table, Key=checkout_key(checkout_id))["Item"]
    reference = json.loads(create_event["body"])["reference"]
    guard = dynamodb.get_item(
        TableName=config.checkouts_table, Key={"pk": {"S": f"ref#{stack.merchant_id}#{reference}"}}
    )["Item"]
    # The events feed (GET /v1/events): the counter, the event in the feed and the event by its id. The
    # table holds this lifecycle's items only (the bench provisions it empty), so a scan reads just those.
    events = dynamodb.scan(TableName=config.events_table)["Items"]
    return Lifecycle(
        steps,
        after,
        log_bytes,
        len(halo_requests),
        psp_after - psp_before,
        item_bytes(item),
        item_bytes(guard),
        sorted((item_bytes(event) for event in events), reverse=True),
    )


# -- the run ----------------------------------------------------------------------------------------


def ledger_figure(stack: Stack, *, quick: bool) -> Figure:
    """One merchant-day (a tenth of it with --quick), run once: the figure's table is printed too."""
    figures = bench_ledger.ledger_day(
        stack.halo_url, bench_ledger.SMALL_RECORDS if quick else bench_ledger.RECORDS
    )
    sys.stderr.write(figures.table() + "\n")
    return Figure(
        f"ledger day, {figures.records:,} records",
        [figures.subject.seconds],
        [figures.baseline.seconds],
        f"peak RSS {figures.subject.peak_mb:.0f} MB (raw paging {figures.baseline.peak_mb:.0f} MB; "
        f"{figures.small.peak_mb:.0f} MB at {bench_ledger.SMALL_RECORDS:,} records)",
    )


def run(parts: Sequence[str], plan: Plan) -> tuple[list[Figure], list[CallCheck], Lifecycle | None]:
    cold: list[Figure] = []
    first: list[Figure] = []  # printed right after the cold imports they extend
    figures: list[Figure] = []
    checks: list[CallCheck] = []
    life: Lifecycle | None = None
    if "cold" in parts:
        cold = cold_start(plan.cold)
    if "page" in parts:
        from scripts.bench_page import page_render  # it imports this module

        cold += page_render(plan.cold)
    warm = [part for part in parts if part not in ("cold", "page")]
    if warm:
        progress("starting moto and the Halo simulator")
        with (
            local_stack() as stack,
            open(os.devnull, "w") as devnull,
            contextlib.redirect_stdout(devnull),  # Powertools prints metrics even when disabled
            warnings.catch_warnings(),
        ):
            warnings.filterwarnings("ignore", message="No application metrics to publish")
            ops = Operations(stack)
            if "lifecycle" in warm:
                life = lifecycle(stack, ops)
            if "get" in warm:
                figures.append(warm_get(stack, ops, plan))
            if "create" in warm:
                figures.append(warm_create(stack, ops, plan))
            if "intake" in warm:
                figures.append(webhook_intake(stack, ops, plan))
            if "calls" in warm:
                checks = aws_calls(ops)
            if "ledger" in warm:
                figures.append(ledger_figure(stack, quick=plan == Plan.quick()))
            if "first" in warm:  # last: it empties moto before each of its rounds
                first = cold_first_request(stack, plan.first)
    return [*cold, *first, *figures], checks, life


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer samples (for tests and a quick look)")
    parser.add_argument(
        "--only", action="append", choices=PARTS, help="run only this part (repeat for several)"
    )
    args = parser.parse_args(argv)
    plan = Plan.quick() if args.quick else Plan()
    parts = [part for part in PARTS if part in (args.only or PARTS)]
    started = time.perf_counter()
    figures, checks, life = run(parts, plan)
    elapsed = time.perf_counter() - started
    print(
        f"halotap bench: Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"{'quick' if args.quick else 'full'} run in {elapsed:.0f} s. "
        "Each ratio is median(subject) / median(baseline), sampled alternately in this run."
    )
    if figures:
        print()
        print(figures_table(figures))
    if life is not None:
        print()
        print(life.table())
    if checks:
        print()
        print(calls_table(checks))
        broken = [check.name for check in checks if not check.ok]
        if broken:
            print(f"\nAWS call budget broken for: {', '.join(broken)} (see DESIGN.md, Performance budget)")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
