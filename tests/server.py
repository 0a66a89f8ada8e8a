"""A live ``it2en serve`` for the tests: its own process on a free port of 127.0.0.1,
started and stopped by the tests that use it."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``it2en serve`` in a process of its own, on a free port of 127.0.0.1."""

    def __init__(self, flags: list[str], *extra: str):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "pipeline", "serve", "--port", str(self.port), *flags, *extra]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Its log read as it comes: a pipe nobody reads fills up, and a service whose log
        # line cannot be written waits for ever.
        self._log: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()
        deadline = time.monotonic() + 180
        while True:
            try:
                if self.get("/readyz")[0] == 200:
                    return
            except OSError:
                pass
            assert self.process.poll() is None, self.log()
            assert time.monotonic() < deadline, "the server never became ready"
            time.sleep(0.2)

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._log.append(line)

    def log(self) -> str:
        """What the service has written on stderr so far."""
        return "".join(self._log)

    def request(
        self,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        method: str | None = None,
    ) -> tuple[int, bytes]:
        request = urllib.request.Request(self.url + path, data=body, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def get(self, path: str) -> tuple[int, bytes]:
        return self.request(path)

    def post_json(self, path: str, data: object, headers: dict[str, str] | None = None) -> tuple[int, dict]:
        status, body = self.request(
            path, json.dumps(data).encode(), {"content-type": "application/json", **(headers or {})}
        )
        return status, json.loads(body)

    def stop(self) -> int:
        """SIGTERM; the exit status (143 in a shell, as every it2en command stopped so)."""
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=120)
        time.sleep(0.2)  # the rest of its log read
        return code


STOPPED = -signal.SIGTERM
"""How the server ends after SIGTERM once it has answered what it accepted."""


def tiny_flags(tiny_models: Path, jobs: Path) -> list[str]:
    """``serve`` flags for the tiny models on the CPU at fp32, greedy, jobs in ``jobs``."""
    store = str(tiny_models / "store")
    return [
        "--translator", str(tiny_models / "translator"), "--summarizer", str(tiny_models / "summarizer"),
        "--back-translator", str(tiny_models / "back-translator"), "--models-dir", store,
        "--cache-dir", store, "--device", "cpu", "--precision", "fp32", "--num-beams", "1",
        "--jobs-dir", str(jobs),
    ]  # fmt: skip
