"""`fairshake health`: is the running bot alive? Answered in milliseconds, for containers.

Two ways to tell, chosen by the settings: with `FAIRSHAKE_HTTP_PORT` set, a GET of the
running bot's `/healthz` (bot/probes.py); without it (or with port 0, any free port,
which only the bot's log names), the age of the heartbeat file the running bot touches
in its data folder. This module imports only the standard library and the settings,
never the engine or a platform library: a probe every 30 seconds must not cost a
second of CPU.
"""

from __future__ import annotations

import contextlib
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bot.config import Settings

HEARTBEAT_EVERY = 30.0
"""Seconds between touches of the heartbeat file by the running bot (bot/serve.py)."""
HEARTBEAT_MAX_AGE = 90.0
PROBE_TIMEOUT = 5.0
ANY_ADDRESS = ("", "0.0.0.0", "::")


def heartbeat_path(settings: Settings) -> Path:
    return settings.data_dir / "heartbeat"


def healthz_url(settings: Settings) -> str | None:
    """The running bot's /healthz, or None when the HTTP endpoints are off."""
    port = settings.http_port
    if port in ("", "0"):  # 0: any free port, which only the running bot's log names
        return None
    host = settings.http_listen
    if host in ANY_ADDRESS:
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/healthz"


def health(settings: Settings) -> int:
    """0 when the running bot answers (or its heartbeat is fresh); 1 with the reason."""
    url = healthz_url(settings)
    problem = _heartbeat_problem(heartbeat_path(settings)) if url is None else _http_problem(url)
    if problem is None:
        return 0
    print(f"unhealthy: {problem}", file=sys.stderr)
    return 1


def _heartbeat_problem(path: Path) -> str | None:
    with contextlib.suppress(OSError):
        if time.time() - path.stat().st_mtime < HEARTBEAT_MAX_AGE:
            return None
    return f"no heartbeat in {path} within {HEARTBEAT_MAX_AGE:.0f}s"


def _http_problem(url: str) -> str | None:
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with direct.open(url, timeout=PROBE_TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as error:
        return f"{url} answered {error.code}: {error.read().decode(errors='replace').strip()}"
    except (OSError, ValueError) as error:
        return f"{url} did not answer ({getattr(error, 'reason', error)})"
    return None
