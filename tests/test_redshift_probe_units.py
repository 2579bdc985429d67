"""The pure parts of the probes: trust policies and manifests, read without AWS."""

from __future__ import annotations

import json
import urllib.parse

from keydoctor.redshift.probe import _manifest_entries
from keydoctor.redshift.verdicts import _policy, _trusts

REDSHIFT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": ["ec2.amazonaws.com", "redshift.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    ],
}


def test_trust_of_the_redshift_service() -> None:
    assert _trusts(REDSHIFT, "redshift.amazonaws.com", is_service=True)
    other = json.loads(json.dumps(REDSHIFT).replace("redshift.amazonaws.com", "glue.amazonaws.com"))
    assert not _trusts(other, "redshift.amazonaws.com", is_service=True)
    denied = json.loads(json.dumps(REDSHIFT).replace('"Allow"', '"Deny"'))
    assert not _trusts(denied, "redshift.amazonaws.com", is_service=True)


def test_trust_of_the_previous_role_in_a_chain() -> None:
    first = "arn:aws:iam::123456789012:role/RedshiftLoad"
    by_role = {
        "Statement": {"Effect": "Allow", "Principal": {"AWS": first}, "Action": ["sts:AssumeRole"]}
    }
    by_account = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:*",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            }
        ]
    }
    other = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
            }
        ]
    }
    assert _trusts(by_role, first, is_service=False)
    assert _trusts(by_account, first, is_service=False)
    assert not _trusts(other, first, is_service=False)


def test_policy_as_iam_returns_it() -> None:
    encoded = urllib.parse.quote(json.dumps(REDSHIFT))
    assert _policy(encoded) == REDSHIFT
    assert _policy("not json") == {}


def test_manifest_reading() -> None:
    good = {"entries": [{"url": "s3://b/k1", "mandatory": True}, {"url": "s3://b/k2"}]}
    assert _manifest_entries(json.dumps(good).encode()) == [
        ("s3://b/k1", True),
        ("s3://b/k2", False),
    ]
    assert _manifest_entries(b"{") == "is not valid JSON"
    assert _manifest_entries(b"[]") == 'has no "entries" list'
    assert _manifest_entries(b'{"entries": []}') == "lists no files"
    assert _manifest_entries(b'{"entries": [{"mandatory": true}]}') == (
        'has an entry without a "url" string'
    )
    assert _manifest_entries(b"\xff\xfe") == "is not valid JSON"
    assert "larger than 1 MiB" in str(_manifest_entries(b" " * ((1 << 20) + 1)))
