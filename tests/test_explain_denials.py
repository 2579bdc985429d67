"""explain reads AWS's words for the deciding layer into the evaluator's layers.

The phrases are AWS's own (the AccessDenied messages that name "an explicit deny in a
service control policy" or "no identity-based policy allows"); the layer names must be
the evaluator's, and the printed ``keydoctor policy simulate`` command, run as printed
with the policy saved to the file it names, must reach the decision AWS stated.
"""

from __future__ import annotations

import importlib
import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from keydoctor.catalog import denials
from keydoctor.catalog.matcher import diagnose

ALICE = "arn:aws:iam::111122223333:user/alice"
ASK = f'User: {ALICE} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k"'


def test_layer_names_are_the_evaluators() -> None:
    evaluate = importlib.import_module("keydoctor.policy.evaluate")
    for name in (
        "EXPLICIT_DENY",
        "IMPLICIT_DENY",
        "SCP",
        "RCP",
        "RESOURCE",
        "BOUNDARY",
        "SESSION",
        "IDENTITY",
    ):
        assert getattr(denials, name) == getattr(evaluate, name), name


@pytest.mark.parametrize(
    ("tail", "decision", "layer"),
    [
        ("with an explicit deny in a service control policy", "explicit-deny", "scp"),
        ("with an explicit deny in a resource control policy", "explicit-deny", "rcp"),
        ("with an explicit deny in an identity-based policy", "explicit-deny", "identity-policy"),
        ("with an explicit deny in a resource-based policy", "explicit-deny", "resource-policy"),
        (
            "with an explicit deny in a permissions boundary",
            "explicit-deny",
            "permissions-boundary",
        ),
        ("with an explicit deny in a session policy", "explicit-deny", "session-policy"),
        ("with an explicit deny in a VPC endpoint policy", "explicit-deny", "vpc-endpoint"),
        (
            "because no identity-based policy allows the s3:GetObject action",
            "implicit-deny",
            "identity-policy",
        ),
        (
            "because no resource-based policy allows the s3:GetObject action",
            "implicit-deny",
            "resource-policy",
        ),
        (
            "because no permissions boundary allows the s3:GetObject action",
            "implicit-deny",
            "permissions-boundary",
        ),
        (
            "because no session policy allows the s3:GetObject action",
            "implicit-deny",
            "session-policy",
        ),
        (
            "because no service control policy allows the s3:GetObject action",
            "implicit-deny",
            "scp",
        ),
    ],
)
def test_aws_words_name_the_layer(tail: str, decision: str, layer: str) -> None:
    text = f"An error occurred (AccessDenied) when calling the GetObject operation: {ASK} {tail}"
    result = diagnose(text)
    assert result.denied_by is not None
    got = result.to_dict()["denied_by"]
    assert (got["decision"], got["layer"]) == (decision, layer)
    assert (got["principal"], got["action"], got["resource"]) == (
        ALICE,
        "s3:GetObject",
        "arn:aws:s3:::b/k",
    )
    assert (got["simulate"] is None) == (layer == "vpc-endpoint")


def test_no_phrase_no_layer() -> None:
    assert diagnose(f"An error occurred (AccessDenied): {ASK}").denied_by is None
    assert diagnose("An error occurred (AccessDenied) ... Access Denied").denied_by is None


ALLOW_READ = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}
SCP_DENY = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "NoReads", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}],
}
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


@pytest.mark.parametrize(
    ("tail", "files", "stated"),
    [
        (
            "with an explicit deny in a service control policy",
            {"scp.json": SCP_DENY, "policy.json": ALLOW_READ},
            "explicit-deny",
        ),
        (
            "because no identity-based policy allows the s3:GetObject action",
            {
                "policy.json": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
                }
            },
            "implicit-deny",
        ),
        (
            "because no permissions boundary allows the s3:GetObject action",
            {
                "boundary.json": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}],
                },
                "policy.json": ALLOW_ALL,
            },
            "implicit-deny",
        ),
    ],
)
def test_printed_simulate_command_reaches_the_decision_aws_stated(
    tmp_path: Path, tail: str, files: dict[str, object], stated: str
) -> None:
    for name, policy in files.items():
        (tmp_path / name).write_text(json.dumps(policy), encoding="utf-8")
    text = f"An error occurred (AccessDenied) when calling the GetObject operation: {ASK} {tail}"
    command = diagnose(text).to_dict()["denied_by"]["simulate"]
    argv = shlex.split(command)
    assert argv[:3] == ["keydoctor", "policy", "simulate"]
    proc = subprocess.run(
        [sys.executable, "-m", "keydoctor", *argv[1:], "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["decision"] == stated


def test_text_output_says_what_aws_said() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "keydoctor",
            "explain",
            f"{ASK} with an explicit deny in a service control policy",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "AWS says: a Deny statement in a service control policy matched" in proc.stdout
    assert "keydoctor policy simulate --action s3:GetObject" in proc.stdout
