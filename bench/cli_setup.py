"""The setup shared by the benches that measure keydoctor against the AWS CLI.

``check_vs_cli.py``, ``check_instructions.py``, ``offline_vs_cli.py`` and
``s3compat_vs_cli.py`` compare the two programs as a person runs them: as subprocesses,
reading a credentials file from HOME. A comparison is fair only if both sides read the
same files and nothing else, so every bench needs the same three things, kept here once:

* the AWS CLI to run (:func:`aws_cli`);
* a fresh HOME with ``.aws/credentials`` and ``.aws/config`` and an environment that
  points at it with every ``AWS_*`` variable of the caller's shell removed (:func:`cli_env`);
* for the online benches, a local moto server with IAM authentication enforced, a bucket
  and a user allowed to read it (:func:`moto_bench`).

Each bench keeps its own measuring code; only the setup lives here. Import it as
``from cli_setup import ...``: a bench run as ``python bench/NAME.py`` has ``bench/`` first
on its path.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keydoctor.lab.emulator import Emulator, Keys

# One region for both programs: without it the AWS CLI and keydoctor would each fall back
# to their own default, and a region lookup would be part of what one side measures.
DEFAULT_CONFIG = "[default]\nregion = us-east-1\n"

BUCKET = "bench-bucket"
USER = "bench-user"
# What the online check reads: identity, the bucket's region, listing and objects, and the
# user's own IAM entries. Broad enough that every probe gets an answer, not a denial, so the
# time measured is the check's full run rather than an early stop.
USER_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["s3:*", "iam:Get*", "iam:List*", "sts:GetCallerIdentity"],
            "Resource": "*",
        }
    ],
}


def aws_cli() -> str:
    """The AWS CLI to compare against: the one beside this interpreter, else the one on PATH.

    The bench extra installs the CLI into the same virtual environment as keydoctor; that copy
    is preferred so both programs run on the same Python, whatever else PATH holds.
    """
    local = Path(sys.executable).with_name("aws")
    found = str(local) if local.exists() else shutil.which("aws")
    if not found:
        raise SystemExit("the AWS CLI is missing: pip install -e '.[bench]'")
    return found


def credentials_ini(access_key_id: str, secret_access_key: str) -> str:
    """A credentials file with one ``[default]`` profile holding this key pair."""
    return (
        f"[default]\naws_access_key_id = {access_key_id}\n"
        f"aws_secret_access_key = {secret_access_key}\n"
    )


@contextmanager
def cli_env(
    credentials: str,
    config: str = DEFAULT_CONFIG,
    *,
    prefix: str = "kd-bench-",
    private: bool = False,
) -> Iterator[dict[str, str]]:
    """An environment whose HOME is a fresh folder holding exactly these two AWS files.

    The caller's ``AWS_*`` variables are dropped, so a profile, keys or endpoint set in the
    shell cannot leak into one side of the comparison. Instance metadata is turned off
    (off EC2, a lookup there only waits for its timeout) and ``AWS_PAGER`` emptied (a v2
    CLI would otherwise send its output through a pager). ``private`` makes the credentials
    file mode 600, as ``aws configure`` writes it; keydoctor reports a file others can read,
    so the choice changes what its check finds. The folder is removed on leaving.

    The environment is a new dict for the caller to change (add a setup's variables, drop
    one it does not want).
    """
    home = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        (home / ".aws").mkdir()
        (home / ".aws" / "credentials").write_text(credentials)
        (home / ".aws" / "config").write_text(config)
        if private:
            os.chmod(home / ".aws" / "credentials", 0o600)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(HOME=str(home), AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="")
        yield env
    finally:
        shutil.rmtree(home, ignore_errors=True)


@dataclass(frozen=True)
class MotoBench:
    """A running moto server set up for the online benches, and what they need of it."""

    emulator: Emulator
    keys: Keys  # the bench user's (allowed USER_POLICY), not the admin's
    bucket: str

    @property
    def endpoint_args(self) -> list[str]:
        """``--endpoint-url`` with the server's address, for either program's command line."""
        return ["--endpoint-url", self.emulator.endpoint]


@contextmanager
def moto_bench() -> Iterator[MotoBench]:
    """Start moto, make a bucket and a user allowed :data:`USER_POLICY`, then enforce IAM.

    Authentication is enforced last, after the admin has set everything up, so that both
    programs are answered as by AWS: signed requests checked against the user's policy.
    The server is stopped on leaving. Emulator is imported here, not at the top, so the
    offline benches never load boto3 and moto.
    """
    from keydoctor.lab.emulator import Emulator

    emulator = Emulator.start_subprocess()
    try:
        emulator.create_admin()
        emulator.create_bucket(BUCKET)
        keys = emulator.create_user(USER, USER_POLICY)
        emulator.enforce_auth()
        yield MotoBench(emulator, keys, BUCKET)
    finally:
        emulator.stop()
