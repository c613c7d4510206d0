"""`make bench`'s page part: the hosted page's cold first render, against the same page before issue 19.

Issue 19 gave the page its languages, its paths per device and its advice after a failed tap, and
asked that the first page load stay fast. So the baseline here is the page itself as it was just before
(BASELINE_COMMIT): its halotap package and its checkout_page handler, taken from git and compiled for
3.13 as the layer build compiles, put first on the path in front of the same x86_64 layer. The subject is
this tree's build of the same. Each sample is a fresh 3.13 interpreter's CPU time from `import handler`
to one open checkout's page rendered (no AWS call: both read the checkout the same way), once without
Accept-Language (English) and once in German, which reads a compiled catalog.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
import tempfile
from functools import partial
from io import BytesIO
from pathlib import Path

from scripts.bench_figures import Figure, interleave, progress
from scripts.lambda_shaped import REPO_ROOT, X86_FUNCTIONS, layer_paths, python313
from scripts.local_stack import function_settings

BASELINE_COMMIT = "f909335f0c41cc1d7d270929e6093e39a7bdf1a9"  # main before issue 19's page work
# argv: the folders to put first on sys.path (comma-separated), then the Accept-Language ("" for none).
# Either page's `checkout_page` is called as it takes the request: the headers now, Accept-Language then.
_RENDER_PROBE = """
import sys, time
sys.path[:0] = sys.argv[1].split(",")
start = time.process_time()
import handler
import inspect
from datetime import datetime, timezone
from halotap.adapters import page
from halotap.domain.models import Checkout
checkout = Checkout(
    id="chk_" + "a" * 26, client_id="demo-psp", merchant_id="demo-merchant", merchant_name="Demo Merchant",
    reference="order-1", amount="1249.50", currency="ZAR", status="open",
    deep_link="https://go.merchantportal.dev.haloplus.io/7f6966b3-3e46-41dd-b94a-339795bf3c29",
    expires_at="2026-12-07T12:30:00+00:00", created_at="2026-12-07T12:00:00+00:00",
    updated_at="2026-12-07T12:00:00+00:00",
)
now = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
accept = sys.argv[2]
if "headers" in inspect.signature(page.checkout_page).parameters:
    answer = page.checkout_page(checkout, now, "nonce", {"accept-language": accept} if accept else {})
else:
    answer = page.checkout_page(checkout, now, "nonce", accept or None)
assert answer["statusCode"] == 200, answer
print(time.process_time() - start)
"""
MEANING = "the page's import + first render cost this many of the page's before issue 19"


def baseline_tree(workdir: Path, python: str) -> list[Path]:
    """The folders that give BASELINE_COMMIT's page: its checkout_page folder and its halotap package."""
    archive = subprocess.run(  # noqa: S603 - git, a fixed commit and fixed paths
        [  # noqa: S607 - git from PATH, as make and the developer run it
            "git",
            "archive",
            BASELINE_COMMIT,
            "layers/common/python/halotap",
            "functions/checkout_page/handler.py",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise RuntimeError(
            f"the page's baseline {BASELINE_COMMIT[:7]} is not in this clone's history (a shallow clone?):\n"
            + archive.stderr.decode(errors="replace")
        )
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tree:
        tree.extractall(workdir, filter="data")
    folders = [workdir / "functions" / "checkout_page", workdir / "layers" / "common" / "python"]
    subprocess.run(  # noqa: S603 - the 3.13 interpreter compiles what git gave, as the layer build does
        [python, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash", *map(str, folders)],
        check=True,
        capture_output=True,
    )
    return folders


def render_seconds(folders: list[Path], accept_language: str, env: dict[str, str], python: str) -> float:
    done = subprocess.run(  # noqa: S603 - a 3.13 interpreter, a fixed probe and our own folders
        [python, "-I", "-S", "-c", _RENDER_PROBE, ",".join(map(str, folders)), accept_language],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"rendering the page failed:\n{done.stderr.strip()}")
    return float(done.stdout.strip().splitlines()[-1])


def page_render(n: int) -> list[Figure]:
    python = python313()
    env = {**os.environ, **function_settings(), "AWS_DEFAULT_REGION": "us-east-1"}
    figures = []
    with tempfile.TemporaryDirectory(prefix="halotap-page-baseline-") as workdir:
        before = [*baseline_tree(Path(workdir), python), *layer_paths("checkout_page")]
        now = [X86_FUNCTIONS / "checkout_page", *layer_paths("checkout_page")]
        for label, accept in (("en", ""), ("de", "de-DE")):
            subject = partial(render_seconds, now, accept, env, python)
            baseline = partial(render_seconds, before, accept, env, python)
            subject(), baseline()  # untimed: warms the OS file cache
            progress(f"page render ({label}): {n} + {n} fresh interpreters")
            timed, floor = interleave(subject, baseline, n)
            figures.append(Figure(f"cold page render {label}", timed, floor, MEANING))
    return figures
