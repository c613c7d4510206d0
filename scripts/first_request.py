"""`make bench`'s cold first requests (part `first`): each handler's import and first request, as Lambda
runs it, against its own floor, sampled alternately in the same run.

The subject: a fresh Python 3.13 interpreter with only the function's folder and the x86_64 layer on its
path (scripts/lambda_shaped.py, tests/lambda/invoke.py) imports the handler and answers its sample event
from events/ for real, against moto's server and the Halo simulator.

The floor: the same AWS and HTTP calls that this handler's first request made, made raw in a fresh 3.13
interpreter with only the layer on its path (scripts/raw_floor.py): boto3 clients and one httpx client,
no halotap code. One untimed walk notes every handler's calls (invoke.py's HALOTAP_INVOKE_RECORD) and
leaves the items, objects and Halo transactions those calls name; every timed round starts from moto
emptied and those restored, so the floor replays its calls against the state they were made in, and
each handler's subject walks a new checkout's life on the same tables.

Both sides are CPU seconds of the child, from the first import to the answer: a CPU figure barely moves
when other processes load the machine, where wall time does.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from scripts import lambda_shaped
from scripts.bench_figures import Figure, pair, progress
from scripts.lambda_shaped import REPO_ROOT, X86_LAYER, need_x86_build, python313
from scripts.local_stack import Stack

RAW_FLOOR = REPO_ROOT / "scripts" / "raw_floor.py"
FIRST_REQUEST_MEANING = "import + first request cost this many of its own calls made raw (its floor)"

Answer = Callable[[str, dict[str, Any]], lambda_shaped.Result]


def first_request_env(name: str, halo_url: str) -> dict[str, str]:
    """tests/lambda's environment for function `name`, plus one devstack setting: the PSP's endpoint is
    the local sink, plain http on loopback, which the deployed settings refuse. Without it
    deliver_notification's first request refuses the URL and hands its record back undelivered (which
    tests/lambda accepts, and a timing must not)."""
    return lambda_shaped.function_env(name, halo_url) | {"HALOTAP_ALLOW_LOOPBACK_WEBHOOKS": "true"}


def floor_seconds(calls: Path, env: Mapping[str, str], python: str) -> float:
    """CPU seconds a fresh interpreter with only the layer spends making `calls` raw (scripts/raw_floor.py)."""
    result = calls.with_suffix(".floor.json")
    done = subprocess.run(  # noqa: S603 - a 3.13 interpreter, our own script and our own files
        [python, "-I", "-S", str(RAW_FLOOR), str(X86_LAYER), str(calls), str(result)],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the floor for {calls.name} failed:\n{done.stderr.strip()}")
    return float(json.loads(result.read_text())["cpu_seconds"])


def first_request_figures(rounds: Sequence[Mapping[str, tuple[float, float]]]) -> list[Figure]:
    """One figure per handler, by name, from rounds of {handler: (subject, floor)} samples."""
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


@dataclass
class Kept:
    """What the recorded walk left in moto: every table's items and every bucket's objects."""

    items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    objects: dict[str, dict[str, bytes]] = field(default_factory=dict)

    @classmethod
    def taken(cls, stack: Stack) -> Kept:
        """Everything but what _forgettable() names."""
        dynamodb, s3 = stack.raw("dynamodb"), stack.raw("s3")
        kept = cls()
        for table in dynamodb.list_tables()["TableNames"]:
            pages = dynamodb.get_paginator("scan").paginate(TableName=table)
            kept.items[table] = [
                item for page in pages for item in page["Items"] if not _forgettable(table, item)
            ]
        for bucket in s3.list_buckets()["Buckets"]:
            listed = s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", [])
            kept.objects[bucket["Name"]] = {
                entry["Key"]: s3.get_object(Bucket=bucket["Name"], Key=entry["Key"])["Body"].read()
                for entry in listed
            }
        return kept

    def restore(self, stack: Stack) -> None:
        dynamodb, s3 = stack.raw("dynamodb"), stack.raw("s3")
        for table, items in self.items.items():
            for item in items:
                dynamodb.put_item(TableName=table, Item=item)
        for bucket, objects in self.objects.items():
            for key, content in objects.items():
                s3.put_object(Bucket=bucket, Key=key, Body=content)


# What a replayed call leaves that would change the subject's own first request: the idempotency records
# (the samples' create and refund carry an Idempotency-Key, so they would be answered as replays) and the
# (merchant, reference) guards (the create sample's reference would be taken). Neither is restored
# between rounds, and both are deleted after every floor, untimed.
GUARD_PREFIX = "ref#"


def _forgettable(table: str, item: Mapping[str, Any]) -> bool:
    if table == os.environ["IDEMPOTENCY_TABLE"]:  # local_stack exported both names
        return True
    return table == os.environ["CHECKOUTS_TABLE"] and item["pk"]["S"].startswith(GUARD_PREFIX)


def _forget(stack: Stack) -> None:
    dynamodb = stack.raw("dynamodb")
    for table in (os.environ["IDEMPOTENCY_TABLE"], os.environ["CHECKOUTS_TABLE"]):
        keys = dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]
        names = [key["AttributeName"] for key in keys]
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                if _forgettable(table, item):
                    dynamodb.delete_item(TableName=table, Key={name: item[name] for name in names})


def _floor_then_forget(stack: Stack, calls: Path, env: Mapping[str, str], python: str) -> float:
    seconds = floor_seconds(calls, env, python)
    _forget(stack)
    return seconds


def _sampled_walk(
    halo_url: str, round_: int, answer: Answer, floors: Mapping[str, Callable[[], float]]
) -> dict[str, tuple[float, float]]:
    """One walk of ORDER, each handler's first request paired with its floor (pair(): which side goes
    first alternates with the round)."""
    samples: dict[str, tuple[float, float]] = {}

    def sampled(name: str, event: dict[str, Any]) -> lambda_shaped.Result:
        result: lambda_shaped.Result = {}

        def subject() -> float:
            result.update(answer(name, event))
            return float(result["cpu_seconds"])

        samples[name] = pair(round_, subject, floors[name])
        return result

    lambda_shaped.walk(halo_url, sampled)
    return samples


def cold_first_request(stack: Stack, n: int, folder: Path) -> list[Figure]:
    """One untimed walk that notes each handler's calls (in `folder`), then n rounds; each empties moto,
    restores what the noted walk left, and walks a checkout's whole life (ORDER), one fresh 3.13
    interpreter per handler answering its sample event, each paired with one floor interpreter."""
    need_x86_build()
    python = python313()
    envs = {name: first_request_env(name, stack.halo_url) for name in lambda_shaped.ORDER}

    def answer(
        name: str, event: dict[str, Any], extra: Mapping[str, str] | None = None
    ) -> lambda_shaped.Result:
        result = lambda_shaped.invoke(name, event, {**envs[name], **(extra or {})}, folder, python)
        lambda_shaped.expect_success(name, result)  # a first request that failed fast is no figure
        return result

    def noted(name: str, event: dict[str, Any]) -> lambda_shaped.Result:
        return answer(name, event, {"HALOTAP_INVOKE_RECORD": str(folder / f"{name}.calls.json")})

    progress(f"cold first request: one untimed walk of {len(lambda_shaped.ORDER)} handlers, calls noted")
    stack.reprovision()
    lambda_shaped.walk(stack.halo_url, noted)
    kept = Kept.taken(stack)
    runtime = lambda_shaped.runtime_env()
    floors = {
        name: partial(_floor_then_forget, stack, folder / f"{name}.calls.json", runtime, python)
        for name in lambda_shaped.ORDER
    }
    for floor in floors.values():
        floor()  # untimed: warms the OS file cache
    rounds: list[dict[str, tuple[float, float]]] = []
    for round_ in range(n):
        progress(
            f"cold first request: round {round_ + 1} of {n} "
            f"({len(lambda_shaped.ORDER)} + {len(lambda_shaped.ORDER)} fresh interpreters)"
        )
        stack.reprovision()  # every round walks the same life from the same tables
        kept.restore(stack)
        rounds.append(_sampled_walk(stack.halo_url, round_, answer, floors))
    return first_request_figures(rounds)
