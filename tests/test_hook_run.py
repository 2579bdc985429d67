"""``keydoctor run`` and the pytest plugin, as users run them: real subprocesses, real moto.

The programs below are ordinary boto3 code that knows nothing of keydoctor.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest

from keydoctor.lab.emulator import Emulator

WRONG_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzz9Xk3Tq2P"

APP = textwrap.dedent(
    """
    import os, sys
    import boto3
    from botocore.exceptions import ClientError

    client = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=os.environ["TEST_ENDPOINT"],
        aws_access_key_id=os.environ["TEST_KEY_ID"],
        aws_secret_access_key=os.environ["TEST_SECRET"],
    )
    try:
        client.list_objects_v2(Bucket=os.environ["TEST_BUCKET"])
    except ClientError as exc:
        print("caught", type(exc).__name__, exc.response["Error"]["Code"])
        print(str(exc))
        print("has attribute", hasattr(exc, "keydoctor"))
        sys.exit(3)
    print("no error")
    """
)


@pytest.fixture(scope="module")
def bucket_and_user(moto_server: Emulator) -> dict[str, Any]:
    suffix = uuid.uuid4().hex[:8]
    bucket = f"kd-run-{suffix}"
    moto_server.create_bucket(bucket)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
    return {"bucket": bucket, "keys": moto_server.create_user(f"run-user-{suffix}", policy)}


def program_env(
    clean_env: dict[str, str], server: Emulator, world: dict[str, Any], secret: str
) -> dict[str, str]:
    env = dict(clean_env)
    env.update(
        TEST_ENDPOINT=server.endpoint,
        TEST_KEY_ID=world["keys"].access_key_id,
        TEST_SECRET=secret,
        TEST_BUCKET=world["bucket"],
    )
    return env


def test_run_adds_the_diagnosis_without_code_changes(
    tmp_path: Path,
    clean_env: dict[str, str],
    moto_server: Emulator,
    bucket_and_user: dict[str, Any],
) -> None:
    app = tmp_path / "app.py"
    app.write_text(APP)
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "sitecustomize.py").write_text(
        "import sys\nsys.stderr.write('their sitecustomize ran\\n')\n"
    )
    env = program_env(clean_env, moto_server, bucket_and_user, WRONG_SECRET)
    env["PYTHONPATH"] = str(theirs)
    result = subprocess.run(
        [sys.executable, "-m", "keydoctor", "run", "--", sys.executable, str(app)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 3, result.stderr  # the program's own exit code
    assert "caught ClientError SignatureDoesNotMatch" in result.stdout
    assert "has attribute True" in result.stdout
    lines = [line for line in result.stdout.splitlines() if line.startswith("keydoctor:")]
    assert len(lines) == 1 and lines[0].startswith("keydoctor: [secret-wrong] ")
    assert "their sitecustomize ran" in result.stderr  # chained, not replaced
    assert WRONG_SECRET not in result.stdout + result.stderr


def test_without_run_the_program_is_unchanged(
    tmp_path: Path,
    clean_env: dict[str, str],
    moto_server: Emulator,
    bucket_and_user: dict[str, Any],
) -> None:
    app = tmp_path / "app.py"
    app.write_text(APP)
    env = program_env(clean_env, moto_server, bucket_and_user, WRONG_SECRET)
    result = subprocess.run(
        [sys.executable, str(app)], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 3
    assert "has attribute False" in result.stdout
    assert "keydoctor:" not in result.stdout


def test_run_passes_success_through(
    tmp_path: Path,
    clean_env: dict[str, str],
    moto_server: Emulator,
    bucket_and_user: dict[str, Any],
) -> None:
    app = tmp_path / "app.py"
    app.write_text(APP)
    env = program_env(
        clean_env, moto_server, bucket_and_user, bucket_and_user["keys"].secret_access_key
    )
    result = subprocess.run(
        [sys.executable, "-m", "keydoctor", "run", "--", sys.executable, str(app)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "no error"
    assert result.stderr == ""


def test_run_without_a_command_is_a_usage_error(clean_env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "keydoctor", "run"],
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("keydoctor: error:")


def test_child_environment_keeps_existing_pythonpath() -> None:
    from keydoctor.commands.run import child_environment
    from keydoctor.integration.autostart import directory

    env = child_environment({"PYTHONPATH": os.pathsep.join(["/a", "/b"])}, probe=True)
    assert env["PYTHONPATH"].split(os.pathsep) == [directory(), "/a", "/b"]
    assert env["KEYDOCTOR_PROBE"] == "1"
    assert (Path(directory()) / "sitecustomize.py").is_file()


TEST_FILE = textwrap.dedent(
    """
    import os
    import boto3
    import pytest

    def make_client(secret):
        return boto3.client(
            "s3",
            region_name="us-east-1",
            endpoint_url=os.environ["TEST_ENDPOINT"],
            aws_access_key_id=os.environ["TEST_KEY_ID"],
            aws_secret_access_key=secret,
        )

    def test_wrong_secret():
        make_client(os.environ["TEST_SECRET"]).list_objects_v2(Bucket=os.environ["TEST_BUCKET"])

    def test_wrapped_error():
        try:
            make_client(os.environ["TEST_SECRET"]).list_objects_v2(Bucket=os.environ["TEST_BUCKET"])
        except Exception as exc:
            raise RuntimeError("could not list the bucket") from exc

    def test_plain_failure():
        assert 1 == 2

    def test_passes():
        assert True
    """
)


def run_pytest(
    tmp_path: Path, env: dict[str, str], *extra: str
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_user_code.py").write_text(TEST_FILE)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra, str(tmp_path)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_pytest_plugin_adds_the_diagnosis(
    tmp_path: Path,
    clean_env: dict[str, str],
    moto_server: Emulator,
    bucket_and_user: dict[str, Any],
) -> None:
    env = program_env(clean_env, moto_server, bucket_and_user, WRONG_SECRET)
    result = run_pytest(tmp_path, env)
    out = result.stdout
    assert result.returncode == 1  # the failures stay failures
    assert "3 failed, 1 passed" in out
    assert out.count("keydoctor diagnosis") == 2  # the direct and the wrapped error
    assert "keydoctor: [secret-wrong] " in out
    assert WRONG_SECRET not in out


def test_pytest_plugin_can_be_turned_off(
    tmp_path: Path,
    clean_env: dict[str, str],
    moto_server: Emulator,
    bucket_and_user: dict[str, Any],
) -> None:
    env = program_env(clean_env, moto_server, bucket_and_user, WRONG_SECRET)
    result = run_pytest(tmp_path, env, "-p", "no:keydoctor")
    assert "3 failed, 1 passed" in result.stdout
    assert "keydoctor diagnosis" not in result.stdout


def test_plugin_survives_hostile_exceptions() -> None:
    from keydoctor.pytest_plugin import section_text

    class Broken(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no text")

    Broken.__module__ = "botocore.exceptions"
    assert section_text(Broken()) is None
    assert section_text(ValueError("not AWS")) is None


def test_run_wraps_the_aws_cli_too(
    clean_env: dict[str, str], moto_server: Emulator, bucket_and_user: dict[str, Any]
) -> None:
    """The AWS CLI v1 is a Python program on botocore: ``keydoctor run`` reaches it too."""
    # Looked up, not imported: importing awscli sets AWS_DATA_PATH in this process, and
    # every later in-process botocore loader would read the CLI's models.
    aws = Path(sys.executable).with_name("aws")  # the test extra installs awscli
    assert aws.exists(), "no aws script beside this interpreter: pip install -e '.[test]'"
    env = dict(clean_env)
    env.update(
        AWS_ACCESS_KEY_ID="ASIAZ3MHL4QPDX7KWN2V",  # a temporary key exported without its token
        AWS_SECRET_ACCESS_KEY=WRONG_SECRET,
        AWS_DEFAULT_REGION="us-east-1",
    )
    command = [str(aws), "s3", "ls", f"s3://{bucket_and_user['bucket']}"]
    command += ["--endpoint-url", moto_server.endpoint]
    result = subprocess.run(
        [sys.executable, "-m", "keydoctor", "run", "--", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 255  # the AWS CLI's own exit code for a service error
    assert "An error occurred (InvalidAccessKeyId)" in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("keydoctor:")]
    assert len(lines) == 1 and lines[0].startswith("keydoctor: [session-token] ")
    assert WRONG_SECRET not in result.stdout + result.stderr


def test_pytest_plugin_costs_nothing_without_aws_failures(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    (tmp_path / "test_plain.py").write_text(
        "def test_ok():\n    assert True\n\ndef test_bad():\n    assert 1 == 2\n"
    )
    (tmp_path / "conftest.py").write_text(
        "import sys\n\n"
        "def pytest_sessionfinish(session):\n"
        "    plugin = session.config.pluginmanager.get_plugin('keydoctor')\n"
        "    print('PLUGIN', plugin is not None, 'BOTOCORE', 'botocore' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", str(tmp_path)],
        env=clean_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "1 failed, 1 passed" in result.stdout
    assert "PLUGIN True BOTOCORE False" in result.stdout
    assert "keydoctor diagnosis" not in result.stdout
