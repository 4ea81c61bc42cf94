"""Throwaway PostgreSQL, Redis and nginx servers on free loopback ports.

Used by the tests, the benchmarks and the scale-out demo. Each server lives in a
temporary directory and is stopped (and the directory removed) on exit. Nothing
here assumes a service is already running.

PostgreSQL refuses to run as root, so when the current user is root the server is
initialised and started as the ``postgres`` system user (ANCHORS.md).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PG_BIN_CANDIDATES = ("/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin")


class ServiceUnavailable(RuntimeError):
    """The binary for a service is not installed on this machine."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, host: str = "127.0.0.1", timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


def _pg_bin() -> Path:
    for candidate in PG_BIN_CANDIDATES:
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise ServiceUnavailable("PostgreSQL server binaries (initdb, pg_ctl) not found")


@dataclass
class PostgresServer:
    port: int
    datadir: Path
    bin_dir: Path
    as_postgres_user: bool
    user: str = "postgres"
    dbname: str = "postgres"

    @property
    def dsn(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.dbname}"

    def dsn_for(self, dbname: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self.as_postgres_user:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True)

    def create_database(self, name: str) -> str:
        import psycopg  # local import: only the postgres extra needs it

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn_for(name)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, FileNotFoundError):
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "-w", "stop")


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a fresh PostgreSQL cluster with trust auth on a free loopback port."""
    bin_dir = _pg_bin()
    as_pg = os.geteuid() == 0
    tmp = Path(tempfile.mkdtemp(prefix="weave-pg-"))
    datadir = tmp / "data"
    if as_pg:
        shutil.chown(tmp, "postgres", "postgres")
    server = PostgresServer(port=free_port(), datadir=datadir, bin_dir=bin_dir, as_postgres_user=as_pg)
    try:
        server._run(str(bin_dir / "initdb"), "-D", str(datadir), "--auth=trust", "--no-sync", "-U", "postgres")
        opts = (
            f"-p {server.port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        server._run(str(bin_dir / "pg_ctl"), "-D", str(datadir), "-w", "-l", str(tmp / "log"), "-o", opts, "start")
        wait_for_port(server.port)
        yield server
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class RedisServer:
    port: int
    dir: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, appendonly: bool = False) -> None:
        binary = shutil.which("redis-server")
        if not binary:
            raise ServiceUnavailable("redis-server not found (apt-get install -y redis-server)")
        args = [
            binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--dir", str(self.dir),
            "--appendonly", "yes" if appendonly else "no", "--appendfsync", "always",
        ]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)

    def stop(self, kill: bool = False) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
        self.proc = None

    def restart(self, appendonly: bool = True) -> None:
        self.stop()
        self.start(appendonly=appendonly)


@contextlib.contextmanager
def redis_server(appendonly: bool = False) -> Iterator[RedisServer]:
    """Start a throwaway redis-server on a free loopback port (no persistence unless asked)."""
    tmp = Path(tempfile.mkdtemp(prefix="weave-redis-"))
    server = RedisServer(port=free_port(), dir=tmp)
    try:
        server.start(appendonly=appendonly)
        yield server
    finally:
        server.stop(kill=True)
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class NginxServer:
    port: int
    dir: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def nginx_proxy(upstream_port: int, workers: int = 1) -> Iterator[NginxServer]:
    """nginx as a keep-alive reverse proxy to 127.0.0.1:upstream_port (its best documented setup)."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        raise ServiceUnavailable("nginx not found (apt-get install -y nginx)")
    tmp = Path(tempfile.mkdtemp(prefix="weave-nginx-"))
    port = free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"""
worker_processes {workers};
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  upstream backend {{ server 127.0.0.1:{upstream_port}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
"""
    )
    server = NginxServer(port=port, dir=tmp)
    server.proc = subprocess.Popen([binary, "-c", str(conf), "-p", str(tmp)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        yield server
    finally:
        if server.proc and server.proc.poll() is None:
            server.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
