"""Become ``COMMAND`` after asking Linux to send it SIGTERM when ``PARENT_PID`` (the supervisor) dies.

    python -S streams/die_with_parent.py PARENT_PID COMMAND [ARG ...]

``kefu up`` starts every child through this launcher rather than a ``preexec_fn``: with a ``preexec_fn`` CPython
forks instead of using vfork, and in a process that has gRPC threads (Ray, pymilvus; the test session has them)
the forked child can abort in gRPC's fork handler before it reaches exec. ``PR_SET_PDEATHSIG`` survives exec, so
the command itself dies with the supervisor, even when the supervisor is killed with SIGKILL. Standard library
only and no package imports, so it starts in milliseconds.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def main(argv: list[str]) -> None:
    parent, command = int(argv[1]), argv[2:]
    with contextlib.suppress(OSError):  # not Linux: the supervisor's own shutdown still stops its children
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the supervisor died before the request took effect
        sys.exit(1)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv)
