"""The scenario's "application": one boto3 call, with whatever credentials the shell has.

Run as ``python -m keydoctor.lab.app ENDPOINT OPERATION BUCKET KEY`` in the scenario's
throwaway HOME and environment, so that boto3 resolves credentials exactly as it would
for the person in the story. It prints the line boto3 ends its traceback with (the
exception class and message) or, when the call works, what it got back.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        sys.stderr.write("usage: python -m keydoctor.lab.app ENDPOINT OPERATION BUCKET KEY\n")
        return 2
    endpoint, operation, bucket, key = argv
    try:
        import boto3
        from botocore.config import Config

        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            config=Config(connect_timeout=2, read_timeout=5),
        )
        if operation == "list_objects_v2":
            listing = s3.list_objects_v2(Bucket=bucket, Prefix=key)
            print(f"ok: listed {listing.get('KeyCount', 0)} object(s) under {key}")
        else:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            print(f"ok: read {len(body)} bytes from s3://{bucket}/{key}")
    except Exception as exc:  # the demo shows exactly what boto3 raised
        print(f"{type(exc).__module__}.{type(exc).__name__}: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
