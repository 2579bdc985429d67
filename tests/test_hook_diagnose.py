"""keydoctor.diagnose() and keydoctor.check(): the Python API without the hook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, NoCredentialsError

import keydoctor
from keydoctor.integration import CheckReport, Diagnosis
from keydoctor.model import Category

# AWS CLI output as the CLI prints it (v1 and v2 share the "An error occurred" line).
CLI_UNKNOWN_KEY = """$ aws s3 ls s3://reports-2024
An error occurred (InvalidAccessKeyId) when calling the ListObjectsV2 operation: The AWS Access Key Id you provided does not exist in our records.
"""  # noqa: E501
CLI_NO_CREDENTIALS = """$ aws sts get-caller-identity

Unable to locate credentials. You can configure credentials by running "aws configure".
"""
CLI_EXPIRED = """$ aws s3 cp s3://reports-2024/a.csv .
fatal error: An error occurred (ExpiredToken) when calling the HeadObject operation: The provided token has expired.
"""  # noqa: E501
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzz9Xk3Tq2P"


def test_all_names_are_importable() -> None:
    for name in ("check", "diagnose", "install", "uninstall"):
        assert name in keydoctor.__all__
        assert callable(getattr(keydoctor, name))


@pytest.mark.parametrize(
    ("text", "code", "category"),
    [
        (CLI_UNKNOWN_KEY, "InvalidAccessKeyId", Category.KEY_ID_WRONG),
        (CLI_NO_CREDENTIALS, None, Category.NO_CREDENTIALS),
        (CLI_EXPIRED, "ExpiredToken", Category.SESSION_TOKEN),
    ],
)
def test_diagnose_aws_cli_text(text: str, code: str | None, category: Category) -> None:
    diagnosis = keydoctor.diagnose(text)
    assert isinstance(diagnosis, Diagnosis)
    assert diagnosis.kind == "text"
    assert diagnosis.top is not None and diagnosis.top.category is category
    if code is not None:
        assert diagnosis.error_code == code
    assert diagnosis.summary().startswith(f"keydoctor: [{category.value}] ")
    assert diagnosis.findings == ()  # text is not audited unless asked


def test_diagnose_text_never_shows_secrets() -> None:
    text = (
        "$ AWS_ACCESS_KEY_ID=AKIAZ3MHL4QPDX7KWN2V AWS_SECRET_ACCESS_KEY="
        + SECRET
        + " aws s3 ls\nAn error occurred (SignatureDoesNotMatch) when calling the ListBuckets "
        "operation: The request signature we calculated does not match the signature you "
        "provided. Check your key and signing method.\n"
    )
    diagnosis = keydoctor.diagnose(text)
    dumped = json.dumps(diagnosis.to_dict())
    assert diagnosis.top is not None and diagnosis.top.category is Category.SECRET_WRONG
    assert SECRET not in dumped and "AKIAZ3MHL4QPDX7KWN2V" not in dumped
    assert diagnosis.explanation.secret_in_text


def test_diagnose_exception_without_hook(
    monkeypatch: pytest.MonkeyPatch, clean_env: dict[str, str]
) -> None:
    monkeypatch.setenv("HOME", clean_env["HOME"])
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    error = ClientError(
        {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "GetObject"
    )
    diagnosis = keydoctor.diagnose(error)
    assert diagnosis.kind == "client-error"
    assert diagnosis.operation == "GetObject"
    assert diagnosis.top is not None and diagnosis.top.category is Category.PERMISSION_MISSING
    assert "keydoctor" not in str(error)  # diagnose() reads, it does not annotate
    missing = keydoctor.diagnose(NoCredentialsError())
    assert missing.top is not None and missing.top.category is Category.NO_CREDENTIALS
    assert any(f.code == "KD203" for f in missing.findings)  # the audit saw no credentials


def test_diagnose_rejects_other_types() -> None:
    with pytest.raises(TypeError):
        keydoctor.diagnose(42)  # type: ignore[arg-type]


def test_check_returns_the_json_document(clean_env: dict[str, str]) -> None:
    home = Path(clean_env["HOME"])
    (home / ".aws" / "credentials").write_text(
        f"[default]\naws_access_key_id = ASIAZ3MHL4QPDX7KWN2V\naws_secret_access_key = {SECRET}\n"
    )
    env = dict(clean_env, AWS_DEFAULT_REGION="eu-west-1")
    report = keydoctor.check(environ=env)
    assert isinstance(report, CheckReport)
    assert not report.ok
    assert "KD501" in [f.code for f in report.findings]
    doc = report.to_dict()
    assert [f["code"] for f in doc["findings"]] == [f.code for f in report.findings]
    assert doc["region"]["name"] == "eu-west-1"
    text = json.dumps(doc) + repr(report)
    assert SECRET not in text and "ASIAZ3MHL4QPDX7KWN2V" not in text
