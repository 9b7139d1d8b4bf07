"""`fairshake db ...`: the operator's steps for the PostgreSQL store (FAIRSHAKE_DATABASE_URL).

    fairshake db upgrade          apply the schema migrations the database lacks
    fairshake db import DATA_DIR  copy a TinyDB data folder into the database
    fairshake db export DIR       copy the database into a TinyDB data folder

Import and export may be run again: each person's record is replaced by the copy and
each reminder's due entry kept once, so a second run gives the same result. Neither
deletes anything the target holds that the source does not. Run them while no bot uses
the data folder.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.config import load_settings
from bot.folder import FolderLock
from storage import Store, StoreError, TinyDBStore
from storage.backends import copy_store
from storage.postgres import PostgresStore, safe_url, upgrade_database


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
    args = parser.parse_args(argv)
    url = load_settings().database_url
    if not url:
        print("problem: FAIRSHAKE_DATABASE_URL is not set (postgresql://USER@HOST:PORT/DB)")
        return 1
    try:
        if args.step == "upgrade":
            print(asyncio.run(_upgrade(url)))
        elif args.step == "import":
            print(asyncio.run(_import(url, args.data_dir)))
        else:
            print(asyncio.run(_export(url, args.folder)))
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


async def _import(url: str, data_dir: Path) -> str:
    if not (data_dir / "meta.json").is_file():
        raise StoreError(f"{data_dir} is not a Fair Shake data folder (it has no meta.json)")
    with FolderLock(data_dir):  # a bot running on the folder would be copied half-written
        database = await PostgresStore.open(url)
        copied = await _copy(TinyDBStore(data_dir), database)
    return f"imported {copied} from {data_dir} into {safe_url(url)}"


async def _export(url: str, folder: Path) -> str:
    with FolderLock(folder):  # nor may one run on the folder being written
        database = await PostgresStore.open(url)
        copied = await _copy(database, TinyDBStore(folder))
    return f"exported {copied} from {safe_url(url)} into {folder}"


async def _copy(source: Store, target: Store) -> str:
    try:
        copied = await copy_store(source, target)
    finally:
        await source.close()
        await target.close()
    return f"{copied.people} people and {copied.due_entries} pending reminders"
