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

from keydoctor.lab.replay import ReplayServer, permanent_redirect

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
