# SPDX-License-Identifier: MIT
"""Stops a wsc-hub child process the way an operator does: SIGTERM, then a wait for its
graceful exit, which is also when its coverage counters and sanitizer reports are written;
SIGKILL only when it has not exited within timeout seconds.  The Python tests import it with
tests/support on sys.path."""
import signal
import subprocess


def stop_hub(proc, timeout=10):
    """Returns the exit status (negative: the signal that ended it)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait()
