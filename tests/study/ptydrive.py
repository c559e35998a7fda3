"""Drive a command in a real pseudo-terminal (stdlib ``pty``): what a user at a terminal sees."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[2] / "src")
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")


class Terminal:
    """``python -m dlproof.cli ARGS`` on a 100x40 pty; :meth:`expect` waits for text."""

    def __init__(self, args: list[str], env: dict[str, str]):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
        full_env = {**os.environ, **env, "TERM": "xterm-256color", "COLUMNS": "100",
                    "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
        full_env.pop("NO_COLOR", None)
        self.proc = subprocess.Popen([sys.executable, "-m", "dlproof.cli", *args], stdin=slave,
                                     stdout=slave, stderr=slave, env=full_env,
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self.fd = master
        self.raw = ""
        self.pos = 0  # expect() searches from here

    @property
    def text(self) -> str:
        return _ANSI.sub("", self.raw).replace("\r", "")

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.raw += data.decode("utf-8", "replace")
        return bool(data)

    def expect(self, pattern: str, timeout: float = 30.0) -> re.Match:
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.text, self.pos)
            if m:
                self.pos = m.end()
                return m
            if time.monotonic() > deadline or (not self._read(0.1) and self.proc.poll() is not None
                                                 and not self._read(0.1)):
                raise AssertionError(f"{pattern!r} not seen; the terminal shows:\n"
                                     f"{self.text[-3000:]}")

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode("utf-8"))

    def wait(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        while self._read(0.05):
            pass
        return self.proc.wait(timeout=1)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def close(self) -> None:
        self.kill()
        os.close(self.fd)
