"""`fairshake check`: say exactly what is wrong with the configuration, before starting."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.adapter import adapters_to_run, available_adapters
from bot.config import Settings
from bot.folder import FolderInUse, FolderLock
from bot.logs import FORMATS, LEVELS
from flows.jurisdiction import scan as scan_jurisdictions
from flows.playbook import scan
from flows.schema import SchemaError
from storage import StoreError, TinyDBStore
from storage.postgres import reach, safe_url


def problems(settings: Settings) -> list[str]:
    """Every problem found, each a sentence an operator can act on; empty when all is well."""
    found = [*_core(settings), *_playbooks(settings), *_store(settings)]
    for adapter in available_adapters().values():
        found += adapter.problems(settings)
    return found


def _core(settings: Settings) -> list[str]:
    found = []
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        found.append(
            f"FAIRSHAKE_TIMEZONE: {settings.timezone!r} is not a time zone name (try Europe/Berlin or UTC)."
        )
    if settings.rate_limit < 0:
        found.append(
            f"FAIRSHAKE_RATE_LIMIT: {settings.get('FAIRSHAKE_RATE_LIMIT')!r} is not a whole number of messages per minute (0 turns the limit off)."
        )
    if settings.closed_kept < 0:
        found.append(
            f"FAIRSHAKE_CLOSED_CASES_KEPT: {settings.get('FAIRSHAKE_CLOSED_CASES_KEPT')!r} is not a whole number of cases."
        )
    if settings.log_level not in LEVELS:
        found.append(
            f"FAIRSHAKE_LOG_LEVEL: {settings.log_level!r} is not one of {', '.join(LEVELS)}."
        )
    if settings.log_format not in FORMATS:
        found.append(
            f"FAIRSHAKE_LOG_FORMAT: {settings.log_format!r} is not one of {', '.join(FORMATS)}."
        )
    if settings.log_secret and len(settings.log_secret) < 16:
        found.append(
            "FAIRSHAKE_LOG_SECRET is too short to key anything: 16 characters or more (empty: one kept in the store)."
        )
    port = settings.http_port
    if port and not (port.isdigit() and 0 <= int(port) < 65536):
        found.append(
            f"FAIRSHAKE_HTTP_PORT: {port!r} is not a port number (0 to 65535; empty for no HTTP server)."
        )
    return found


def _playbooks(settings: Settings) -> list[str]:
    """Every playbook and every country's law file, read and checked before the first
    customer's turn rather than in the middle of it."""
    try:
        scan(settings.playbooks_dir)
    except SchemaError as error:
        return [f"playbook {error}"]
    try:
        scan_jurisdictions(settings.jurisdictions_dir)
    except SchemaError as error:
        return [f"jurisdiction {error}"]
    return []


def _store(settings: Settings) -> list[str]:
    if not settings.database_url:
        return _data_dir(settings.data_dir)
    if not _positive(settings.claim_seconds):
        return [f"FAIRSHAKE_CLAIM_SECONDS: {settings.claim_seconds!r} is not a number of seconds."]
    try:
        asyncio.run(reach(settings.database_url))
    except StoreError as error:
        return [f"FAIRSHAKE_DATABASE_URL: {error}"]
    return []


def _positive(text: str) -> bool:
    try:
        return 0 < float(text) < float("inf")
    except ValueError:
        return False


def _data_dir(path: Path) -> list[str]:
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".check-"):
            pass
    except OSError as error:
        return [
            f"FAIRSHAKE_DATA_DIR: cannot write to {str(path)!r} ({os.strerror(error.errno or 0) or error})."
        ]
    try:
        lock = FolderLock(path)
    except FolderInUse:
        return []  # the running bot holds it: opening it here would replay its live journal
    with lock:
        try:
            TinyDBStore(path)
        except StoreError as error:
            return [f"FAIRSHAKE_DATA_DIR: {error}"]
    return []


def summary(settings: Settings) -> str:
    """What would run, for the success line."""
    names = [adapter.name for adapter in adapters_to_run(settings)]
    where = safe_url(settings.database_url) if settings.database_url else settings.data_dir
    line = f"configuration OK: would run {', '.join(names)}; data in {where}"
    if names == ["console"]:
        line += (
            "\nnote: no platform token is set, so only the terminal chat would run (not a service)"
        )
    return line


def check(settings: Settings) -> int:
    """`fairshake check`: print each problem, or what would run; exit 1 or 0."""
    found = problems(settings)
    for problem in found:
        print(f"problem: {problem}")
    if found:
        return 1
    print(summary(settings))
    return 0
