"""`make bench`'s cold imports (part `cold`): each handler's import in a fresh Python 3.13 interpreter with
only its folder and the x86_64 layer on the path, against `import boto3` from the same layer.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from scripts.bench_figures import Figure, interleave, progress
from scripts.lambda_shaped import REPO_ROOT, X86_FUNCTIONS, X86_LAYER, layer_paths, need_x86_build, python313
from scripts.local_stack import function_settings

HANDLERS = tuple(sorted(path.parent.name for path in (REPO_ROOT / "functions").glob("*/handler.py")))
BASELINE_IMPORT = "boto3"  # the one import every Python Lambda that calls AWS pays anyway

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
    need_x86_build()
    python = python313()
    env = {**os.environ, **function_settings(), "AWS_DEFAULT_REGION": "us-east-1"}
    baseline = partial(import_seconds, BASELINE_IMPORT, [X86_LAYER], env, python)
    subjects = {
        name: partial(
            import_seconds, HANDLER_THEN_BOTO3, [X86_FUNCTIONS / name, *layer_paths(name)], env, python
        )
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
