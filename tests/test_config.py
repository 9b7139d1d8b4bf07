"""Settings: the environment over an optional .env file, with defaults."""

from pathlib import Path

from bot.config import load_settings


def test_defaults_without_env_or_file(tmp_path):
    settings = load_settings({}, env_file=tmp_path / ".env")
    assert settings.data_dir == Path("data")
    assert settings.timezone == "UTC"
    assert settings.log_level == "INFO"


def test_env_file_read_and_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(
        '# comment\nexport FAIRSHAKE_TIMEZONE="Europe/Berlin"\nFAIRSHAKE_LOG_LEVEL=debug\n\nJUNK LINE\n'
        "TELEGRAM_BOT_TOKEN='123:abc'\n",
        "utf-8",
    )
    settings = load_settings({"FAIRSHAKE_LOG_LEVEL": "warning"}, env_file=env_file)
    assert settings.timezone == "Europe/Berlin"
    assert settings.log_level == "WARNING"
    assert settings.get("TELEGRAM_BOT_TOKEN") == "123:abc"
