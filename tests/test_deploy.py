"""deploy/ agrees with the program: the settings, the image, the unit and the Compose file.

Nothing here builds an image or starts a service (CI machines have no Docker engine and
no systemd): the files are read as text and checked for what an operator relies on.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from itertools import takewhile
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
ENV_EXAMPLE = DEPLOY / ".env.example"
UNIT = DEPLOY / "fairshake.service"

SETTING_LINE = re.compile(r"([A-Z][A-Z0-9_]*)=(.*)")
SETTING_NAME = re.compile(r"\b(?:FAIRSHAKE|TELEGRAM|DISCORD)_[A-Z0-9_]*[A-Z0-9]\b")
GROUPS = ("FAIRSHAKE_", "TELEGRAM_", "DISCORD_")
"""The order of the groups in .env.example: core, Telegram, Discord."""


def readme_settings() -> dict[str, str]:
    """The README's configuration table, read now: setting name -> default."""
    text = (ROOT / "README.md").read_text("utf-8")
    table = text.split("<!-- settings-table -->", 1)[1].lstrip().splitlines()
    cells = [line.strip().strip("|").split("|") for line in takewhile(str.strip, table)]
    return {name.strip().strip("`"): default.strip().strip("`") for name, default, *_ in cells[2:]}


def env_example() -> list[tuple[str, str, str]]:
    """(name, value, the line before) for each setting line of .env.example."""
    lines = ENV_EXAMPLE.read_text("utf-8").splitlines()
    found = []
    for before, line in zip(["", *lines], lines, strict=False):
        if match := SETTING_LINE.fullmatch(line.strip()):
            found.append((match[1], match[2], before.strip()))
    return found


# -- .env.example --------------------------------------------------------------------------


def test_env_example_lists_exactly_the_readme_settings():
    """An operator who copies .env.example sees every setting the README documents, and
    no setting the program does not read. Adding a row to the README table means adding
    the setting (with a comment line above it) to deploy/.env.example, and the reverse."""
    listed = [name for name, _, _ in env_example()]
    documented = set(readme_settings())
    assert len(listed) == len(set(listed)), "a setting is listed twice in .env.example"
    missing, unknown = documented - set(listed), set(listed) - documented
    assert not missing, f"add to deploy/.env.example, with a comment line: {sorted(missing)}"
    assert not unknown, f"in deploy/.env.example but not in README.md's table: {sorted(unknown)}"


def test_env_example_explains_every_setting_in_a_comment_line_above_it():
    """Each setting has its own one-line explanation right above it."""
    for name, _, before in env_example():
        assert re.fullmatch(r"#\s*\S.*", before), f"{name} has no comment line right above it"


def test_env_example_keeps_the_defaults_and_leaves_tokens_empty():
    """Copying the file changes nothing until the operator fills it in: each value is
    empty or the README's default, and no token or secret is pre-filled."""
    defaults = readme_settings()
    for name, value, _ in env_example():
        if name.endswith(("_TOKEN", "_SECRET")):
            assert value == "", f"{name} must be left empty in .env.example"
        assert value in ("", defaults.get(name)), f"{name}={value} is not the README default"


def test_env_example_groups_core_then_telegram_then_discord():
    """Settings stand in blocks, one per group, in the order core, Telegram, Discord."""
    groups = [
        next(i for i, g in enumerate(GROUPS) if name.startswith(g)) for name, *_ in env_example()
    ]
    assert groups == sorted(groups)


def test_deploy_files_name_only_real_settings():
    """A setting named in the Dockerfile, the Compose file, the unit or the deploy guide
    is one the program reads (a typo there would silently do nothing)."""
    documented = set(readme_settings())
    for name in (
        "Dockerfile",
        "compose.yaml",
        "compose.postgres.yaml",
        "fairshake.service",
        "README.md",
        "Caddyfile",
        "Caddyfile.postgres",
    ):
        used = set(SETTING_NAME.findall((DEPLOY / name).read_text("utf-8")))
        assert used <= documented, f"deploy/{name} names unknown settings: {used - documented}"


# -- Dockerfile ----------------------------------------------------------------------------


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order: comments and blank lines dropped, lines ending
    in a backslash joined with the next (comment lines inside a continuation skipped)."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text("utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        instructions.append((keyword.upper(), " ".join(args.split())))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return dockerfile_instructions(DEPLOY / "Dockerfile")


