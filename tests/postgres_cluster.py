"""A throwaway PostgreSQL cluster for the tests: initdb and pg_ctl in a temporary folder.

The server listens on a unix socket in that folder only (no TCP port to collide with
anything), runs as a non-root user (PostgreSQL refuses root: as root, the `postgres`
user runs it through runuser), and is stopped and removed when the tests end. Each
test gets its own database in it (`Cluster.new_database`), so tests share nothing.

The binaries are looked up on PATH, then where Debian's packages put them
(/usr/lib/postgresql/<version>/bin); .ci/run installs the package where neither has
them. A developer without PostgreSQL gets a skip with the reason; in CI (CI=true) the
same is a failure, so the PostgreSQL tests can never silently not run there.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest

SERVER_USER = "postgres"
"""Who runs the server when the tests run as root."""
SUPERUSER = "fairshake"
PORT = 5432
"""Only names the socket file: the server listens on no TCP port."""


def find_binaries() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres, or None when there is none."""
    found = shutil.which("initdb")
    candidates = [Path(found).resolve().parent] if found else []
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
        reverse=True,
    )
    for folder in [*candidates, *debian]:
        if all((folder / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def unavailable(reason: str) -> NoReturn:
    """Fail in CI, skip elsewhere: CI must run the PostgreSQL tests."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"PostgreSQL tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests need a PostgreSQL server: {reason}")


@dataclass
class Cluster:
    """A running server; `url` reaches its maintenance database as the superuser."""

    bin_dir: Path
    folder: Path
    _names: itertools.count[int] = field(default_factory=itertools.count)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@/{database}?host={self.folder}&port={PORT}"

    def new_database(self) -> str:
        """A new empty database, by URL."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        self._as_server_user(
            [self.bin_dir / "pg_ctl", "-D", self.folder / "data", "-m", "immediate", "stop"]
        )

    def _as_server_user(self, command: list[str | Path]) -> None:
        prefix = ["runuser", "-u", SERVER_USER, "--"] if os.geteuid() == 0 else []
        subprocess.run(
            [*prefix, *map(str, command)],
            check=True,
            capture_output=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )


def start_cluster() -> Cluster:
    """initdb a cluster in a new temporary folder and start it; skip or fail if impossible."""
    bin_dir = find_binaries()
    if bin_dir is None:
        unavailable("no initdb, pg_ctl and postgres on PATH or under /usr/lib/postgresql")
    # In /tmp, not $TMPDIR: the server user must be able to reach the folder, and a unix
    # socket's path must stay short.
    folder = Path(tempfile.mkdtemp(prefix="fairshake-pg-", dir="/tmp"))
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam(SERVER_USER)
        except KeyError:
            unavailable(f"running as root and there is no {SERVER_USER!r} user to run the server")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    cluster = Cluster(bin_dir, folder)
    data = folder / "data"
    try:
        cluster._as_server_user(
            [
                bin_dir / "initdb",
                "-D",
                data,
                "-U",
                SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]
        )
        # fsync off: a test server holds nothing worth keeping, and the disk is shared.
        options = f"-k {folder} -c listen_addresses='' -p {PORT} -F -c max_connections=200"
        cluster._as_server_user(
            [
                bin_dir / "pg_ctl",
                "-D",
                data,
                "-l",
                folder / "server.log",
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
    except subprocess.CalledProcessError as error:
        log = folder / "server.log"
        shown = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(
            f"could not start PostgreSQL: {error.stderr.decode(errors='replace')}{shown}"
        ) from error
    return cluster


def remove(cluster: Cluster) -> None:
    try:
        cluster.stop()
    finally:
        shutil.rmtree(cluster.folder, ignore_errors=True)
