"""A handler's floor: the AWS and HTTP calls its first request made, made raw (stdlib and the layer only:
it runs under 3.13, as tests/lambda/invoke.py does).

    python3.13 -I -S scripts/raw_floor.py <layer-dir> <calls.json> <result.json>

calls.json is what invoke.py noted (HALOTAP_INVOKE_RECORD): each botocore operation with its parameters,
each httpx request with its method, URL, headers and body. Here they are made again, in order, the way a
hand-written function would make them: `boto3.client(service)` once per service (boto3's default session,
shared), the operation by its method name, one plain `httpx.Client()` for every HTTP request. No halotap
code is imported. An AWS error is part of the call (a refused conditional write costs its round trip too),
so it is noted, not raised. The result file gets "cpu_seconds", from just before `import boto3` to just
after the last answer (start-up and reading calls.json not counted), and the AWS error codes met.
"""

import json
import sys
import time

layer_dir, calls_file, result_file = sys.argv[1:4]
sys.path[:0] = [layer_dir]
with open(calls_file) as source:
    calls = json.load(source)

start = time.process_time()
import boto3  # noqa: E402 - timed from here, as invoke.py times `import handler`
from botocore import xform_name  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

clients = {}
http = None
errors = []
for call in calls:
    if call["kind"] == "aws":
        service = call["service"]
        if service not in clients:
            clients[service] = boto3.client(service)
        try:
            getattr(clients[service], xform_name(call["operation"]))(**call["params"])
        except ClientError as error:
            errors.append(error.response.get("Error", {}).get("Code"))
    else:
        if http is None:
            import httpx

            http = httpx.Client()
        http.request(call["method"], call["url"], headers=call["headers"], content=call["body"].encode())
cpu_seconds = time.process_time() - start
with open(result_file, "w") as sink:
    json.dump({"cpu_seconds": cpu_seconds, "errors": errors}, sink)
