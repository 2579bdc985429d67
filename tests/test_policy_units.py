"""The policy evaluator's parts, each against what AWS's pages say it must do."""

from __future__ import annotations

import json

import pytest

from keydoctor.errors import UsageError
from keydoctor.policy import (
    ALLOWED,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    Decision,
    Policy,
    PolicyError,
    PolicySet,
    build_request,
    evaluate,
    parse_policy,
)
from keydoctor.policy.conditions import evaluate_condition
from keydoctor.policy.match import (
    ACCOUNT,
    DIRECT,
    NO_MATCH,
    SESSION_OF_ROLE,
    SHORT_EXPAND,
    SHORT_IF_WILDCARD,
    Caller,
    action_matches,
    principals_match,
    resource_matches,
)
from keydoctor.policy.model import Condition, Principal

A = "111122223333"
USER = f"arn:aws:iam::{A}:user/alice"

DOC = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Read",
      "Effect": "Allow",
      "Action": "s3:GetObject",
      "Resource": "arn:aws:s3:::b/*"
    },
    {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::b/secret/*"}
  ]
}
"""


def test_statements_keep_their_sid_index_and_lines() -> None:
    policy = parse_policy(DOC, "read.json")
    assert [(s.label, s.lines) for s in policy.statements] == [("Read", (4, 9)), ("#2", (10, 10))]


def test_a_single_statement_object_has_its_lines_too() -> None:
    text = '{\n "Statement": {\n  "Effect": "Allow",\n  "Action": "*",\n  "Resource": "*"\n }\n}\n'
    assert parse_policy(text, "one.json").statements[0].lines == (2, 6)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{\n  "Statement": [\n    {"Effect": "Allow",}\n  ]\n}', "p.json, line 3: not valid JSON"),
        ('{"Statement": [{"Effect": "Permit", "Action": "*"}]}', 'Effect must be "Allow"'),
        ('{"Statement": [{"Effect": "Allow", "Action": "*", "NotAction": "s3:*"}]}',
         "Action or NotAction, not both"),
        ('{"Statement": [{"Effect": "Allow"}]}', "neither Action nor NotAction"),
        ("[1, 2]", "a policy is a JSON object"),
        ('{"Version": "2012-10-17"}', "has no Statement"),
        ('{"Statement": [{"Effect": "Allow", "Action": 5}]}', "Action must be a string"),
        ('{"Statement": [{"Effect": "Allow", "Action": "*", "Principal": {"Bogus": "x"}}]}',
         "unknown kind"),
    ],
)
def test_malformed_policies_are_one_line_errors_naming_file_and_line(text: str,
                                                                     words: str) -> None:
    with pytest.raises(PolicyError) as raised:
        parse_policy(text, "p.json")
    message = str(raised.value)
    assert message.startswith("p.json, line ") and words in message
    assert "\n" not in message


def test_actions_match_case_insensitively_with_globs_but_never_across_services() -> None:
    assert action_matches("S3:get*", "s3:GetObject")
    assert action_matches("s3:?etObject", "s3:GetObject")
    assert not action_matches("s3:Get*", "kms:GetKeyPolicy")
    assert not action_matches("s3:Get", "s3:GetObject")
    assert action_matches("*", "kms:Decrypt")


def test_resource_part_is_case_sensitive_and_variables_come_from_the_context() -> None:
    ctx = {"aws:username": "alice"}
    assert resource_matches("arn:aws:s3:::b/home/${aws:username}/*",
                            "arn:aws:s3:::b/home/alice/x", ctx, SHORT_EXPAND)
    assert not resource_matches("arn:aws:s3:::b/home/${aws:username}/*",
                                "arn:aws:s3:::b/home/bob/x", ctx, SHORT_EXPAND)
    # No value for the variable: the entry can be judged neither way.
    assert resource_matches("arn:aws:s3:::b/${aws:username}", "arn:aws:s3:::b/x", {},
                            SHORT_EXPAND) is None
    assert not resource_matches("arn:aws:s3:::B/*", "arn:aws:s3:::b/x", {}, SHORT_EXPAND)
    assert resource_matches("arn:AWS:s3:::b/*", "arn:aws:s3:::b/x", {}, SHORT_EXPAND)
    assert resource_matches("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*", {}, SHORT_EXPAND)
    assert not resource_matches("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/x", {}, SHORT_EXPAND)
    # A short ARN is padded in identity policies, not in resource policies.
    assert resource_matches("arn:aws:s3", "arn:aws:s3:::b/x", {}, SHORT_EXPAND)
    assert resource_matches("arn:aws:s3", "arn:aws:s3:::b/x", {}, SHORT_IF_WILDCARD) is False


def test_principal_entries_match_directly_by_role_or_by_account() -> None:
    session = Caller.parse(f"arn:aws:sts::{A}:assumed-role/Reader/s1")
    assert principals_match((Principal("AWS", f"arn:aws:iam::{A}:role/path/Reader"),),
                            session) == SESSION_OF_ROLE
    assert principals_match((Principal("AWS", A),), session) == ACCOUNT
    assert principals_match((Principal("AWS", f"arn:aws:iam::{A}:root"),), session) == ACCOUNT
    assert principals_match((Principal("*", "*"),), session) == DIRECT
    assert principals_match((Principal("AWS", "444455556666"),), session) == NO_MATCH


@pytest.mark.parametrize(
    ("operator", "key", "values", "context", "expected"),
    [
        ("StringEquals", "aws:username", ("alice",), {}, False),
        ("StringNotEquals", "aws:username", ("alice",), {}, True),  # absent: negation holds
        ("StringEqualsIfExists", "aws:username", ("bob",), {}, True),
        ("Null", "aws:username", ("true",), {}, True),
        ("Null", "aws:username", ("true",), {"aws:username": "a"}, False),
        ("StringLike", "s3:prefix", ("home/*",), {"s3:prefix": "home/x"}, True),
        ("StringNotLike", "s3:prefix", ("home/*", "pub*"), {"s3:prefix": "public"}, False),
        ("StringEqualsIgnoreCase", "aws:username", ("ALICE",), {"aws:username": "alice"}, True),
        ("NumericLessThan", "aws:multifactorauthage", ("3600",),
         {"aws:multifactorauthage": "300"}, True),
        ("DateGreaterThan", "aws:currenttime", ("2025-01-01T00:00:00Z",),
         {"aws:currenttime": "2026-01-15T12:00:00Z"}, True),
        ("DateGreaterThan", "aws:currenttime", ("1735689600",),
         {"aws:currenttime": "2026-01-15T12:00:00Z"}, True),  # epoch seconds
        ("Bool", "aws:securetransport", ("false",), {"aws:securetransport": "false"}, True),
        ("IpAddress", "aws:sourceip", ("203.0.113.0/24",), {"aws:sourceip": "203.0.113.7"},
         True),
        ("NotIpAddress", "aws:sourceip", ("10.0.0.0/8",), {"aws:sourceip": "2001:db8::1"},
         True),
        ("ArnLike", "aws:principalarn", (f"arn:aws:iam::{A}:user/*",),
         {"aws:principalarn": USER}, True),
        ("ArnNotEquals", "aws:principalarn", (USER,), {"aws:principalarn": USER}, False),
        ("BinaryEquals", "aws:principaltag/blob", ("QmluYXJ5",),
         {"aws:principaltag/blob": "QmluYXJ5"}, True),
        # A single-valued operator never matches a multivalued key.
        ("StringEquals", "aws:calledvia", ("athena.amazonaws.com",),
         {"aws:calledvia": ("athena.amazonaws.com",)}, False),
        ("ForAnyValue:StringEquals", "aws:calledvia", ("athena.amazonaws.com",),
         {"aws:calledvia": ("glue.amazonaws.com", "athena.amazonaws.com")}, True),
        ("ForAllValues:StringEquals", "aws:calledvia", ("athena.amazonaws.com",),
         {"aws:calledvia": ("glue.amazonaws.com", "athena.amazonaws.com")}, False),
        ("ForAllValues:StringEquals", "aws:calledvia", ("athena.amazonaws.com",), {}, True),
        ("ForAnyValue:StringEquals", "aws:calledvia", ("athena.amazonaws.com",), {}, False),
        ("StringEquals", "aws:principaltag/team", ("${aws:username}",),
         {"aws:principaltag/team": "alice", "aws:username": "alice"}, True),
        ("StringEquals", "aws:principaltag/team", ("${aws:username, 'x'}",),
         {"aws:principaltag/team": "x"}, True),
    ],
)
def test_condition_operators(operator: str, key: str, values: tuple[str, ...],
                             context: dict[str, str | tuple[str, ...]], expected: bool) -> None:
    result = evaluate_condition(Condition(operator, key, values), context)
    assert result.matched is expected


def test_a_missing_key_is_listed_and_the_near_miss_names_what_it_wanted() -> None:
    identity = parse_policy(json.dumps({"Statement": [{
        "Sid": "OnlyTls", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}), "tls.json")
    request, _ = build_request("s3:GetObject", "arn:aws:s3:::b/k", USER)
    decision = evaluate(request, PolicySet(identity=(identity,)))
    assert decision.decision == IMPLICIT_DENY
    assert [(m.key, m.matched) for m in decision.missing_keys] == [("aws:SecureTransport", False)]
    assert "OnlyTls" in decision.change and "no aws:SecureTransport" in decision.change


def test_build_request_drops_keys_the_action_cannot_carry_and_rejects_typos() -> None:
    request, ignored = build_request("s3:GetObject", "arn:aws:s3:::b/k", USER,
                                     [("s3:prefix", "x"), ("aws:SourceIp", "10.0.0.1")])
    assert ignored == ("s3:prefix",) and request.context == {"aws:sourceip": "10.0.0.1"}
    with pytest.raises(UsageError, match="not an action"):
        build_request("s3:GetObjekt", "arn:aws:s3:::b/k", USER)
    with pytest.raises(UsageError, match="does not act on"):
        build_request("s3:ListBucket", "arn:aws:kms:us-east-1:1:key/x", USER)
    with pytest.raises(UsageError, match="not a principal ARN"):
        build_request("s3:GetObject", "arn:aws:s3:::b/k", "alice")


def test_get_caller_identity_is_allowed_even_under_a_deny() -> None:
    deny = parse_policy('{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}', "d")
    request, _ = build_request("sts:GetCallerIdentity", "*", USER)
    assert evaluate(request, PolicySet(identity=(deny,))).decision == ALLOWED


def test_the_deny_layer_named_first_follows_aws_order() -> None:
    deny = parse_policy('{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}',
                        "deny.json")
    request, _ = build_request("s3:GetObject", "arn:aws:s3:::b/k", USER)
    decision = evaluate(request, PolicySet(identity=(deny,), scps=((deny,),)))
    assert decision.decision == EXPLICIT_DENY and decision.layer == "scp"
    assert len(decision.denied_by) == 2


def test_live_context_a_probe_cannot_see_is_depends_on_never_a_guess() -> None:
    from keydoctor.probes import why
    from keydoctor.probes.identity import Identity
    from keydoctor.probes.outcome import ProbeResult
    from keydoctor.probes.policy import EXPLICIT_DENY as LIVE_DENY
    from keydoctor.probes.policy import NamedPolicy

    identity = Identity(A, USER, "AIDAEXAMPLEUSERID0001", "iam-user", "alice")
    probe = ProbeResult(name="s3:HeadObject b/k", service="s3", operation="HeadObject",
                        asked="", action="s3:GetObject", resource="arn:aws:s3:::b/k")
    allow = NamedPolicy("inline policy p of user alice", {"Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    bucket = {"Statement": [{
        "Sid": "OfficeOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": "arn:aws:s3:::b/*",
        "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]}
    decision = why.decide([allow], bucket, "b", identity, probe, None, secure=True)
    verdict = why.verdict(decision)
    assert verdict is not None and verdict.decision == LIVE_DENY
    assert verdict.deny_statement == 'statement "OfficeOnly"'
    assert verdict.detail is not None
    assert "depends on context keydoctor cannot see from here: aws:SourceIp " \
           '(statement "OfficeOnly" of the bucket policy of b)' in verdict.detail
    # What the probe does know is filled in, so it never shows up as unknown.
    assert dict(why.context_for(identity, probe, None, secure=True))["aws:SecureTransport"] \
        == "true"


# -- the account root user -----------------------------------------------------------------
ROOT = f"arn:aws:iam::{A}:root"
KEY = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _policy(name: str, *statements: dict[str, object]) -> Policy:
    return parse_policy(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}),
                        name)


def _root(action: str, resource: str, policies: PolicySet, *pairs: tuple[str, str]) -> Decision:
    request, _ = build_request(action, resource, ROOT, pairs)
    return evaluate(request, policies)


def test_the_root_user_is_allowed_in_its_account_with_no_policy_at_all() -> None:
    decision = _root("s3:GetObject", "arn:aws:s3:::b/k", PolicySet())
    assert decision.decision == ALLOWED
    assert decision.deciding is not None
    assert decision.deciding.policy == (
        f"the root user of account {A} (every permission in its account)")


def test_the_root_user_is_refused_by_a_bucket_policy_deny_and_by_an_scp() -> None:
    deny = _policy("bucket.json", {"Sid": "NoOne", "Effect": "Deny", "Principal": "*",
                                   "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"})
    by_bucket = _root("s3:GetObject", "arn:aws:s3:::b/k", PolicySet(resource=deny))
    assert by_bucket.deciding is not None
    assert (by_bucket.decision, by_bucket.deciding.statement) == (EXPLICIT_DENY, "NoOne")
    scp = _policy("scp.json", {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"})
    by_scp = _root("s3:GetObject", "arn:aws:s3:::b/k", PolicySet(scps=((scp,),)))
    assert (by_scp.decision, by_scp.layer) == (IMPLICIT_DENY, "scp")


def test_the_root_user_of_another_account_needs_the_resource_policy() -> None:
    other = ("aws:ResourceAccount", "444455556666")
    alone = _root("s3:GetObject", "arn:aws:s3:::b/k", PolicySet(), other)
    assert (alone.decision, alone.layer) == (IMPLICIT_DENY, "resource-policy")
    bucket = _policy("bucket.json", {"Effect": "Allow", "Principal": {"AWS": A},
                                     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})
    granted = _root("s3:GetObject", "arn:aws:s3:::b/k", PolicySet(resource=bucket), other)
    assert granted.decision == ALLOWED


def test_the_root_user_uses_a_kms_key_only_as_its_key_policy_allows() -> None:
    admins = _policy("key.json", {"Effect": "Allow", "Action": "kms:*", "Resource": "*",
                                  "Principal": {"AWS": f"arn:aws:iam::{A}:user/admin"}})
    refused = _root("kms:Decrypt", KEY, PolicySet(resource=admins,
                                                  resource_layer="kms-key-policy"))
    assert (refused.decision, refused.layer) == (IMPLICIT_DENY, "kms-key-policy")
    account = _policy("key.json", {"Effect": "Allow", "Action": "kms:*", "Resource": "*",
                                   "Principal": {"AWS": ROOT}})
    allowed = _root("kms:Decrypt", KEY, PolicySet(resource=account,
                                                  resource_layer="kms-key-policy"))
    assert allowed.decision == ALLOWED
