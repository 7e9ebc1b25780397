"""The platform's children: their own process group, and death with the supervisor even when it is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from streams.children import Child

REPO = Path(__file__).resolve().parents[2]


def _gone(pid: int, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_a_child_runs_in_its_own_process_group_and_stops(tmp_path: Path) -> None:
    child = Child("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], dict(os.environ),
                  tmp_path / "sleeper.log", essential=False)  # fmt: skip
    child.start()
    try:
        assert child.alive() and child.process is not None
        assert os.getpgid(child.process.pid) == child.process.pid != os.getpgid(0)  # Ctrl-C stays with us
    finally:
        child.stop(grace_s=5)
    assert not child.alive()


def test_a_child_dies_with_its_supervisor_even_when_that_is_killed(tmp_path: Path) -> None:
    supervisor_code = textwrap.dedent(f"""
        import os, sys, time
        sys.path.insert(0, {str(REPO)!r})
        from pathlib import Path
        from streams.children import Child
        child = Child("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], dict(os.environ),
                      Path({str(tmp_path / "sleeper.log")!r}), essential=False)
        child.start()
        print(child.process.pid, flush=True)
        time.sleep(60)
    """)
    supervisor = subprocess.Popen([sys.executable, "-c", supervisor_code], stdout=subprocess.PIPE, text=True)
    try:
        assert supervisor.stdout is not None
        child_pid = int(supervisor.stdout.readline())
        time.sleep(0.3)  # the launcher has asked for PR_SET_PDEATHSIG and become the sleeper
        assert not _gone(child_pid, 0.1)
        supervisor.send_signal(signal.SIGKILL)  # no chance to stop its children itself
        supervisor.wait(10)
        assert _gone(child_pid, 10), "the child outlived a killed supervisor"
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
