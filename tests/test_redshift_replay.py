"""What moto does not do, replayed from recorded AWS answers on 127.0.0.1.

moto serves every bucket from every region, so it never answers a request sent to the
wrong region. Recorded behaviour: S3 answers such a request with 301 PermanentRedirect,
the ``x-amz-bucket-region`` header and the documented XML error body (the S3 API
reference, "Error responses"); keydoctor.lab.replay serves that answer to every request.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from keydoctor.lab.replay import ReplayServer, permanent_redirect
from replay_server import Answer, caller_identity, replaying, s3_error, sts_error

KID = "AKIAZ3MPLEREDSHIFT01"
SEC = "Rs8kPq2Wm7Xv9Ty4Ln6Jc1Hd5Fb3Gz0Aq/Ke+Mw7"


def test_permanent_redirect_gives_the_region_clause(clean_env: dict[str, str]) -> None:
    server = ReplayServer(permanent_redirect("rs-far", "eu-west-1"))
    try:
        sql = (
            f"COPY t FROM 's3://rs-far/tickit/' ACCESS_KEY_ID '{KID}' SECRET_ACCESS_KEY '{SEC}' "
            "REGION 'us-east-1'"
        )
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "keydoctor",
                "redshift",
                sql,
                "--format",
                "json",
                "--endpoint-url",
                server.endpoint,
            ],
            env=clean_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.stop()
    assert "Traceback" not in result.stderr
    doc = json.loads(result.stdout)
    codes = [f["code"] for f in doc["findings"]]
    finding = next(f for f in doc["findings"] if f["code"] == "KD829")
    assert finding["fix"] == "Write: REGION 'eu-west-1'"
    assert "KD834" not in codes  # the redirect is the region finding, not a failed probe
    assert SEC not in result.stdout and KID not in result.stdout


# A session token AWS refuses (KD822). moto accepts any token, so these answers are
# replayed from the formats AWS documents. STS (the Query API's ``ErrorResponse``, as the
# "Common Errors" page of the AWS API reference lists it: ExpiredToken, "The security token
# included in the request is expired", HTTP 403) refuses an expired token at the identity
# probe. S3 (its "Error responses" list: InvalidToken, "The provided token is malformed or
# otherwise invalid.", 400 Bad Request, in S3's ``Error`` body) refuses a token that STS
# took, at the listing; a HEAD of the bucket carries no body, so its refusal names no code
# and the listing is where the code is read. Routes by operation: tests/replay_server.py.
TEMP_KID = "ASIAZ3MPLEREDSHIFT02"
TEMP_SEC = "Tq4Lm8Wx2Rv6Yb0Nc3Hd7Jf1Gs5Kp9Za2Ue4Io8Q"
TEMP_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEtokenQm9zdG9uVGVzdFRva2VuRm9yS0Q4MjI"


def _token_statement(form: str) -> str:
    if form == "access-key-id":
        return (
            f"COPY t FROM 's3://rs-temp/tickit/' ACCESS_KEY_ID '{TEMP_KID}' "
            f"SECRET_ACCESS_KEY '{TEMP_SEC}' SESSION_TOKEN '{TEMP_TOKEN}' REGION 'us-east-1'"
        )
    return (
        "COPY t FROM 's3://rs-temp/tickit/' CREDENTIALS "
        f"'aws_access_key_id={TEMP_KID};aws_secret_access_key={TEMP_SEC};token={TEMP_TOKEN}' "
        "REGION 'us-east-1'"
    )


def _redshift_json(sql: str, endpoint: str, env: dict[str, str]) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "keydoctor", "redshift", sql, "--format", "json"]
        + ["--endpoint-url", endpoint],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in result.stderr, result.stderr
    for value in (TEMP_SEC, TEMP_TOKEN, TEMP_KID):
        assert value not in result.stdout and value not in result.stderr
    doc: dict[str, object] = json.loads(result.stdout)
    return doc


@pytest.mark.parametrize(
    ("form", "answers", "said", "clause"),
    [
        (
            "access-key-id",
            {
                "GetCallerIdentity": sts_error(
                    "ExpiredToken", "The security token included in the request is expired"
                )
            },
            "identity answered ExpiredToken",
            "ACCESS_KEY_ID 'ASIA…FT02' SECRET_ACCESS_KEY '<secret access key>' "
            "SESSION_TOKEN '<session token>'",
        ),
        (
            "credentials",
            {
                "GetCallerIdentity": caller_identity(
                    "arn:aws:sts::123456789012:assumed-role/loader/session"
                ),
                "GetBucketLocation": s3_error(
                    "InvalidToken", "The provided token is malformed or otherwise invalid.", 400
                ),
                "ListObjectsV2": s3_error(
                    "InvalidToken", "The provided token is malformed or otherwise invalid.", 400
                ),
            },
            "list answered InvalidToken",
            "CREDENTIALS 'aws_access_key_id=ASIA…FT02;"
            "aws_secret_access_key=<secret access key>;token=<session token>'",
        ),
    ],
)
def test_a_refused_session_token_is_kd822_with_a_fresh_clause(
    clean_env: dict[str, str],
    form: str,
    answers: dict[str, Answer],
    said: str,
    clause: str,
) -> None:
    """AWS's refusal of the token is the token finding (not the key id's, not a failed
    probe), and its fix asks for new temporary credentials and shows the whole clause in
    the statement's own form, with the token's place kept."""
    with replaying(answers) as server:
        doc = _redshift_json(_token_statement(form), server.endpoint, clean_env)
    findings = doc["findings"]
    assert isinstance(findings, list)
    by_code = {f["code"]: f for f in findings}
    finding = by_code["KD822"]
    assert finding["severity"] == "critical"
    assert finding["category"] == "session-token"
    assert said in finding["explanation"]
    assert "ASIA…FT02" in finding["explanation"]
    assert finding["fix"] == f"Get new temporary credentials; then write: {clause}"
    assert not {"KD820", "KD821", "KD834"} & set(by_code)
