"""One writer at a time: a second process is refused with the holder's name; a lock left by a
killed process is taken over."""

import logging
import os
import signal
import subprocess
import sys
import time

import pytest

from model.locks import Busy, exclusive
from scripts.serve import REPO

HOLD = (
    "import sys, time\n"
    "from model.locks import exclusive\n"
    "with exclusive(sys.argv[1], 'run demo'):\n"
    "    print('holding', flush=True)\n"
    "    time.sleep(60)\n"
)


def _holder(path):
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "holding"
    return process


def test_a_second_writer_is_refused_naming_the_first(tmp_path):
    lock = tmp_path / ".demo.lock"
    holder = _holder(lock)
    try:
        with pytest.raises(Busy) as refused, exclusive(lock, "run demo"):
            pass
        message = str(refused.value)
        assert f"run demo is being written by process {holder.pid}" in message
        assert "python -c" in message and "since" in message and "\n" not in message
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path, caplog):
    lock = tmp_path / ".demo.lock"
    holder = _holder(lock)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert lock.exists()  # a killed process cannot clean up
    with caplog.at_level(logging.WARNING), exclusive(lock, "run demo"):
        assert str(os.getpid()) in lock.read_text()
    assert f"took over the lock of process {holder.pid}" in caplog.text
    assert not lock.exists()  # released and removed


def test_a_released_lock_is_free_at_once_and_leaves_nothing(tmp_path):
    lock = tmp_path / ".demo.lock"
    for _ in range(3):
        started = time.monotonic()
        with (
            exclusive(lock, "run demo"),
            pytest.raises(Busy, match=f"process {os.getpid()}"),
            exclusive(lock, "x"),
        ):
            pass
        assert time.monotonic() - started < 5
    assert list(tmp_path.iterdir()) == []
