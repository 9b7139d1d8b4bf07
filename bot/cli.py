"""`fairshake` (and `python -m bot`): start the enabled adapters over one engine and store."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from importlib.metadata import version

from bot.adapter import adapters_to_run
from bot.config import Settings, load_settings
from bot.engine import Engine
from storage import StoreError, TinyDBStore


async def serve(settings: Settings) -> None:
    store = TinyDBStore(settings.data_dir)
    engine = Engine(store, default_timezone=settings.timezone)
    adapters = [cls(engine, settings) for cls in adapters_to_run(settings)]
    try:
        await asyncio.gather(*(adapter.run() for adapter in adapters))
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="fairshake", description="Coach a customer through a dispute with a shop."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('fairshake')}")
    parser.parse_args(argv)
    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # transitions narrates every state change at INFO; that is debugging detail here.
    logging.getLogger("transitions").setLevel(max(logging.WARNING, logging.getLogger().level))
    try:
        asyncio.run(serve(settings))
    except StoreError as error:
        print(f"fairshake: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
