"""keydoctor.install() against the real moto server (IAM authentication enforced).

Each failure is produced by real boto3 calls to moto; the assertions are on the
exception the program would catch: same type, same code, same response and traceback,
one added ``keydoctor:`` line naming the right cause, the full diagnosis on
``exc.keydoctor``, and never a secret.
"""

from __future__ import annotations

import json
import pickle
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, NoCredentialsError, NoRegionError, ProfileNotFound

import keydoctor
from keydoctor.integration.diagnosis import AUDIT_CACHE, Diagnosis
from keydoctor.integration.hook import DiagnosingClientMixin
from keydoctor.lab.emulator import Emulator, Keys

READ_ONLY_LIST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
}
# A well-formed secret that is not the user's: same length and alphabet as a real one.
WRONG_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzz9Xk3Tq2P"
TEMPORARY_KEY_ID = "ASIAZ3MHL4QPDX7KWN2V"  # ASIA-shaped, used without its session token


@pytest.fixture(scope="module")
def world(moto_server: Emulator) -> dict[str, Any]:
    """A bucket with one object and a user who may list it but not read it."""
    suffix = uuid.uuid4().hex[:8]
    bucket = f"kd-hook-{suffix}"
    moto_server.create_bucket(bucket)
    moto_server.client("s3").put_object(Bucket=bucket, Key="report.csv", Body=b"a,b\n")
    reader = moto_server.create_user(f"hook-reader-{suffix}", READ_ONLY_LIST)
    return {"bucket": bucket, "reader": reader}


