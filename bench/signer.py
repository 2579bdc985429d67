"""Time botocore's SigV4 signer against keydoctor's own (``keydoctor.probes.sigv4``).

The direct client signs its few requests itself. botocore's signer would give
botocore-faithful signatures by construction; this script measures what it would cost the
online check, on the two things that differ:

* the import, in a fresh interpreter each round (what one ``keydoctor check`` pays once):
  ``botocore.auth`` + ``botocore.awsrequest`` (no session, no service model) against
  ``keydoctor.probes.sigv4``;
* one signature of the same S3 request, in process (the check signs about ten).

Both sign the same request with the same keys and time; the script checks that the two
signatures are equal before it times anything. Run: ``python bench/signer.py [--json]``.

Why the own signer stays: the online check imports no botocore module at all on the
direct path, so botocore's signer would add its whole import (60-130 ms measured on a
shared 2-core machine, against 3 ms for ``sigv4``) to a check of 0.12-0.4 s, which alone
would push the check past its budget of 0.40x one ``aws sts get-caller-identity``. The
differential tests (``tests/test_probes_wire.py``) hold the two signers to the same
signatures instead.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
HOST = "s3.eu-west-1.amazonaws.com"
PATH = "/my-bucket/dir/a%20b.txt"
QUERY = {"list-type": "2", "prefix": "dir/"}

# What the online check loads anyway (the audit, the probes); each signer is timed on top,
# inside a fresh interpreter that has loaded these already.
BASE = "import keydoctor.audit, keydoctor.probes.runner, keydoctor.probes.transport"
IMPORTS = {
    "botocore": "import botocore.auth, botocore.awsrequest, botocore.credentials",
    "own": "import keydoctor.probes.sigv4",
}


def _import_ms(statement: str, rounds: int) -> float:
    """Median time of ``statement`` in a fresh interpreter that already ran :data:`BASE`."""
    code = (
        f"{BASE}; import time; start = time.perf_counter(); {statement}; "
        "print(time.perf_counter() - start)"
    )
    times = []
    for _ in range(rounds):
        done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(float(done.stdout))
    return statistics.median(times) * 1000.0


def _own_signature() -> str:
    from keydoctor.probes import sigv4

    headers = {"Host": HOST, "X-Amz-Content-SHA256": sigv4.EMPTY_SHA256}
    sigv4.sign(
        method="GET",
        path=PATH,
        query=QUERY,
        headers=headers,
        payload_hash=sigv4.EMPTY_SHA256,
        region="eu-west-1",
        service="s3",
        access_key_id=KEY_ID,
        secret=SECRET,
        session_token=None,
        now=NOW,
    )
    return headers["Authorization"]


def _botocore_signature() -> str:
    from unittest import mock

    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from keydoctor.probes import sigv4

    request = AWSRequest(
        method="GET",
        url=f"https://{HOST}{PATH}?" + sigv4.canonical_query(QUERY),
        headers={"X-Amz-Content-SHA256": sigv4.EMPTY_SHA256},
    )
    signer = S3SigV4Auth(Credentials(KEY_ID, SECRET), "s3", "eu-west-1")
    # The same instant for both signers (botocore reads its clock through this function).
    with mock.patch("botocore.auth.get_current_datetime", return_value=NOW.replace(tzinfo=None)):
        signer.add_auth(request)
    return str(request.headers["Authorization"])


def _sign_us(sign: Any, rounds: int) -> float:
    sign()  # warm: imports, caches
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        sign()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def _botocore_sign_only() -> None:
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="GET", url=f"https://{HOST}{PATH}", headers={})
    S3SigV4Auth(Credentials(KEY_ID, SECRET), "s3", "eu-west-1").add_auth(request)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    own, theirs = _own_signature(), _botocore_signature()
    if own != theirs:
        raise SystemExit(f"the signatures differ:\n  own:      {own}\n  botocore: {theirs}")
    figures = {
        "signatures_equal": True,
        "import_ms": {
            name: round(_import_ms(code, args.rounds), 1) for name, code in IMPORTS.items()
        },
        "sign_us": {
            "botocore": round(_sign_us(_botocore_sign_only, args.rounds * 20), 1),
            "own": round(_sign_us(_own_signature, args.rounds * 20), 1),
        },
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"import  botocore.auth+awsrequest: {figures['import_ms']['botocore']:7.1f} ms")
        print(f"import  keydoctor.probes.sigv4:   {figures['import_ms']['own']:7.1f} ms")
        print(f"sign    botocore S3SigV4Auth:     {figures['sign_us']['botocore']:7.1f} us")
        print(f"sign    keydoctor sigv4.sign:     {figures['sign_us']['own']:7.1f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
