"""Starting, watching and stopping the processes of a run (mocks, engine, Locust)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from simclock import ScaledClock


class ProcessFailed(RuntimeError):
    """A process of the run died or never became ready; the message points at its log."""


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(kw_only=True)
class Service:
    """One child process with its log file."""

    name: str
    argv: list[str]
    log_path: Path
    url: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    popen: subprocess.Popen[bytes] | None = None
    restarts: int = 0

    def start(self) -> None:
        log = self.log_path.open("ab")
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        self.popen = subprocess.Popen(
            self.argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        log.close()

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up, no flush, exactly what a crash looks like."""
        if self.popen is not None and self.alive():
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait()

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen is None or not self.alive():
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def mock_service(
    *, service: str, platform: str, port: int, config: Path, log_path: Path
) -> Service:
    """A mock platform's server (``python -m mocks.serve``), not yet started."""
    label = service if service == platform else f"{service} ({platform})"
    return Service(
        name=f"{label} mock",
        argv=python_module(
            "mocks.serve", "--platform", platform, "--port", str(port), "--config", str(config)
        ),
        log_path=log_path,
        url=f"http://127.0.0.1:{port}",
    )


def wait_ready(
    service: Service,
    path: str,
    clock: ScaledClock,
    *,
    timeout_wall: float = 60.0,
    ready: Any = None,
) -> dict[str, Any]:
    """Poll ``service.url + path`` until it answers 200 (and ``ready(json)`` holds)."""
    if service.url is None:
        raise ValueError(f"{service.name} has no URL to poll")
    waited = 0.0
    step = 0.1
    while waited < timeout_wall:
        if not service.alive():
            raise ProcessFailed(
                f"{service.name} exited with {service.popen.returncode if service.popen else '?'}"
                f"; log {service.log_path}:\n{service.log_tail()}"
            )
        with contextlib.suppress(httpx.HTTPError, ValueError):
            response = httpx.get(service.url + path, timeout=2.0)
            if response.status_code == 200:
                body: dict[str, Any] = response.json()
                if ready is None or ready(body):
                    return body
        clock.sleep_blocking(step * clock.time_scale)
        waited += step
    raise ProcessFailed(
        f"{service.name} not ready after {timeout_wall:.0f}s; log {service.log_path}:\n"
        f"{service.log_tail()}"
    )
