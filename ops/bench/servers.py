"""Real servers for tests and the load test: the app under gunicorn on loopback, a
migrated database for it, and a throwaway PostgreSQL that can be stopped and
started again (scripts/pg.sh starts it; stop()/start() here keep its data).

Used by tests/core/test_cache.py (a second worker process sees an edit at once),
tests/ops/test_scale.py (503 while PostgreSQL is down, recovery after) and
ops/bench/loadtest.sh.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
# Environment variables of the test process that must not leak into the servers.
_DROPPED = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"}


def free_port(low: int = 8200, high: int = 8300, exclude: set[int] | None = None) -> int:
    """A free loopback port in the 8200s (the range this project's tools use)."""
    for port in range(low, high):
        if exclude and port in exclude:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in the 8200s")


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="ops.bench.settings",
        PUBLIC_PAGE_CACHE="1",
        DEBUG="0",
        # Short-lived persistent connections, as in production.
        CONN_MAX_AGE="60",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, timeout: int = 120) -> str:
    result = subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def run_python(env: dict[str, str], code: str, timeout: int = 60) -> str:
    """Run Django code in a separate process (another "worker") against env's
    database and cache."""
    setup = "import django; django.setup()\n"
    result = subprocess.run(  # noqa: S603
        [PYTHON, "-c", setup + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"python failed:\n{result.stdout}{result.stderr}")
    return result.stdout


@dataclass
class Fetched:
    status: int
    headers: dict[str, str]
    body: str


def fetch(url: str, headers: dict[str, str] | None = None, timeout: float = 10) -> Fetched:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Fetched(
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read().decode(),
            )
    except urllib.error.HTTPError as error:
        return Fetched(
            error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode()
        )


@contextlib.contextmanager
def gunicorn(env: dict[str, str], workers: int = 1, threads: int = 1) -> Iterator[str]:
    """The app under gunicorn on a loopback port in the 8200s; yields its base URL."""
    with gunicorns(env, 1, workers=workers, threads=threads) as (base,):
        yield base


@contextlib.contextmanager
def gunicorns(
    env: dict[str, str], count: int, workers: int = 1, threads: int = 1
) -> Iterator[list[str]]:
    """`count` separate gunicorn servers (separate processes, one port each), started
    together; yields their base URLs once all of them answer."""
    started: list[tuple[subprocess.Popen, Any, str]] = []
    try:
        for _ in range(count):
            port = free_port(exclude={int(b.rsplit(":", 1)[1]) for _, _, b in started})
            # Closed in the finally below, after gunicorn has stopped writing to it.
            log = tempfile.NamedTemporaryFile(  # noqa: SIM115
                prefix="parallax-gunicorn-", suffix=".log", delete=False
            )
            process = subprocess.Popen(  # noqa: S603
                [
                    PYTHON,
                    "-m",
                    "gunicorn",
                    "config.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(workers),
                    "--threads",
                    str(threads),
                    "--timeout",
                    "60",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            started.append((process, log, f"http://127.0.0.1:{port}"))
        for process, log, base in started:
            _wait_until_up(process, log.name, base)
        yield [base for _, _, base in started]
    finally:
        for process, _, _ in started:
            process.terminate()
        for process, log, _ in started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
            os.unlink(log.name)


def _wait_until_up(process: subprocess.Popen, log: str, base: str) -> None:
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited:\n" + Path(log).read_text())
        try:
            fetch(base + "/__bench__/trivial/", timeout=5)
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer:\n" + Path(log).read_text()) from None
            time.sleep(0.2)


class ThrowawayPostgres:
    """scripts/pg.sh's server, with stop() and start() that keep the data directory
    and port (pg.sh stop would delete both)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="parallax-pg-"))
        self.dir.chmod(0o755)
        self.url = ""

    def __enter__(self) -> ThrowawayPostgres:
        self.url = subprocess.run(  # noqa: S603
            [str(ROOT / "scripts" / "pg.sh"), "start", str(self.dir)],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout.strip()
        self.port = (self.dir / "port").read_text().strip()
        return self

    def __exit__(self, *exc: object) -> None:
        subprocess.run(  # noqa: S603
            [str(ROOT / "scripts" / "pg.sh"), "stop", str(self.dir)], timeout=120, check=False
        )

    def _pg_ctl(self, *args: str) -> None:
        bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        pg_ctl = str(bindirs[-1] / "pg_ctl") if bindirs else "pg_ctl"
        command = [pg_ctl, "-D", str(self.dir / "data"), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "parallax-pg", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)  # noqa: S603

    def stop(self) -> None:
        self._pg_ctl("-m", "immediate", "-w", "stop")

    def _processes(self) -> list[int]:
        """The server's postmaster and its children (backends and helpers)."""
        postmaster = int((self.dir / "data" / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(  # noqa: S603
            ["ps", "-o", "pid=", "--ppid", str(postmaster)],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        return [postmaster, *map(int, children)]

    def freeze(self) -> None:
        """SIGSTOP every process of this server: connections stay open, nothing answers
        (a hung host, a paused container)."""
        for pid in self._processes():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self._processes():
            os.kill(pid, signal.SIGCONT)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -h 127.0.0.1 -c fsync=off"
        self._pg_ctl("-l", str(self.dir / "server.log"), "-w", "-t", "60", "-o", options, "start")


class ThrowawayRedis:
    """A redis-server on a free loopback port, in memory only, stopped on exit; for
    `manage.py bench`'s Redis figures. url is "" when redis-server is not installed."""

    def __init__(self) -> None:
        self.url = ""
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> ThrowawayRedis:
        import shutil

        binary = shutil.which("redis-server")
        if binary is None:
            return self
        port = free_port()
        self.process = subprocess.Popen(  # noqa: S603
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxmemory",
                "256mb",
                "--maxmemory-policy",
                "volatile-lru",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    self.url = f"redis://127.0.0.1:{port}/0"
                    return self
            time.sleep(0.05)
        self.__exit__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