@pytest.fixture
def hooked(monkeypatch: pytest.MonkeyPatch, clean_env: dict[str, str]) -> Iterator[None]:
    """The hook on for every session, in a clean environment; off again afterwards."""
    for name in list(__import__("os").environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", clean_env["HOME"])
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    AUDIT_CACHE.clear()
    keydoctor.install()
    try:
        yield
    finally:
        keydoctor.uninstall()
        AUDIT_CACHE.clear()


def s3(server: Emulator, key_id: str, secret: str, token: str | None = None) -> Any:
    return boto3.session.Session().client(
        "s3",
        region_name="us-east-1",
        endpoint_url=server.endpoint,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        aws_session_token=token,
    )


def failing(call: Any) -> ClientError:
    with pytest.raises(ClientError) as info:
        call()
    return info.value


def keydoctor_lines(exc: BaseException) -> list[str]:
    return [line for line in str(exc).splitlines() if line.startswith("keydoctor:")]


def assert_diagnosed(exc: ClientError, code: str, category: str, *secrets: str) -> Diagnosis:
    assert exc.response["Error"]["Code"] == code
    lines = keydoctor_lines(exc)
    assert len(lines) == 1, str(exc)
    assert lines[0].startswith(f"keydoctor: [{category}] ")
    assert "Fix: " in lines[0] and "run `keydoctor check` for more" in lines[0]
    diagnosis = exc.keydoctor  # type: ignore[attr-defined]
    assert isinstance(diagnosis, Diagnosis)
    assert diagnosis.top is not None and diagnosis.top.category.value == category
    assert diagnosis.error_code == code
    rendered = str(exc) + json.dumps(diagnosis.to_dict()) + "".join(traceback.format_exception(exc))
    for secret in secrets:
        assert secret not in rendered
    return diagnosis


def test_wrong_secret_names_secret(
    hooked: None, moto_server: Emulator, world: dict[str, Any]
) -> None:
    reader: Keys = world["reader"]
    client = s3(moto_server, reader.access_key_id, WRONG_SECRET)
    exc = failing(lambda: client.list_objects_v2(Bucket=world["bucket"]))
    assert_diagnosed(
        exc, "SignatureDoesNotMatch", "secret-wrong", WRONG_SECRET, reader.secret_access_key
    )
    # The original message is still the first line, word for word.
    assert str(exc).splitlines()[0] == (
        "An error occurred (SignatureDoesNotMatch) when calling the ListObjectsV2 operation: "
        + exc.response["Error"]["Message"]
    )


def test_unknown_key_names_key_id(
    hooked: None, moto_server: Emulator, world: dict[str, Any]
) -> None:
    unknown = "AKIAZ3MHL4QPDX7KWN2V"
    client = s3(moto_server, unknown, WRONG_SECRET)
    exc = failing(lambda: client.list_objects_v2(Bucket=world["bucket"]))
    diagnosis = assert_diagnosed(exc, "InvalidAccessKeyId", "key-id-wrong", WRONG_SECRET)
    assert unknown not in json.dumps(diagnosis.to_dict())
    assert diagnosis.client["access_key_id"] == "AKIA…WN2V"


def test_temporary_key_without_token_names_session_token(
    hooked: None, moto_server: Emulator, world: dict[str, Any]
) -> None:
    client = s3(moto_server, TEMPORARY_KEY_ID, WRONG_SECRET)
    exc = failing(lambda: client.list_objects_v2(Bucket=world["bucket"]))
    # moto, like S3, answers InvalidAccessKeyId; the client's own credentials (an ASIA
    # key and no token) are what tell the real cause.
    diagnosis = assert_diagnosed(exc, "InvalidAccessKeyId", "session-token", WRONG_SECRET)
    assert any(f.code == "KD501" for f in diagnosis.findings)
    assert diagnosis.client["credential_method"] == "explicit"


def test_temporary_key_from_environment(
    hooked: None, moto_server: Emulator, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEMPORARY_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", WRONG_SECRET)
    client = boto3.session.Session().client(
        "s3", region_name="us-east-1", endpoint_url=moto_server.endpoint
    )
    exc = failing(lambda: client.list_objects_v2(Bucket=world["bucket"]))
    diagnosis = assert_diagnosed(exc, "InvalidAccessKeyId", "session-token", WRONG_SECRET)
    assert diagnosis.client["credential_method"] == "env"
    assert any(f.code == "KD501" for f in diagnosis.findings)


def test_denied_get_object_names_permission(
    hooked: None, moto_server: Emulator, world: dict[str, Any]
) -> None:
    reader: Keys = world["reader"]
    client = s3(moto_server, reader.access_key_id, reader.secret_access_key)
    exc = failing(lambda: client.get_object(Bucket=world["bucket"], Key="report.csv"))
    assert_diagnosed(exc, "AccessDenied", "permission-missing", reader.secret_access_key)


def test_exception_keeps_type_code_traceback_and_pickles(
    hooked: None, moto_server: Emulator, world: dict[str, Any]
) -> None:
    reader: Keys = world["reader"]
    client = s3(moto_server, reader.access_key_id, WRONG_SECRET)
    try:
        client.list_objects_v2(Bucket=world["bucket"])
    except ClientError as caught:  # the usual except clause still catches it
        exc = caught
    else:
        pytest.fail("the call should have failed")
    assert type(exc).__module__.startswith("botocore")
    assert exc.operation_name == "ListObjectsV2"
    assert "keydoctor" not in exc.response["Error"]["Message"]
    frames = [f.name for f in traceback.extract_tb(exc.__traceback__)]
    assert frames[-1] == "_make_api_call"  # still raised where botocore raised it
    copy = pickle.loads(pickle.dumps(exc))
    assert copy.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_successful_call_is_untouched(
    hooked: None, moto_server: Emulator, world: dict[str, Any]
) -> None:
    reader: Keys = world["reader"]
    client = s3(moto_server, reader.access_key_id, reader.secret_access_key)
    assert isinstance(client, DiagnosingClientMixin)  # the hook is really on this client
    keydoctor.uninstall()
    plain = s3(moto_server, reader.access_key_id, reader.secret_access_key)
    keydoctor.install()
    assert not isinstance(plain, DiagnosingClientMixin)
    hooked_answer = client.list_objects_v2(Bucket=world["bucket"])
    plain_answer = plain.list_objects_v2(Bucket=world["bucket"])
    for answer in (hooked_answer, plain_answer):
        answer["ResponseMetadata"].pop("RequestId", None)
        answer["ResponseMetadata"].pop("HTTPHeaders", None)
    assert hooked_answer == plain_answer
    assert [o["Key"] for o in hooked_answer["Contents"]] == ["report.csv"]
    assert len(AUDIT_CACHE) == 0  # nothing was audited for a call that succeeded


def test_other_errors_pass_untouched(
    hooked: None, moto_server: Emulator, world: dict[str, Any]
) -> None:
    admin = moto_server.admin
    assert admin is not None
    client = s3(moto_server, admin.access_key_id, admin.secret_access_key)
    exc = failing(lambda: client.get_object(Bucket=world["bucket"], Key="missing"))
    assert exc.response["Error"]["Code"] == "NoSuchKey"
    assert keydoctor_lines(exc) == []
    assert getattr(exc, "keydoctor", None) is None


def test_audit_is_cached(hooked: None, moto_server: Emulator, world: dict[str, Any]) -> None:
    client = s3(moto_server, TEMPORARY_KEY_ID, WRONG_SECRET)
    first = failing(lambda: client.list_objects_v2(Bucket=world["bucket"]))
    second = failing(lambda: client.list_objects_v2(Bucket=world["bucket"]))
    assert len(AUDIT_CACHE) == 1
    assert first.keydoctor.findings == second.keydoctor.findings  # type: ignore[attr-defined]


def test_install_for_one_session_only(
    moto_server: Emulator,
    world: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    clean_env: dict[str, str],
) -> None:
    monkeypatch.setenv("HOME", clean_env["HOME"])
    reader: Keys = world["reader"]
    mine = boto3.session.Session()
    other = boto3.session.Session()
    keydoctor.install(mine)
    try:
        kwargs = {
            "region_name": "us-east-1",
            "endpoint_url": moto_server.endpoint,
            "aws_access_key_id": reader.access_key_id,
            "aws_secret_access_key": WRONG_SECRET,
        }
        exc = failing(lambda: mine.client("s3", **kwargs).list_objects_v2(Bucket=world["bucket"]))
        assert len(keydoctor_lines(exc)) == 1
        exc = failing(lambda: other.client("s3", **kwargs).list_objects_v2(Bucket=world["bucket"]))
        assert keydoctor_lines(exc) == []
    finally:
        keydoctor.uninstall(mine)
    exc = failing(lambda: mine.client("s3", **kwargs).list_objects_v2(Bucket=world["bucket"]))
    assert keydoctor_lines(exc) == []


def test_no_credentials(hooked: None, moto_server: Emulator) -> None:
    client = boto3.session.Session().client(
        "s3", region_name="us-east-1", endpoint_url=moto_server.endpoint
    )
    with pytest.raises(NoCredentialsError) as info:
        client.list_buckets()
    lines = keydoctor_lines(info.value)
    assert len(lines) == 1 and lines[0].startswith("keydoctor: [no-credentials] ")
    assert str(info.value).startswith("Unable to locate credentials")


def test_no_region(hooked: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAZ3MHL4QPDX7KWN2V")  # only the region is missing
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", WRONG_SECRET)
    with pytest.raises(NoRegionError) as info:
        boto3.session.Session().client("sqs")
    lines = keydoctor_lines(info.value)
    assert len(lines) == 1 and lines[0].startswith("keydoctor: [region-endpoint] ")


def test_profile_not_found(hooked: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nosuchprofile")
    with pytest.raises(ProfileNotFound) as info:
        boto3.session.Session().client("s3", region_name="us-east-1")
    lines = keydoctor_lines(info.value)
    assert len(lines) == 1, str(info.value)
    assert info.value.keydoctor.top is not None  # type: ignore[attr-defined]


def test_probe_clears_the_keys_for_a_denial(
    moto_server: Emulator,
    world: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    clean_env: dict[str, str],
) -> None:
    monkeypatch.setenv("HOME", clean_env["HOME"])
    reader: Keys = world["reader"]
    keydoctor.install(probe=True)
    try:
        good = s3(moto_server, reader.access_key_id, reader.secret_access_key)
        exc = failing(lambda: good.get_object(Bucket=world["bucket"], Key="report.csv"))
        probe = exc.keydoctor.probe  # type: ignore[attr-defined]
        assert probe is not None and probe["asked"] and probe["ok"]
        bad = s3(moto_server, reader.access_key_id, WRONG_SECRET)
        exc = failing(lambda: bad.list_objects_v2(Bucket=world["bucket"]))
        probe = exc.keydoctor.probe  # type: ignore[attr-defined]
        assert probe["ok"] is False and probe["error_code"] == "SignatureDoesNotMatch"
        assert WRONG_SECRET not in json.dumps(exc.keydoctor.to_dict())  # type: ignore[attr-defined]
    finally:
        keydoctor.uninstall()
