"""deploy/compose.postgres.yaml (PostgreSQL, the schema upgrade, two bot replicas behind
Caddy in Telegram webhook mode) agrees with the program and with itself, and the
operator's guide covers moving to it.

No Docker engine runs here, nor the `docker compose` plugin: the file is parsed as YAML
(anchors and merge keys resolved, as Compose does) and checked for what the replicas
rely on.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from adapters.telegram import TelegramAdapter
from bot.cli import main as fairshake
from tests.test_deploy import DEPLOY, dockerfile_instructions, env_values, final_stage

COMPOSE = DEPLOY / "compose.postgres.yaml"
CADDYFILE = DEPLOY / "Caddyfile.postgres"
INTERPOLATION = re.compile(r"\$\{(\w+)(?::?[?-][^}]*)?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text("utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose["services"])


def interpolated(value: str, variables: dict[str, str]) -> str:
    """`${NAME:?message}` replaced as Compose would, from `variables`."""
    return INTERPOLATION.sub(lambda match: variables[match[1]], value)


def default_of(name: str) -> str:
    (setting,) = [s for s in TelegramAdapter.SETTINGS if s.name == name]
    return setting.default


def test_the_profile_runs_the_database_the_upgrade_two_replicas_and_the_proxy(compose):
    assert set(services(compose)) == {"postgres", "migrate", "fairshake", "caddy"}
    bot = services(compose)["fairshake"]
    assert bot["deploy"]["replicas"] >= 2
    assert "ports" not in bot, "replicas cannot share a published port: the proxy reaches them"
    assert "container_name" not in bot, "replicas need names of their own"


def test_every_replica_reaches_the_database_the_postgres_service_creates(compose):
    database = services(compose)["postgres"]["environment"]
    variables = {"POSTGRES_PASSWORD": "pw"}
    for name in ("migrate", "fairshake"):
        url = interpolated(
            services(compose)[name]["environment"]["FAIRSHAKE_DATABASE_URL"], variables
        )
        parts = urlsplit(url)
        assert parts.scheme == "postgresql"
        assert parts.hostname == "postgres" and (parts.port or 5432) == 5432
        assert parts.username == database["POSTGRES_USER"]
        assert parts.password == interpolated(database["POSTGRES_PASSWORD"], variables)
        assert parts.path.lstrip("/") == database["POSTGRES_DB"]
    healthcheck = " ".join(services(compose)["postgres"]["healthcheck"]["test"])
    assert database["POSTGRES_USER"] in healthcheck and database["POSTGRES_DB"] in healthcheck


def test_the_schema_is_upgraded_once_before_any_replica_starts(compose, capsys):
    migrate, bot = services(compose)["migrate"], services(compose)["fairshake"]
    assert migrate["command"] == ["db", "upgrade"]
    with pytest.raises(SystemExit) as done:  # a command fairshake has
        fairshake([*migrate["command"], "--help"])
    assert done.value.code == 0
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert migrate["build"]["context"] == ".." and migrate["build"]["dockerfile"] == (
        "deploy/Dockerfile"
    )
    assert migrate["image"] == bot["image"], "the replicas run the image migrate builds"


def test_the_replicas_share_their_settings_and_listen_where_the_proxy_looks(compose):
    """The same .env for every replica (token, webhook URL and secret: one secret for all),
    the webhook server on the Compose network, on the port the Caddyfile sends to."""
    bot = services(compose)["fairshake"]
    assert bot["env_file"] == ".env"
    environment = bot["environment"]
    assert environment["TELEGRAM_WEBHOOK_LISTEN"] == "0.0.0.0"
    assert environment["FAIRSHAKE_HTTP_LISTEN"] == "0.0.0.0"
    for per_replica in ("TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_WEBHOOK_URL", "TELEGRAM_BOT_TOKEN"):
        assert per_replica not in environment, f"{per_replica} must be the same everywhere"
    port = environment.get("TELEGRAM_WEBHOOK_PORT", default_of("TELEGRAM_WEBHOOK_PORT"))
    caddy = CADDYFILE.read_text("utf-8")
    assert re.search(r"^\s*name fairshake\s*$", caddy, re.MULTILINE)
    assert re.search(rf"^\s*port {port}\s*$", caddy, re.MULTILINE)
    assert "lb_try_duration" in caddy, "an update a dead replica refused goes to another"


def test_each_replica_keeps_its_heartbeat_in_the_images_data_volume(compose):
    stage = final_stage(dockerfile_instructions(DEPLOY / "Dockerfile"))
    data_dir = services(compose)["fairshake"]["environment"]["FAIRSHAKE_DATA_DIR"]
    assert data_dir == env_values(stage)["FAIRSHAKE_DATA_DIR"]
    assert ("VOLUME", f'["{data_dir}"]') in stage
    assert any(keyword == "HEALTHCHECK" and "health" in args for keyword, args in stage)


def test_the_proxy_serves_https_with_the_caddyfile_for_every_replica(compose):
    caddy = services(compose)["caddy"]
    assert {"80:80", "443:443"} <= set(caddy["ports"])
    assert "./Caddyfile.postgres:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    assert "fairshake" in caddy["depends_on"]


def test_every_named_volume_is_declared_and_the_database_is_kept_in_one(compose):
    used = {
        mount.split(":", 1)[0]
        for service in services(compose).values()
        for mount in service.get("volumes", [])
        if not mount.startswith((".", "/"))
    }
    assert used == set(compose["volumes"])
    assert "pgdata:/var/lib/postgresql/data" in services(compose)["postgres"]["volumes"]


def test_the_guide_says_when_to_move_how_to_import_back_up_and_scale():
    guide = (DEPLOY / "README.md").read_text("utf-8")
    section = guide.split("## 5. Several instances on PostgreSQL", 1)[1].split("\n## ", 1)[0]
    for needed in (
        "fairshake db upgrade",
        "fairshake db import",
        "fairshake db export",
        "pg_dump",
        "pg_restore",
        "compose.postgres.yaml",
        "DISCORD_SHARD",
        "TELEGRAM_WEBHOOK_SECRET",
        "long polling",
        "FAIRSHAKE_CLAIM_SECONDS",
    ):
        assert needed in section, needed
    assert Path(DEPLOY / "compose.postgres.yaml").is_file()
