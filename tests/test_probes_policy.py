"""The identity-policy evaluation behind "why denied", on policy documents as IAM returns
them (dicts, JSON text, URL-encoded JSON text)."""

from __future__ import annotations

import json
import urllib.parse

from keydoctor.probes.arns import grant_resource
from keydoctor.probes.identity import parse_arn
from keydoctor.probes.policy import (
    ALLOWED,
    EXPLICIT_DENY,
    NO_ALLOW,
    NamedPolicy,
    evaluate,
    for_principal,
    parse_document,
)


def policy(*statements: dict[str, object], name: str = "p") -> NamedPolicy:
    return NamedPolicy(name, {"Version": "2012-10-17", "Statement": list(statements)})


def test_deny_wins_over_allow_and_is_named() -> None:
    allow = policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, name="broad")
    deny = policy(
        {
            "Sid": "NoHR",
            "Effect": "Deny",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/hr/*",
        },
        name="guard",
    )
    verdict = evaluate([allow, deny], "s3:GetObject", "arn:aws:s3:::b/hr/pay.csv")
    assert verdict.decision == EXPLICIT_DENY
    assert verdict.deny_policy == "guard"
    assert verdict.deny_statement == 'statement "NoHR"'
    assert evaluate([allow, deny], "s3:GetObject", "arn:aws:s3:::b/ok.csv").decision == ALLOWED


def test_list_bucket_on_objects_arn_does_not_cover_the_bucket() -> None:
    objects_only = policy(
        {
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetObject"],
            "Resource": "arn:aws:s3:::b/*",
        }
    )
    assert evaluate([objects_only], "s3:ListBucket", "arn:aws:s3:::b").decision == NO_ALLOW


def test_wildcards_case_and_not_action() -> None:
    p = policy({"Effect": "Allow", "Action": "S3:Get*", "Resource": "arn:aws:s3:::b?/*"})
    assert evaluate([p], "s3:GetObject", "arn:aws:s3:::b1/k").decision == ALLOWED
    assert evaluate([p], "s3:GetObject", "arn:aws:s3:::b12/k").decision == NO_ALLOW
    assert evaluate([p], "s3:GetObject", "arn:aws:s3:::B1/k").decision == NO_ALLOW  # ARNs: case
    not_action = policy({"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"})
    assert evaluate([not_action], "s3:GetObject", "arn:aws:s3:::b/k").decision == EXPLICIT_DENY
    assert evaluate([not_action], "iam:ListUsers", "*").decision == NO_ALLOW
    not_resource = policy(
        {"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}
    )
    assert evaluate([not_resource], "s3:GetObject", "arn:aws:s3:::b/k").decision == ALLOWED
    assert evaluate([not_resource], "s3:GetObject", "arn:aws:s3:::secret/k").decision == NO_ALLOW


def test_conditional_statements_never_decide_alone() -> None:
    p = policy(
        {
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
    verdict = evaluate([p], "s3:GetObject", "arn:aws:s3:::b/k")
    assert verdict.decision == NO_ALLOW
    assert verdict.conditional and "(deny)" in verdict.conditional[0]


def test_documents_as_iam_returns_them() -> None:
    doc = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
    }
    text = json.dumps(doc)
    for raw in (doc, text, urllib.parse.quote(text)):
        parsed = parse_document(raw)
        assert parsed is not None
        assert (
            evaluate([NamedPolicy("x", parsed)], "s3:GetObject", "arn:aws:s3:::b/k").decision
            == ALLOWED
        )
    assert parse_document("not json") is None
    assert parse_document(None) is None


def test_bucket_policy_statements_for_the_caller() -> None:
    doc = {
        "Statement": [
            {
                "Sid": "Everyone",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "*",
            },
            {
                "Sid": "Other",
                "Effect": "Deny",
                "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                "Action": "s3:*",
                "Resource": "*",
            },
            {
                "Sid": "Me",
                "Effect": "Allow",
                "Principal": {"AWS": ["arn:aws:iam::1:user/a"]},
                "Action": "s3:*",
                "Resource": "*",
            },
            {
                "Sid": "AllButMe",
                "Effect": "Deny",
                "NotPrincipal": {"AWS": "arn:aws:iam::1:user/a"},
                "Action": "s3:*",
                "Resource": "*",
            },
        ]
    }
    kept = for_principal(doc, "arn:aws:iam::1:user/a", "1")
    assert [s["Sid"] for s in kept["Statement"]] == ["Everyone", "Me"]


def test_least_privilege_prefixes() -> None:
    assert grant_resource("b", None) == "arn:aws:s3:::b/*"
    assert grant_resource("b", "file.csv") == "arn:aws:s3:::b/*"
    assert grant_resource("b", "reports/q3/x.csv") == "arn:aws:s3:::b/reports/q3/*"
    assert grant_resource("b", "/uploads/") == "arn:aws:s3:::b/uploads/*"


def test_principal_types_from_arns() -> None:
    assert parse_arn("arn:aws:iam::123456789012:root") == ("root", None)
    assert parse_arn("arn:aws:iam::123456789012:user/dev/alice") == ("iam-user", "alice")
    assert parse_arn("arn:aws:sts::123456789012:assumed-role/Deploy/ci-42") == (
        "assumed-role",
        "Deploy",
    )
    assert parse_arn("arn:aws:sts::123456789012:federated-user/bob") == ("federated-user", "bob")
    assert parse_arn("garbage") == ("unknown", None)


def test_the_layer_names_the_findings_read_are_the_evaluators() -> None:
    """probes.policy repeats two layer names so a check without a denial never loads the
    evaluator; if the evaluator renamed them, a boundary denial would read as a missing Allow."""
    import importlib

    from keydoctor.probes import policy as probe_policy

    ev = importlib.import_module("keydoctor.policy.evaluate")

    assert (probe_policy.BOUNDARY, probe_policy.KMS_KEY) == (ev.BOUNDARY, ev.KMS_KEY)
