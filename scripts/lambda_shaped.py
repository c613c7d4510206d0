"""Handlers run the way Lambda runs them, for tests/lambda and `make bench`'s first-request figures.

Each handler runs in a fresh Python 3.13 interpreter (`-I -S`) with only its folder and the x86_64 build
of the layer on the path and only the environment the manifest gives it, and answers one event
(tests/lambda/invoke.py is the child). A checkout's life is walked in ORDER, with the sample events from
events/ pointed at the checkout the walk created. Both tests/lambda/test_handlers_as_lambda.py and
scripts/bench.py use this module; the moto server and Halo simulator they run against come from
scripts/local_stack.py.

Only the standard library is imported at module level; the devstack, the manifest and httpx are imported
where they are used.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
# scripts/build-layer.sh x86_64 builds these (`make bench` and `make test` do): the deployed layer's
# requirements and bytecode step, for this machine's architecture.
X86_LAYER = REPO_ROOT / "build" / "x86_64" / "layer" / "python"
X86_FUNCTIONS = REPO_ROOT / "build" / "x86_64" / "functions"
X86_LAYERS = {  # infra/manifest.py's LAYERS, built for this machine
    "common": X86_LAYER,
    "page": REPO_ROOT / "build" / "x86_64" / "page-layer" / "python",
}
INVOKE = REPO_ROOT / "tests" / "lambda" / "invoke.py"  # the child: stdlib only, it runs under 3.13

# What Lambda's runtime gives every function besides the manifest's settings (fake credentials for moto).
RUNTIME_ENV = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
# The order of a checkout's life; cancel comes last, after the approval, so it is refused.
ORDER = (
    "authorizer",
    "create_checkout",
    "get_checkout",
    "checkout_page",
    "halo_webhook",
    "apply_halo_event",
    "deliver_notification",
    "reconcile",
    "create_refund",
    "events",
    "ledger",  # the day before the samples' "now": Halo's history for it is empty, so is the report
    "ledger_report",  # reads the report the ledger just wrote
    "api_keys",  # lists the demo client's keys: the one the operator configured
    "webhook_endpoints",  # lists the demo client's endpoints: its notificationUrl as we_default
    "cancel_checkout",
    "new_attempt",  # on the approved checkout of one attempt: attempts_exhausted
)

Result = dict[str, Any]  # what invoke.py writes: "answer" or "raised", "cpu_seconds", "loaded_from"


def layer_paths(name: str) -> list[Path]:
    """The layers function `name` gets (its manifest row), in path order, as built for this machine. On
    Lambda they are merged into /opt/python; on a path, one folder after another is the same lookup."""
    from infra import manifest

    return [X86_LAYERS[key] for key in manifest.function(name).layers]


def need_x86_build() -> None:
    if not (X86_LAYER.is_dir() and X86_FUNCTIONS.is_dir()):
        raise RuntimeError(f"no x86_64 build in {X86_LAYER.parent.parent}: run `make bench`, which builds it")


@functools.cache
def python313() -> str:
    """The interpreter Lambda runs halotap on (scripts/python313 finds it)."""
    found = subprocess.run(  # noqa: S603 - our own script
        [str(REPO_ROOT / "scripts" / "python313")], capture_output=True, text=True, check=False
    )
    if found.returncode != 0:
        raise RuntimeError(found.stderr.strip())
    return found.stdout.strip()


def function_env(name: str, halo_url: str) -> dict[str, str]:
    """The environment the manifest gives function `name`, pointed at the local stack, which must be
    running in this process (scripts/local_stack.py exports the provisioned names and moto's endpoint)."""
    from devstack.config import DevConfig, lambda_environment
    from infra import manifest

    spec = manifest.function(name)
    values = {**lambda_environment(DevConfig()), **os.environ}  # the provisioned names, from local_stack
    # A required setting missing here is a KeyError: only the manifest's optional ones may be absent.
    env = {key: values[key] for key in spec.env if key in values or key not in manifest.OPTIONAL_ENV}
    env |= runtime_env()
    env |= {
        "POWERTOOLS_SERVICE_NAME": manifest.SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": manifest.METRICS_NAMESPACE,
        "HALO_BASE_URL": halo_url,  # the simulator stands in for Halo's host
    }
    return env


def runtime_env() -> dict[str, str]:
    """RUNTIME_ENV from this process's environment: moto's endpoint, its fake credentials, the region."""
    return {key: os.environ[key] for key in RUNTIME_ENV}


def invoke(
    name: str, event: Mapping[str, Any], env: Mapping[str, str], workdir: Path, python: str | None = None
) -> Result:
    """Function `name` answers `event` in a fresh 3.13 interpreter: invoke.py's result (the answer or the
    exception raised, the child's CPU seconds from `import handler` to the answer, where each top-level
    package was loaded from). An interpreter that exits with an error is a RuntimeError."""
    event_file, result_file = workdir / f"{name}-event.json", workdir / f"{name}-result.json"
    event_file.write_text(json.dumps(event))
    result_file.unlink(missing_ok=True)
    done = subprocess.run(  # noqa: S603 - a 3.13 interpreter, our own child script and our own paths
        [
            python or python313(),
            "-I",
            "-S",
            str(INVOKE),
            str(X86_FUNCTIONS / name),
            os.pathsep.join(map(str, layer_paths(name))),
            str(event_file),
            str(result_file),
        ],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{name}'s interpreter exited with status {done.returncode}:\n{done.stderr}")
    result: Result = json.loads(result_file.read_text())
    return result


def sample(name: str, checkout_id: str, halo_reference: str) -> dict[str, Any]:
    """The committed sample, pointed at the checkout this run created."""
    from devstack.events import CHECKOUT_ID, EVENTS_DIR, HALO_REFERENCE

    text = (EVENTS_DIR / f"{name}.json").read_text()
    event: dict[str, Any] = json.loads(
        text.replace(CHECKOUT_ID, checkout_id).replace(HALO_REFERENCE, halo_reference)
    )
    return event


def body(answer: Mapping[str, Any]) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(answer["body"])
    return parsed


def tap_approved(halo_url: str, halo_reference: str) -> None:
    """The shopper taps: the simulator's status endpoint says Approved from now on (no webhook is sent)."""
    import httpx

    httpx.post(
        f"{halo_url}/_sim/transactions/{halo_reference}/tap",
        json={"disposition": "Approved", "webhook": False},
        timeout=10,
    ).raise_for_status()


def walk(halo_url: str, run: Callable[[str, dict[str, Any]], Result]) -> dict[str, Result]:
    """One checkout's life: `run(name, event)` runs each handler in ORDER on its sample, pointed at the
    checkout this walk's create_checkout made, and returns invoke()'s result. Right after the create the
    shopper taps Approved in the simulator; the webhook itself comes from halo_webhook's sample.
    Returns each handler's result."""
    from devstack.events import CHECKOUT_ID, HALO_REFERENCE

    results: dict[str, Result] = {}
    checkout_id, halo_reference = CHECKOUT_ID, HALO_REFERENCE
    for name in ORDER:
        result = results[name] = run(name, sample(name, checkout_id, halo_reference))
        if name == "create_checkout":
            created = body(result["answer"]) if "answer" in result else {}
            if not {"id", "haloReference"} <= created.keys():
                raise RuntimeError(f"create_checkout made no checkout, so the walk cannot go on: {result}")
            checkout_id, halo_reference = created["id"], created["haloReference"]
            tap_approved(halo_url, halo_reference)
    return results


class UnexpectedAnswer(RuntimeError):
    """A handler answered something other than the success its sample should get."""


# What each handler's sample gets when the walk goes right. An API handler's status code; cancel comes
# after the approval, so its expected answer is the refusal.
EXPECTED_STATUS = {
    "create_checkout": 201,
    "get_checkout": 200,
    "checkout_page": 200,
    "halo_webhook": 200,
    "create_refund": 201,
    "events": 200,
    "ledger_report": 200,
    "api_keys": 200,
    "webhook_endpoints": 200,
    "cancel_checkout": 409,
    "new_attempt": 409,
}


def _unexpected(name: str, answer: Any) -> str | None:  # noqa: PLR0911 - one return per kind of handler
    """What is wrong with `answer` as function `name`'s answer on the walk, or None."""
    if not isinstance(answer, dict):
        return f"a {type(answer).__name__}, not an object"
    if name == "authorizer":
        statements = answer.get("policyDocument", {}).get("Statement", [])
        allowed = [s for s in statements if s.get("Effect") == "Allow"]
        if not allowed or not answer.get("context", {}).get("clientId"):
            return "no Allow policy with a clientId in its context"
        return None
    if name in EXPECTED_STATUS:
        if answer.get("statusCode") != EXPECTED_STATUS[name]:
            return f"{answer.get('statusCode')}, not {EXPECTED_STATUS[name]}"
        return None
    if name in ("apply_halo_event", "deliver_notification", "ledger"):
        if answer.get("batchItemFailures") != []:
            return "a batch with failed records (handed back for a retry)"
        return None
    if name == "reconcile":
        if answer.get("errors") != 0:
            return f"{answer.get('errors')} errors"
        return None
    return f"an answer for a function this check does not know ({name!r})"


def expect_success(name: str, result: Result) -> None:
    """Raise UnexpectedAnswer unless `result` (invoke()'s) is function `name`'s expected answer on the walk."""
    if "raised" in result:
        raise UnexpectedAnswer(f"{name} raised {result['raised']}")
    problem = _unexpected(name, result.get("answer"))
    if problem is not None:
        raise UnexpectedAnswer(f"{name} answered {problem}: {json.dumps(result.get('answer'))[:2000]}")
