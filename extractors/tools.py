"""Running external converters (antiword, catdoc, tesseract) safely.

Each tool runs with a timeout, and on Linux with a parent-death signal, so that a worker
killed by the pipeline never leaves a converter running on its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence

from diarium.errors import ExtractionFailed

PR_SET_PDEATHSIG = 1


def set_parent_death_signal(sig: int = signal.SIGKILL) -> None:
    """Ask Linux to send `sig` to this process when its parent dies (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - exotic libc
        pass


def prepare_worker_process(memory_bytes: int) -> None:
    """Set up a pool worker (extraction, embedding): it dies with its parent (SIGKILL,
    OOM), leaves Ctrl-C to the parent, exits at once if already orphaned, writes no core
    file and, when `memory_bytes` > 0, cannot map more than that (RLIMIT_AS)."""
    import resource

    set_parent_death_signal(signal.SIGKILL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the group; the parent decides
    if os.getppid() == 1:  # the parent died before the death signal was armed
        sys.exit(0)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_bytes > 0:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


@functools.cache
def which(tool: str) -> str | None:
    """The tool's path, or None when it is not installed."""
    return shutil.which(tool)


def run_tool(args: Sequence[str], timeout: float, env: dict[str, str] | None = None) -> bytes:
    """The tool's stdout. Raises ExtractionFailed: kind "tool_missing" when it is not
    installed, "timeout" when it runs too long, "corrupt" when it exits with an error."""
    path = which(args[0])
    if path is None:
        raise ExtractionFailed(f"{args[0]} is not installed", kind="tool_missing")
    full_env = dict(os.environ)
    full_env.update(env or {})
    try:
        done = subprocess.run(
            [path, *args[1:]],
            capture_output=True,
            timeout=timeout,
            env=full_env,
            preexec_fn=set_parent_death_signal,  # noqa: PLW1509 - the worker has one thread
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ExtractionFailed(
            f"{args[0]} did not finish within {timeout:.0f} s", kind="timeout"
        ) from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = message[-1] if message else f"exit code {done.returncode}"
        raise ExtractionFailed(f"{args[0]} failed: {detail[:300]}", kind="corrupt")
    return done.stdout