def final_stage(instructions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    start = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[start:]


def env_values(stage: list[tuple[str, str]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for keyword, args in stage:
        if keyword == "ENV":
            values.update(word.split("=", 1) for word in shlex.split(args) if "=" in word)
    return values


def test_dockerfile_parser_joins_continuations_and_skips_comments(tmp_path):
    """The little parser the checks below rely on reads a Dockerfile as Docker does."""
    sample = tmp_path / "Dockerfile"
    sample.write_text("# c\nFROM a:1.2.3\nRUN one \\\n  # inside\n  two \\\n  three\nuser  x\n")
    assert dockerfile_instructions(sample) == [
        ("FROM", "a:1.2.3"),
        ("RUN", "one two three"),
        ("USER", "x"),
    ]


def test_dockerfile_base_image_is_official_python_pinned_to_a_patch_release(dockerfile):
    """Every FROM names an exact Python release (3.12.12, not `latest` or `3`), so a
    rebuild months later gets the same Python."""
    for keyword, args in dockerfile:
        if keyword != "FROM":
            continue
        image = next(word for word in args.split() if not word.startswith("--"))
        name, _, tag = image.split("@")[0].partition(":")
        assert name in ("python", "docker.io/library/python"), f"not the official image: {image}"
        assert re.match(r"\d+\.\d+\.\d+(-|$)", tag), f"base image not pinned to a release: {image}"


def test_dockerfile_runs_as_a_non_root_user(dockerfile):
    """The bot never runs as root in its container: the last USER before the start
    command names someone else."""
    stage = final_stage(dockerfile)
    start = max(i for i, (keyword, _) in enumerate(stage) if keyword in ("ENTRYPOINT", "CMD"))
    users = [args for keyword, args in stage[:start] if keyword == "USER"]
    assert users, "no USER: the container would run as root"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_dockerfile_starts_fairshake_in_exec_form_with_a_healthcheck(dockerfile):
    """`docker stop` reaches the bot itself (exec form, SIGTERM), and Docker can tell a
    stuck bot from a running one with `fairshake health`."""
    stage = dict(final_stage(dockerfile))
    assert json.loads(stage["ENTRYPOINT"])[0] == "fairshake"
    assert stage.get("STOPSIGNAL", "SIGTERM") == "SIGTERM"
    health = stage.get("HEALTHCHECK", "NONE")
    assert health != "NONE", "no HEALTHCHECK"
    command = health.split(" CMD ", 1)[1]
    assert "fairshake health" in command or json.loads(command) == ["fairshake", "health"]


def test_dockerfile_keeps_the_data_folder_in_a_volume(dockerfile):
    """The data folder the bot uses in the container is a volume, so a rebuilt or
    replaced container keeps every case."""
    stage = final_stage(dockerfile)
    data_dir = env_values(stage)["FAIRSHAKE_DATA_DIR"]
    volumes = [
        volume
        for keyword, args in stage
        if keyword == "VOLUME"
        for volume in (json.loads(args) if args.startswith("[") else args.split())
    ]
    assert data_dir in volumes


def test_dockerfile_installs_the_locked_versions_then_the_project(dockerfile):
    """The dependencies come from requirements.lock with their hashes (two builds on
    different days install the same bytes), the project on top with no dependencies of
    its own choosing, and everything the install needs is copied: the lock, the
    metadata, its readme and every package the metadata names."""
    runs = [args for keyword, args in dockerfile if keyword == "RUN"]
    locked = next(i for i, args in enumerate(runs) if "-r requirements.lock" in args)
    assert "--require-hashes" in runs[locked]
    steps = runs[locked].split("&&")
    lock_step = next(i for i, step in enumerate(steps) if "-r requirements.lock" in step)
    project_step = next(
        i for i, step in enumerate(steps) if re.search(r"pip install .* \.\s*$", step)
    )
    assert lock_step < project_step
    assert "--no-deps" in steps[project_step]
    copied = {
        source.rstrip("/")
        for keyword, args in dockerfile
        if keyword == "COPY" and "--from" not in args
        for source in args.split()[:-1]
    }
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    include = project["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if any(fnmatch.fnmatch(path.parent.name, pattern) for pattern in include)
    }
    assert packages
    needed = {"pyproject.toml", "requirements.lock", project["project"]["readme"], *packages}
    assert not needed - copied, "not copied into the image"
    assert all((ROOT / source).exists() for source in copied)


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore keeps `path` out of the build context: the last pattern that
    matches the path or a folder above it decides (`!` lets it back in, `**/` stands for
    any folders)."""
    parts = PurePosixPath(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    tails = ["/".join(parts[j : i + 1]) for i in range(len(parts)) for j in range(i + 1)]
    ignored = False
    for pattern in patterns:
        glob = pattern.removeprefix("!").strip("/")
        names, glob = (tails, glob[3:]) if glob.startswith("**/") else (prefixes, glob)
        if any(fnmatch.fnmatchcase(name, glob) for name in names):
            ignored = not pattern.startswith("!")
    return ignored


def test_dockerignore_lets_in_what_the_image_copies_and_never_secrets_or_data(dockerfile):
    """The build context (the repository root) carries the sources but not the
    operator's .env, a data folder, the virtual environment or the git history."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for path in (
        "pyproject.toml",
        "README.md",
        "requirements.lock",
        "bot/cli.py",
        "flows/playbooks/amazon.toml",
    ):
        assert not dockerignored(path, patterns), path
    for path in (
        ".env",
        "deploy/.env",
        "data/meta.json",
        ".venv/bin/python",
        ".git/HEAD",
        "bot/__pycache__/cli.cpython-312.pyc",
    ):
        assert dockerignored(path, patterns), path


# -- compose.yaml --------------------------------------------------------------------------


def compose_service(name: str) -> str:
    """The uncommented lines of one service's block in compose.yaml."""
    text = (DEPLOY / "compose.yaml").read_text("utf-8")
    lines = [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    start = lines.index(f"  {name}:")
    block = takewhile(lambda line: line.startswith("    "), lines[start + 1 :])
    return "\n".join(block)


def test_compose_runs_the_bot_with_its_env_file_and_a_named_data_volume(dockerfile):
    """The Compose service builds this Dockerfile from the repository root, reads .env,
    keeps the data folder in a named volume at the path the bot uses, and restarts."""
    service = compose_service("fairshake")
    text = (DEPLOY / "compose.yaml").read_text("utf-8")
    data_dir = env_values(final_stage(dockerfile))["FAIRSHAKE_DATA_DIR"]
    assert re.search(r"^\s+env_file:\s*\.env\s*$", service, re.MULTILINE)
    assert re.search(r"^\s+context:\s*\.\.\s*$", service, re.MULTILINE)
    assert re.search(r"^\s+dockerfile:\s*deploy/Dockerfile\s*$", service, re.MULTILINE)
    assert re.search(rf"^\s+FAIRSHAKE_DATA_DIR:\s*{re.escape(data_dir)}\s*$", service, re.MULTILINE)
    volume = re.search(
        rf"^\s+-\s*([A-Za-z0-9_-]+):{re.escape(data_dir)}\s*$", service, re.MULTILINE
    )
    assert volume, "the data folder is not a named volume"
    assert re.search(rf"^volumes:\s*\n(?:\s*#.*\n)*\s+{volume[1]}:", text, re.MULTILINE)
    assert re.search(r"^\s+restart:\s*unless-stopped\s*$", service, re.MULTILINE)
    assert re.search(r"^\s+stop_grace_period:\s*\d+s\s*$", service, re.MULTILINE)
    assert (DEPLOY / "Caddyfile").is_file()


# -- fairshake.service ---------------------------------------------------------------------


def unit_settings() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text("utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith(("#", ";", "[")):
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_unit_restarts_on_failure_and_is_hardened():
    """The unit runs the venv's `fairshake` as its own user, restarts it after a crash,
    gives it time to stop cleanly, and locks down everything it does not need; the one
    writable place is the data folder that .env.example's setting points to."""
    unit = unit_settings()
    expected = {
        "User": "fairshake",
        "ExecStart": "/opt/fairshake/.venv/bin/fairshake",
        "Restart": "on-failure",
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectControlGroups": "yes",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
        "LockPersonality": "yes",
        "MemoryDenyWriteExecute": "yes",
        "RestrictRealtime": "yes",
        "RestrictSUIDSGID": "yes",
        "SystemCallArchitectures": "native",
        "CapabilityBoundingSet": "",
    }
    for key, value in expected.items():
        assert unit.get(key) == [value], f"{key}= should be {value!r}"
    assert "TimeoutStopSec" in unit
    workdir = PurePosixPath(unit["WorkingDirectory"][0])
    data_dir = dict((name, value) for name, value, _ in env_example())["FAIRSHAKE_DATA_DIR"]
    assert unit["ReadWritePaths"] == [str(workdir / data_dir)]
    assert unit["EnvironmentFile"] == [str(workdir / ".env")]


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)
def test_unit_passes_systemd_analyze_verify(tmp_path):
    """`systemd-analyze verify` accepts the unit with no warning about it.

    verify refuses a unit whose ExecStart binary does not exist, and
    /opt/fairshake/.venv/bin/fairshake exists only on a server, so a temporary copy of
    the unit is checked with ExecStart pointed at this Python instead; every other line
    is the real one. verify exits 0 even for unknown keys or bad values (it only warns),
    so any line of output about the unit fails the test too."""
    copy = tmp_path / UNIT.name
    text = UNIT.read_text("utf-8")
    copy.write_text(re.sub(r"(?m)^ExecStart=.*$", f"ExecStart={sys.executable}", text), "utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    about_unit = [
        line for line in (result.stdout + result.stderr).splitlines() if UNIT.name in line
    ]
    assert result.returncode == 0, result.stdout + result.stderr
    assert not about_unit
