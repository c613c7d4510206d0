"""Runs one handler the way Lambda's Python runtime does (stdlib only: it runs under 3.13).

tests/lambda runs it, and so do `make bench`'s first-request figures, through scripts/lambda_shaped.py.

    python3.13 -I -S tests/lambda/invoke.py <function-dir> <layer-dirs> <event.json> <result.json>

`-I -S`: no site-packages, no PYTHON* variables; the function's folder and its layers (joined by os.pathsep)
are the only paths before the standard library, as /var/task and /opt/python are on Lambda. The result file gets the answer,
or the exception the handler raised, and the file every top-level package was loaded from. With an
answer it also gets "cpu_seconds": this process's CPU time from just before `import handler` to just
after the answer (a cold start's init and first request, lazy loads included; start-up not counted).

Two optional environment variables serve `make bench` (scripts/first_request.py), never a timed run:
HALOTAP_INVOKE_RECORD=<file> writes every AWS and HTTP call the first request made (botocore's operation
and parameters, httpx's method, URL, headers and body), the calls the handler's raw floor replays;
HALOTAP_INVOKE_PROFILE=<file> writes a cProfile of the import and first request.
"""

import json
import os
import sys
import time

function_dir, layer_dirs, event_file, result_file = sys.argv[1:5]
sys.path[:0] = [function_dir, *layer_dirs.split(os.pathsep)]  # the function's layers, in the manifest's order


class Context:
    function_name = "halotap-lambda-shaped"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:halotap-lambda-shaped"
    aws_request_id = "3f6e3a4e-2b7c-4d9e-8f1a-0c5b6d7e8f90"
    log_group_name = "/aws/lambda/halotap-lambda-shaped"
    log_stream_name = "2026/01/15/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def record_calls(calls: list) -> None:
    """Wraps botocore's and httpx's one entry point each, so every call the handler makes is noted."""
    import botocore.client
    import httpx

    make_api_call = botocore.client.BaseClient._make_api_call
    send = httpx.Client.send

    def noted_api_call(client, operation, params):
        call = {"kind": "aws", "service": client.meta.service_model.service_name, "operation": operation}
        calls.append({**call, "params": params})
        try:
            return make_api_call(client, operation, params)
        except botocore.client.ClientError as error:
            call_error = error.response.get("Error", {}).get("Code")
            calls[-1]["error"] = call_error
            raise

    def noted_send(http, request, **kwargs):
        request.read()
        calls.append(
            {
                "kind": "http",
                "method": request.method,
                "url": str(request.url),
                "headers": {k: v for k, v in request.headers.items() if k.lower() not in ("content-length",)},
                "body": request.content.decode("utf-8", "replace"),
            }
        )
        return send(http, request, **kwargs)

    botocore.client.BaseClient._make_api_call = noted_api_call
    httpx.Client.send = noted_send


with open(event_file) as source:
    event = json.load(source)
outcome: dict = {}
calls: list = []
record_file, profile_file = os.environ.get("HALOTAP_INVOKE_RECORD"), os.environ.get("HALOTAP_INVOKE_PROFILE")
if record_file:
    record_calls(calls)
profiler = None
if profile_file:
    import cProfile

    profiler = cProfile.Profile()
try:
    start = time.process_time()
    if profiler:
        profiler.enable()
    import handler

    answer = handler.handler(event, Context())
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile_file)
    outcome["cpu_seconds"] = time.process_time() - start
    outcome["answer"] = answer
except BaseException as error:
    outcome["raised"] = f"{type(error).__name__}: {error}"
outcome["loaded_from"] = {
    name: getattr(module, "__file__", None)
    for name, module in sys.modules.items()
    if "." not in name and not name.startswith("__") and getattr(module, "__file__", None)
}
if record_file:
    with open(record_file, "w") as noted:
        json.dump(calls, noted, default=str)
with open(result_file, "w") as sink:
    json.dump(outcome, sink, default=str)
