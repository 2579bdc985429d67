"""Overhead of keydoctor's hook on *successful* boto3 calls.

Two measures, both printed:

1. against the local moto server (real HTTP on loopback, authentication enforced):
   HeadBucket through a hooked and an unhooked client, interleaved call by call so
   that load and drift affect both alike; medians of per-call times and of the paired
   differences;
2. botocore alone, no network: the call is answered inside botocore by a
   ``before-call`` handler (the mechanism botocore's own Stubber uses), and the same
   client is called through the hook and straight into ``BaseClient._make_api_call``,
   so the denominator is only botocore's request building and the hook's share is as
   large as it can ever be. This is the strict upper bound.

Target: below 1 % on (1). Run: ``python bench/hook_overhead.py [--pairs N]``
(needs the ``lab`` extra: moto[server] and boto3).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import boto3
from botocore.client import BaseClient

import keydoctor
from keydoctor.integration.hook import DiagnosingClientMixin
from keydoctor.lab.emulator import Emulator


def paired(
    plain: Callable[[], Any], hooked: Callable[[], Any], pairs: int
) -> tuple[float, float, float]:
    """Median seconds per call of each, and the median of the paired differences.

    Calls are interleaved one by one (the order alternating), so that load from other
    processes and drift in the server fall on both sides alike.
    """
    clock = time.perf_counter_ns
    plain_ns: list[int] = []
    hooked_ns: list[int] = []
    for index in range(pairs):
        order = ((plain, plain_ns), (hooked, hooked_ns))
        for call, sink in order if index % 2 else order[::-1]:
            start = clock()
            call()
            sink.append(clock() - start)
    diffs = [h - p for p, h in zip(plain_ns, hooked_ns, strict=True)]
    return (
        statistics.median(plain_ns) / 1e9,
        statistics.median(hooked_ns) / 1e9,
        statistics.median(diffs) / 1e9,
    )


def make_clients(server: Emulator) -> tuple[Any, Any]:
    assert server.admin is not None
    kwargs = {
        "region_name": "us-east-1",
        "endpoint_url": server.endpoint,
        "aws_access_key_id": server.admin.access_key_id,
        "aws_secret_access_key": server.admin.secret_access_key,
    }
    plain = boto3.session.Session().client("s3", **kwargs)
    hooked_session = boto3.session.Session()
    keydoctor.install(hooked_session)
    hooked = hooked_session.client("s3", **kwargs)
    assert isinstance(hooked, DiagnosingClientMixin)
    assert not isinstance(plain, DiagnosingClientMixin)
    return plain, hooked


def stub_answers(client: Any) -> None:
    """Answer HeadBucket inside botocore, before any HTTP (as botocore's Stubber does)."""

    class _Http:
        status_code = 200
        headers: dict[str, str] = {}

    answer = (_Http(), {"ResponseMetadata": {"HTTPStatusCode": 200}})

    def respond(**_: Any) -> Any:
        return answer

    client.meta.events.register("before-call.s3.HeadBucket", respond)


def report(label: str, plain: float, hooked: float, diff: float) -> float:
    overhead = diff / plain * 100
    print(
        f"{label:<38} unhooked {plain * 1e6:8.1f} µs  hooked {hooked * 1e6:8.1f} µs  "
        f"paired difference {diff * 1e6:+7.2f} µs = {overhead:+6.2f} %"
    )
    return overhead


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3000, help="interleaved call pairs (moto)")
    args = parser.parse_args()

    server = Emulator.start_subprocess()
    try:
        server.create_admin()
        server.create_bucket("kd-bench")
        server.enforce_auth()
        plain, hooked = make_clients(server)
        for client in (plain, hooked):  # warm up connections and caches
            for _ in range(100):
                client.head_bucket(Bucket="kd-bench")
        report(
            "moto server, HTTP on loopback",
            *paired(
                lambda: plain.head_bucket(Bucket="kd-bench"),
                lambda: hooked.head_bucket(Bucket="kd-bench"),
                args.pairs,
            ),
        )
        # No network: one stubbed hooked client, called through the hook's mixin and
        # straight into botocore's BaseClient._make_api_call. Same object, same
        # handlers: the only difference is the hook.
        _, stubbed = make_clients(server)
        stub_answers(stubbed)
        params = {"Bucket": "kd-bench"}
        for _ in range(500):
            stubbed.head_bucket(**params)
        report(
            "botocore only, no network (bound)",
            *paired(
                lambda: BaseClient._make_api_call(stubbed, "HeadBucket", params),
                lambda: stubbed._make_api_call("HeadBucket", params),
                args.pairs * 10,
            ),
        )
        print(f"({args.pairs} interleaved pairs against moto, {args.pairs * 10} without network)")
    finally:
        keydoctor.uninstall()
        server.stop()


if __name__ == "__main__":
    main()
