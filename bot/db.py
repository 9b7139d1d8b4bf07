"""`fairshake db ...`: the operator's steps for the PostgreSQL store (FAIRSHAKE_DATABASE_URL).

    fairshake db upgrade          apply the schema migrations the database lacks
    fairshake db import DATA_DIR  copy a TinyDB data folder into the database
    fairshake db export DIR       copy the database into a TinyDB data folder

Import and export may be run again: each person's record is replaced by the copy and
each reminder's due entry kept once, so a second run gives the same result. Neither
deletes anything the target holds that the source does not. Run them while no bot uses
the data folder.

Both carry the log secret (the key of the digests naming people in logs), so a person's
digest is the same after the move. It is a secret: an export keeps it in the folder's
`log-secret`, readable by its owner only. A target that keeps a different secret
already is refused before anything is copied, unless `--replace-log-secret` says to
make the source's its own (the digests of the people it held then change in the logs;
restart its bots so they use it).
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.config import load_settings
from bot.folder import FolderLock
from storage import Store, StoreError, TinyDBStore
from storage.backends import copy_store
from storage.base import LogSecretConflict
from storage.postgres import PostgresStore, safe_url, upgrade_database

REPLACE_SECRET = "--replace-log-secret"


def main(argv: list[str], prog: str = "fairshake db") -> int:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="The PostgreSQL store's schema, and copies to and from a data folder.",
    )
    steps = parser.add_subparsers(dest="step", required=True, metavar="STEP")
    steps.add_parser("upgrade", help="apply the schema migrations the database lacks")
    importing = steps.add_parser("import", help="copy a TinyDB data folder into the database")
    importing.add_argument("data_dir", type=Path, metavar="DATA_DIR")
    exporting = steps.add_parser("export", help="copy the database into a TinyDB data folder")
    exporting.add_argument("folder", type=Path, metavar="DIR")
    for copying in (importing, exporting):
        copying.add_argument(
            REPLACE_SECRET,
            action="store_true",
            help="when the target keeps another log secret, replace it with the source's",
        )
    args = parser.parse_args(argv)
    url = load_settings().database_url
    if not url:
        print("problem: FAIRSHAKE_DATABASE_URL is not set (postgresql://USER@HOST:PORT/DB)")
        return 1
    try:
        if args.step == "upgrade":
            print(asyncio.run(_upgrade(url)))
        elif args.step == "import":
            print(asyncio.run(_import(url, args.data_dir, args.replace_log_secret)))
        else:
            print(asyncio.run(_export(url, args.folder, args.replace_log_secret)))
    except LogSecretConflict:
        target = "the database" if args.step == "import" else str(args.folder)
        print(
            f"problem: {target} keeps a log secret already, and not the one the copy brings, "
            "so nothing was copied. The secret keys the digests that name people in the logs. "
            f"To make the copy's secret {target}'s, run again with {REPLACE_SECRET}: the "
            "digests of the people it held already change in the logs from then on (restart "
            "the bots on it so they use it)."
        )
        return 1
    except (StoreError, OSError) as error:
        print(f"problem: {error}")
        return 1
    return 0


async def _upgrade(url: str) -> str:
    applied = await upgrade_database(url)
    if not applied:
        return f"{safe_url(url)} is up to date"
    steps = ", ".join(f"{migration.version} ({migration.name})" for migration in applied)
    return f"{safe_url(url)}: applied {steps}"


async def _import(url: str, data_dir: Path, replace_secret: bool) -> str:
    if not (data_dir / "meta.json").is_file():
        raise StoreError(f"{data_dir} is not a Fair Shake data folder (it has no meta.json)")
    with FolderLock(data_dir):  # a bot running on the folder would be copied half-written
        database = await PostgresStore.open(url)
        copied = await _copy(TinyDBStore(data_dir), database, replace_secret)
    return f"imported {copied} from {data_dir} into {safe_url(url)}"


async def _export(url: str, folder: Path, replace_secret: bool) -> str:
    with FolderLock(folder):  # nor may one run on the folder being written
        database = await PostgresStore.open(url)
        copied = await _copy(database, TinyDBStore(folder), replace_secret)
    return f"exported {copied} from {safe_url(url)} into {folder}"


async def _copy(source: Store, target: Store, replace_secret: bool) -> str:
    try:
        copied = await copy_store(source, target, replace_secret=replace_secret)
    finally:
        await source.close()
        await target.close()
    carried = ", and the log secret," if copied.log_secret else ""
    damaged = len(copied.unreadable)
    left = (
        f" ({damaged} damaged archived case{'' if damaged == 1 else 's'} left out:"
        f" {', '.join(copied.unreadable)})"
        if damaged
        else ""
    )
    return f"{copied.people} people and {copied.due_entries} pending reminders{carried}{left}"
