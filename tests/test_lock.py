"""The lock files pin every dependency pyproject.toml names, with hashes, and agree.

A dependency added to pyproject.toml without `make lock` would install in no fresh
clone (`make` installs from the lock with --no-deps on top): this says so in CI, with
the package's name, before anyone's machine does.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", re.MULTILINE)


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: str) -> dict[str, str]:
    text = (ROOT / lock).read_text("utf-8")
    return {normalised(name): version for name, version in PIN.findall(text)}


def required(spec: str) -> str:
    return normalised(re.match(r"[A-Za-z0-9._-]+", spec)[0])  # type: ignore[index]


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]


@pytest.mark.parametrize(
    ("lock", "extras"), [("requirements.lock", []), ("requirements-dev.lock", ["dev"])]
)
def test_the_lock_pins_every_dependency_of_pyproject(lock, extras):
    specs = project()["dependencies"] + [
        s for e in extras for s in project()["optional-dependencies"][e]
    ]
    missing = {required(spec) for spec in specs} - set(pins(lock))
    assert not missing, f"not in {lock}: run `make lock`"


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_every_pin_carries_a_hash(lock):
    blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / lock).read_text("utf-8"))
    unhashed = [
        block.split()[0] for block in blocks if "==" in block and "--hash=sha256:" not in block
    ]
    assert not unhashed


def test_the_image_and_the_dev_tools_get_the_same_versions():
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    assert {name: dev.get(name) for name in runtime} == runtime
