"""Settings from environment variables, with an optional `.env` file beneath them.

The environment wins over `.env`, so an operator can override a file setting for one
run. Every setting is listed in `SETTINGS` with its default and meaning; the README's
configuration table is checked against it by a test.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: str
    meaning: str


CLOSED_CASES_KEPT = 10
"""Closed cases a person's record keeps by default; older ones are archived (bot/archive.py)."""

SETTINGS = (
    Setting("FAIRSHAKE_DATA_DIR", "data", "Folder for the store (one small file per person)."),
    Setting(
        "FAIRSHAKE_DATABASE_URL",
        "",
        "`postgresql://USER@HOST:PORT/DB` keeps the store in PostgreSQL, which several"
        " instances may share (deploy/README.md); empty means the data folder.",
    ),
    Setting(
        "FAIRSHAKE_PLAYBOOKS_DIR",
        "",
        "Folder of your own shops' playbooks, one TOML file each, read beside the packaged"
        " ones (`fairshake playbooks` lists and checks them); empty means none.",
    ),
    Setting(
        "FAIRSHAKE_JURISDICTIONS_DIR",
        "",
        "Folder of your own countries' law files, one TOML file each, read beside the"
        ' packaged ones (a country `within = "EU"` adds to the EU\'s rules; `fairshake'
        " playbooks` lists and checks them); empty means none.",
    ),
    Setting(
        "FAIRSHAKE_CLAIM_SECONDS",
        "90",
        "With PostgreSQL: how long an instance's claim on a reminder or reply it sends"
        " lasts; one an instance died sending goes from another after this.",
    ),
    Setting(
        "FAIRSHAKE_TIMEZONE", "UTC", "Time zone for people who have not set theirs with /timezone."
    ),
    Setting(
        "FAIRSHAKE_RATE_LIMIT",
        "30",
        "Messages a person may send per minute, in all (instances sharing a database count together); beyond it they are asked, once, to slow down (0: no limit).",
    ),
    Setting(
        "FAIRSHAKE_CLOSED_CASES_KEPT",
        str(CLOSED_CASES_KEPT),
        "Closed cases kept with a person's open ones; older ones are stored apart, so a turn"
        " costs the same however many a person has had (/export still has them all).",
    ),
    Setting(
        "FAIRSHAKE_LOG_LEVEL",
        "INFO",
        "Log level; case content and tokens are never logged at INFO.",
    ),
    Setting(
        "FAIRSHAKE_LOG_FORMAT",
        "text",
        "Log lines as `text`, or `json` for one JSON object per line.",
    ),
    Setting(
        "FAIRSHAKE_LOG_SECRET",
        "",
        "Key of the digests that name people in logs (16 characters or more, the same for"
        " every instance); empty means one made once and kept in the store.",
    ),
    Setting(
        "FAIRSHAKE_HTTP_PORT",
        "",
        "Port for `/healthz`, `/readyz` and `/metrics` (Prometheus); empty means no HTTP server.",
    ),
    Setting(
        "FAIRSHAKE_HTTP_LISTEN",
        "127.0.0.1",
        "Address the `/healthz`, `/readyz` and `/metrics` server listens on.",
    ),
)


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database_url: str
    """Empty: the store is the TinyDB data folder."""
    playbooks_dir: Path | None
    """An operator's own playbooks, beside the packaged ones."""
    jurisdictions_dir: Path | None
    """An operator's own countries' law files, beside the packaged ones."""
    claim_seconds: str
    """Checked by `fairshake check` (a positive number)."""
    timezone: str
    rate_limit: int
    """Events per person per minute; 0 means no limit."""
    closed_kept: int
    """Closed cases a record keeps; -1 when the setting is not a whole number."""
    log_level: str
    log_format: str
    log_secret: str
    """Empty: the store's own (`Store.log_secret`)."""
    http_port: str
    """Empty: no HTTP server. Checked by `fairshake check` (bot/checks.py)."""
    http_listen: str
    values: Mapping[str, str]
    """Every variable seen (environment over `.env`), for adapters' own settings."""

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default).strip()


def read_env_file(path: Path) -> dict[str, str]:
    """`KEY=value` lines; `#` comments, blank lines and `export ` prefixes allowed."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path = Path(".env")
) -> Settings:
    values = {**read_env_file(env_file), **(os.environ if environ is None else environ)}
    defaults = {setting.name: setting.default for setting in SETTINGS}

    def value(name: str) -> str:
        return values.get(name, "").strip() or defaults[name]

    return Settings(
        data_dir=Path(value("FAIRSHAKE_DATA_DIR")),
        database_url=value("FAIRSHAKE_DATABASE_URL"),
        playbooks_dir=Path(folder) if (folder := value("FAIRSHAKE_PLAYBOOKS_DIR")) else None,
        jurisdictions_dir=(Path(laws) if (laws := value("FAIRSHAKE_JURISDICTIONS_DIR")) else None),
        claim_seconds=value("FAIRSHAKE_CLAIM_SECONDS"),
        timezone=value("FAIRSHAKE_TIMEZONE"),
        rate_limit=int(rate) if (rate := value("FAIRSHAKE_RATE_LIMIT")).isdigit() else -1,
        closed_kept=int(kept) if (kept := value("FAIRSHAKE_CLOSED_CASES_KEPT")).isdigit() else -1,
        log_level=value("FAIRSHAKE_LOG_LEVEL").upper(),
        log_format=value("FAIRSHAKE_LOG_FORMAT").lower(),
        log_secret=value("FAIRSHAKE_LOG_SECRET"),
        http_port=value("FAIRSHAKE_HTTP_PORT"),
        http_listen=value("FAIRSHAKE_HTTP_LISTEN"),
        values=values,
    )
