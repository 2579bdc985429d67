"""keydoctor's policy evaluator against @cloud-copilot/iam-simulate, on generated requests.

A seeded generator writes random policies for every layer (identity, resource or KMS key
policy, permissions boundary, session policy, SCP and RCP levels) over every condition
operator, with wildcards, policy variables, NotAction/NotResource/NotPrincipal, same- and
cross-account callers, users, role sessions and federated users. Each request goes to
both evaluators (iam-simulate in one node process for the whole batch, installed by
``.ci/run`` into tests/oracle/) and the decisions must be the same: allowed, explicit deny
or implicit deny. Where they differ, AWS's documentation decides, and the difference must
be one of ``DOCUMENTED`` below, each with the documentation's words.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from keydoctor.policy import PolicySet, Request, build_request, evaluate
from keydoctor.policy.evaluate import KMS_KEY, RESOURCE
from keydoctor.policy.model import policy_from_document

ORACLE = Path(__file__).resolve().parent / "oracle"
COUNT = 2400
SEED = 14

A = "111122223333"
B = "444455556666"
USER = f"arn:aws:iam::{A}:user/alice"
SESSION = f"arn:aws:sts::{A}:assumed-role/Reader/reader-session"
ROLE = f"arn:aws:iam::{A}:role/Reader"
FEDERATED = f"arn:aws:sts::{A}:federated-user/bob"
FEDERATED_USER = f"arn:aws:iam::{A}:user/bob"
OTHER = f"arn:aws:iam::{B}:user/carol"
KEY = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"

REQUESTS = [
    ("s3:GetObject", "arn:aws:s3:::bucket-a/home/alice/report.csv"),
    ("s3:GetObject", "arn:aws:s3:::bucket-a/public/index.html"),
    ("s3:PutObject", "arn:aws:s3:::bucket-a/uploads/data.csv"),
    ("s3:ListBucket", "arn:aws:s3:::bucket-a"),
    ("kms:Decrypt", KEY),
]
ACTIONS = ["s3:GetObject", "s3:Get*", "s3:*", "*", "s3:PutObject", "s3:List*", "s3:?etObject",
           "kms:Decrypt", "kms:*", "iam:*", "s3:ListBucket", "kms:Encrypt"]
RESOURCES = ["*", "arn:aws:s3:::bucket-a/*", "arn:aws:s3:::bucket-a",
             "arn:aws:s3:::bucket-a/home/*",
             "arn:aws:s3:::bucket-*/*", "arn:aws:s3:::bucket-a/home/${aws:username}/*",
             "arn:aws:s3:::other/*", "arn:aws:s3:::bucket-?", f"arn:aws:kms:*:{A}:key/*", KEY,
             "arn:aws:s3:::bucket-a/public/*", "arn:aws:s3:::*"]
PRINCIPALS: list[Any] = ["*", {"AWS": "*"}, {"AWS": A}, {"AWS": f"arn:aws:iam::{A}:root"},
                         {"AWS": USER}, {"AWS": ROLE}, {"AWS": SESSION}, {"AWS": OTHER},
                         {"AWS": B}, {"AWS": FEDERATED_USER}, {"AWS": FEDERATED},
                         {"AWS": [USER, OTHER]}]
# No root caller: iam-simulate does not model the account root user (its
# DefaultServiceAuthorizer lists "root user" among the checks still to add), so the root
# user is checked against AWS's pages in test_policy_units.py and tests/fixtures/policy/.
CALLERS = [USER, USER, SESSION, SESSION, FEDERATED, OTHER]

# key → (type, request values to draw from)
KEYS: dict[str, tuple[str, list[Any]]] = {
    "aws:SecureTransport": ("Bool", ["true", "false"]),
    "aws:SourceIp": ("Ip", ["203.0.113.7", "10.1.2.3", "2001:db8::1", "198.51.100.1"]),
    "aws:CurrentTime": ("Date", ["2026-01-15T12:00:00Z", "2024-06-01T00:00:00Z"]),
    "aws:MultiFactorAuthAge": ("Numeric", ["300", "7200", "0"]),
    "aws:PrincipalTag/team": ("String", ["data", "ops", "Data"]),
    "aws:username": ("String", ["alice", "bob"]),
    "aws:PrincipalArn": ("Arn", [USER, ROLE, OTHER]),
    "aws:CalledVia": ("Array", [["athena.amazonaws.com"],
                                ["cloudformation.amazonaws.com", "athena.amazonaws.com"]]),
    "aws:PrincipalOrgPaths": ("Array", [["o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"]]),
    "aws:PrincipalTag/blob": ("Binary", ["QmluYXJ5", "T3RoZXI="]),
    "s3:prefix": ("String", ["home/alice/", "public/", ""]),
    "s3:max-keys": ("Numeric", ["10", "1000"]),
    "s3:x-amz-server-side-encryption": ("String", ["aws:kms", "AES256"]),
    "kms:ViaService": ("String", ["s3.us-east-1.amazonaws.com", "ec2.us-east-1.amazonaws.com"]),
}
POLICY_VALUES: dict[str, list[str]] = {
    "Bool": ["true", "false"],
    "Ip": ["10.0.0.0/8", "203.0.113.0/24", "2001:db8::/32", "198.51.100.1/32"],
    "Date": ["2025-01-01T00:00:00Z", "2026-01-15T12:00:00Z", "2030-01-01"],
    "Numeric": ["300", "3600", "10", "1000", "0.5"],
    "String": ["data", "ops", "alice", "home/alice/", "public/", "aws:kms", "AES256", "",
               "${aws:username}", "home/${aws:username}/", "s3.us-east-1.amazonaws.com"],
    "Like": ["home/*", "d?ta", "*", "pub*", "s3.*.amazonaws.com", "${aws:username}*"],
    "Arn": [f"arn:aws:iam::{A}:user/*", f"arn:aws:iam::{A}:role/Reader",
            "arn:aws:iam::*:user/alice",
            f"arn:aws:iam::{B}:*"],
    "Array": ["athena.amazonaws.com", "cloudformation.amazonaws.com", "*.amazonaws.com",
              "o-a1b2c3d4e5/*"],
    "Binary": ["QmluYXJ5", "T3RoZXI="],
}
OPERATORS: dict[str, list[str]] = {
    "Bool": ["Bool", "BoolIfExists"],
    "Ip": ["IpAddress", "NotIpAddress", "IpAddressIfExists", "NotIpAddressIfExists"],
    "Date": ["DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals",
             "DateGreaterThan", "DateGreaterThanEquals", "DateGreaterThanIfExists"],
    "Numeric": ["NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
                "NumericGreaterThan", "NumericGreaterThanEquals", "NumericLessThanIfExists"],
    "String": ["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase",
               "StringNotEqualsIgnoreCase", "StringEqualsIfExists", "StringNotEqualsIfExists"],
    "Like": ["StringLike", "StringNotLike", "StringLikeIfExists"],
    "Arn": ["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "ArnLikeIfExists"],
    "Array": ["ForAnyValue:StringEquals", "ForAnyValue:StringLike", "ForAllValues:StringEquals",
              "ForAllValues:StringLike", "ForAnyValue:StringNotEquals",
              "ForAllValues:StringNotLike"],
    "Binary": ["BinaryEquals", "BinaryEqualsIfExists"],
}


def _condition(rng: random.Random) -> dict[str, Any]:
    block: dict[str, Any] = {}
    for _ in range(rng.choice([1, 1, 2])):
        key = rng.choice(list(KEYS))
        kind = KEYS[key][0]
        if rng.random() < 0.08:
            block.setdefault("Null", {})[key] = rng.choice(["true", "false"])
            continue
        if kind == "String" and rng.random() < 0.4:
            kind = "Like"
        operator = rng.choice(OPERATORS[kind])
        values = rng.sample(POLICY_VALUES[kind], rng.choice([1, 1, 2]))
        block.setdefault(operator, {})[key] = values if len(values) > 1 else values[0]
    return block


def _statement(rng: random.Random, *, principal: bool, effect: str | None = None,
               not_principal_ok: bool = True) -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": effect or rng.choice(["Allow", "Allow", "Deny"])}
    if rng.random() < 0.3:
        st["Sid"] = f"S{rng.randrange(1000)}"
    if principal:
        if not_principal_ok and st["Effect"] == "Deny" and rng.random() < 0.15:
            st["NotPrincipal"] = {"AWS": rng.choice([USER, ROLE, SESSION, OTHER])}
        else:
            st["Principal"] = rng.choice(PRINCIPALS)
    actions = rng.sample(ACTIONS, rng.choice([1, 1, 2]))
    st["NotAction" if rng.random() < 0.15 else "Action"] = (
        actions if len(actions) > 1 else actions[0])
    resources = rng.sample(RESOURCES, rng.choice([1, 1, 2]))
    st["NotResource" if rng.random() < 0.12 else "Resource"] = (
        resources if len(resources) > 1 else resources[0])
    if rng.random() < 0.4:
        st["Condition"] = _condition(rng)
    return st


def _policy(rng: random.Random, count: int, **kwargs: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17",
            "Statement": [_statement(rng, **kwargs) for _ in range(count)]}


def _full_access() -> dict[str, Any]:
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def generate(rng: random.Random) -> dict[str, Any]:
    """One random case: a request and every layer's policies, as plain JSON."""
    action, resource = rng.choice(REQUESTS)
    principal = rng.choice(CALLERS)
    case: dict[str, Any] = {"action": action, "resource": resource, "principal": principal}
    case["resource_account"] = A
    context: dict[str, Any] = {}
    for key in rng.sample(list(KEYS), rng.randrange(0, 6)):
        context[key] = rng.choice(KEYS[key][1])
    if "aws:username" in context and principal == USER:
        context["aws:username"] = "alice"
    case["context"] = context
    case["identity"] = [_policy(rng, rng.randrange(1, 4), principal=False)
                        for _ in range(rng.randrange(0, 3))]
    case["resource_policy"] = (_policy(rng, rng.randrange(1, 4), principal=True)
                               if rng.random() < 0.6 else None)
    case["boundary"] = (_policy(rng, rng.randrange(1, 3), principal=False)
                        if rng.random() < 0.2 else None)
    case["session"] = (_policy(rng, rng.randrange(1, 3), principal=False)
                       if principal in (SESSION, FEDERATED) and rng.random() < 0.35 else None)
    scps: list[list[dict[str, Any]]] = []
    for _ in range(rng.choice([0, 0, 1, 2])):
        level = [_full_access()] if rng.random() < 0.75 else []
        if rng.random() < 0.7:
            level.append(_policy(rng, rng.randrange(1, 3), principal=False))
        scps.append(level or [_full_access()])
    case["scps"] = scps
    rcps: list[list[dict[str, Any]]] = []
    for _ in range(rng.choice([0, 0, 1])):
        # RCPs take only Deny statements with Principal "*" and a named Action.
        st = _statement(rng, principal=False, effect="Deny")
        st.pop("NotAction", None)
        st["Action"] = rng.choice(["s3:*", "s3:GetObject", "s3:Get*", "kms:*", "kms:Decrypt",
                                   ["s3:PutObject", "s3:ListBucket"]])
        rcps.append([{"Version": "2012-10-17", "Statement": [{**st, "Principal": "*"}]}])
    case["rcps"] = rcps
    return case


def _context_pairs(context: dict[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in context.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((key, item))
    return pairs


def ours(case: dict[str, Any]) -> str:
    built, _ignored = build_request(case["action"], case["resource"], case["principal"],
                                    _context_pairs(case["context"]))
    request = Request(built.action, built.resource, built.principal, case["resource_account"],
                      built.context)
    kms = case["action"].startswith("kms:")
    policies = PolicySet(
        identity=tuple(policy_from_document(p, f"identity-{i}")
                       for i, p in enumerate(case["identity"])),
        resource=(policy_from_document(case["resource_policy"], "resource")
                  if case["resource_policy"] else None),
        boundary=policy_from_document(case["boundary"], "boundary") if case["boundary"] else None,
        session=policy_from_document(case["session"], "session") if case["session"] else None,
        scps=tuple(tuple(policy_from_document(p, f"scp-{n}-{i}") for i, p in enumerate(level))
                   for n, level in enumerate(case["scps"])),
        rcps=tuple(tuple(policy_from_document(p, f"rcp-{n}-{i}") for i, p in enumerate(level))
                   for n, level in enumerate(case["rcps"])),
        resource_layer=KMS_KEY if kms else RESOURCE,
    )
    return evaluate(request, policies).decision


def simulation(case: dict[str, Any]) -> dict[str, Any]:
    """The same case in iam-simulate's Simulation shape."""
    sim: dict[str, Any] = {
        "request": {
            "principal": case["principal"],
            "action": case["action"],
            "resource": {"resource": case["resource"], "accountId": case["resource_account"]},
            "contextVariables": case["context"],
        },
        "identityPolicies": [{"name": f"identity-{i}", "policy": p}
                             for i, p in enumerate(case["identity"])],
        "serviceControlPolicies": [
            {"orgIdentifier": f"level-{n}",
             "policies": [{"name": f"scp-{n}-{i}", "policy": p} for i, p in enumerate(level)]}
            for n, level in enumerate(case["scps"])],
        "resourceControlPolicies": [
            {"orgIdentifier": f"level-{n}",
             "policies": [{"name": f"rcp-{n}-{i}", "policy": p} for i, p in enumerate(level)]}
            for n, level in enumerate(case["rcps"])],
    }
    if case["resource_policy"]:
        sim["resourcePolicy"] = case["resource_policy"]
    if case["boundary"]:
        sim["permissionBoundaryPolicies"] = [{"name": "boundary", "policy": case["boundary"]}]
    if case["session"]:
        sim["sessionPolicy"] = case["session"]
    return sim


ORACLE_NAMES = {"Allowed": "allowed", "ExplicitlyDenied": "explicit-deny",
                "ImplicitlyDenied": "implicit-deny"}


def run_oracle(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every case through iam-simulate in one node process."""
    node = shutil.which("node")
    if node is None or not (ORACLE / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
        if os.environ.get("CI"):
            pytest.fail("iam-simulate is not installed: .ci/run runs npm ci in tests/oracle")
        pytest.skip("iam-simulate is not installed (cd tests/oracle && npm ci)")
    done = subprocess.run(
        [node, str(ORACLE / "simulate.js")], input=json.dumps([simulation(c) for c in cases]),
        capture_output=True, text=True, check=True, timeout=600,
    )
    answers: list[dict[str, Any]] = json.loads(done.stdout)
    return answers


def _names_session_directly(case: dict[str, Any]) -> bool:
    policy = case["resource_policy"]
    if not policy or case["principal"] not in (SESSION, FEDERATED):
        return False
    for st in policy["Statement"]:
        principal = st.get("Principal")
        if isinstance(principal, dict):
            values = principal.get("AWS")
            values = values if isinstance(values, list) else [values]
            if st["Effect"] == "Allow" and case["principal"] in values:
                return True
    return False


# Cases where iam-simulate's answer differs from AWS's documentation, each with the words
# that decide it. A disagreement must match one of these (and keydoctor must give AWS's
# answer), or the test fails.
DOCUMENTED: list[tuple[str, str, Callable[[dict[str, Any], str, str], bool]]] = [
    (
        "a resource-based policy that names the session itself is not limited by the "
        "session policy",
        "AWS STS GetFederationToken: 'If that policy specifically references the federated "
        "user session in the Principal element of the policy, the session has the "
        "permissions allowed by the policy. These permissions are granted in addition to the "
        "permissions that are granted by the session policies.' (IAM User Guide, Session "
        "policies, says the same of a role session ARN.)",
        lambda case, mine, theirs: (case["session"] is not None and mine == "allowed"
                                    and theirs == "implicit-deny"
                                    and _names_session_directly(case)),
    ),
]


def test_differential_agreement_on_generated_requests() -> None:
    rng = random.Random(SEED)
    cases = [generate(rng) for _ in range(COUNT)]
    answers = run_oracle(cases)
    assert len(answers) == len(cases)
    errors = [(i, a["error"]) for i, a in enumerate(answers) if "error" in a]
    assert not errors, f"iam-simulate rejected {len(errors)} generated cases: {errors[:3]}"
    disagreements: list[str] = []
    documented: dict[str, int] = {}
    decisions: dict[str, int] = {}
    for index, (case, answer) in enumerate(zip(cases, answers, strict=True)):
        mine = ours(case)
        theirs = ORACLE_NAMES[answer["result"]]
        decisions[mine] = decisions.get(mine, 0) + 1
        if mine == theirs:
            continue
        reason = next((title for title, _words, test in DOCUMENTED if test(case, mine, theirs)),
                      None)
        if reason is not None:
            documented[reason] = documented.get(reason, 0) + 1
            continue
        disagreements.append(f"case {index}: keydoctor {mine}, iam-simulate {theirs}: "
                             f"{json.dumps(case)}")
    assert not disagreements, f"{len(disagreements)} disagreements:\n" + "\n".join(
        disagreements[:5])
    # Every documented difference still occurs (a stale entry would hide nothing but lie).
    assert set(documented) == {title for title, _words, _test in DOCUMENTED}, documented
    # The generator must reach every outcome often, or agreement proves little.
    assert all(decisions.get(d, 0) >= COUNT // 20
               for d in ("allowed", "explicit-deny", "implicit-deny")), decisions


def test_package_data_is_what_the_extractor_writes(tmp_path: Path) -> None:
    """src/keydoctor/data/iam-actions.json is the extractor's output for the pinned iam-data."""
    node = shutil.which("node")
    if node is None or not (ORACLE / "node_modules" / "@cloud-copilot" / "iam-data").is_dir():
        if os.environ.get("CI"):
            pytest.fail("iam-data is not installed: .ci/run runs npm ci in tests/oracle")
        pytest.skip("iam-data is not installed (cd tests/oracle && npm ci)")
    target = tmp_path / "iam-actions.json"
    subprocess.run([node, str(ORACLE / "extract-iam-data.js"), str(target)], check=True,
                   capture_output=True, timeout=300)
    shipped = Path(__file__).resolve().parent.parent / "src/keydoctor/data/iam-actions.json"
    assert json.loads(target.read_text()) == json.loads(shipped.read_text())


# -- dates: ISO 8601 and epoch, to the millisecond -----------------------------------------
# AWS reads a bare integer in a Date condition as an epoch in seconds (aws:EpochTime: "This
# key also accepts the number of seconds since January 1, 1970"); iam-simulate reads it as
# milliseconds (its parseDate returns the integer as it is, beside Date.parse's
# milliseconds). So an epoch compared with an ISO date is the one documented difference
# here: raw, the two may disagree only on such cases; with every epoch given to iam-simulate
# in its unit (seconds x 1000), they must agree on every case.
DATE_COUNT = 600
DATE_SEED = 1414
ISO_DATES = ["2026-01-15T12:00:00Z", "2026-01-15T12:00:00.250Z", "2026-01-15T12:00:00.25Z",
             "2026-01-15T13:00:00.250+01:00", "2026-01-15T12:00:00.2509Z",
             "2026-01-15T12:00:00.251Z", "2026-01-15T11:59:59.999Z", "2026-01-15",
             "2030-01-01T00:00:00Z"]
EPOCH_DATES = ["1768478400", "1768478399", "1768478401", "1893456000"]
DATE_KEYS = ("aws:CurrentTime", "aws:EpochTime")


def generate_dates(rng: random.Random) -> dict[str, Any]:
    """A request whose answer turns on Date conditions with epoch and ISO values mixed."""
    context: dict[str, Any] = {}
    if rng.random() < 0.85:
        context["aws:CurrentTime"] = rng.choice(ISO_DATES)
    if rng.random() < 0.6:
        context["aws:EpochTime"] = rng.choice(EPOCH_DATES)
    statements = []
    for effect in rng.sample(["Allow", "Allow", "Deny"], rng.choice([1, 2])):
        block: dict[str, Any] = {}
        for _ in range(rng.choice([1, 1, 2])):
            operator = rng.choice(OPERATORS["Date"])
            values = rng.sample(ISO_DATES + EPOCH_DATES, rng.choice([1, 1, 2]))
            block.setdefault(operator, {})[rng.choice(DATE_KEYS)] = (
                values if len(values) > 1 else values[0])
        statements.append({"Effect": effect, "Action": "s3:GetObject", "Resource": "*",
                           "Condition": block})
    return {"action": "s3:GetObject", "resource": "arn:aws:s3:::bucket-a/public/index.html",
            "principal": USER, "resource_account": A, "context": context,
            "identity": [{"Version": "2012-10-17", "Statement": statements}],
            "resource_policy": None, "boundary": None, "session": None, "scps": [],
            "rcps": []}


def _is_epoch(value: str) -> bool:
    return value.lstrip("-").isdigit()


def _mixes_epoch_and_iso(case: dict[str, Any]) -> bool:
    """Whether some condition compares an epoch with an ISO date (either side)."""
    for st in case["identity"][0]["Statement"]:
        for block in st["Condition"].values():
            for key, raw in block.items():
                request = case["context"].get(key)
                if request is None:
                    continue
                values = raw if isinstance(raw, list) else [raw]
                if any(_is_epoch(v) != _is_epoch(request) for v in values):
                    return True
    return False


def _in_milliseconds(case: dict[str, Any]) -> dict[str, Any]:
    """The case with every epoch in iam-simulate's unit, milliseconds."""
    def ms(value: str) -> str:
        return str(int(value) * 1000) if _is_epoch(value) else value

    converted: dict[str, Any] = json.loads(json.dumps(case))
    converted["context"] = {k: ms(v) for k, v in converted["context"].items()}
    for st in converted["identity"][0]["Statement"]:
        for block in st["Condition"].values():
            for key, raw in block.items():
                block[key] = [ms(v) for v in raw] if isinstance(raw, list) else ms(raw)
    return converted


def test_dates_agree_to_the_millisecond_with_epochs_in_each_ones_unit() -> None:
    rng = random.Random(DATE_SEED)
    cases = [generate_dates(rng) for _ in range(DATE_COUNT)]
    mine = [ours(case) for case in cases]
    raw = [ORACLE_NAMES[a["result"]] for a in run_oracle(cases)]
    converted = [ORACLE_NAMES[a["result"]] for a in run_oracle([_in_milliseconds(c)
                                                                for c in cases])]
    unexplained = [i for i, (m, t) in enumerate(zip(mine, raw, strict=True))
                   if m != t and not _mixes_epoch_and_iso(cases[i])]
    assert not unexplained, [(mine[i], raw[i], cases[i]) for i in unexplained[:3]]
    assert any(m != t for m, t in zip(mine, raw, strict=True)), "the unit difference vanished"
    wrong = [i for i, (m, t) in enumerate(zip(mine, converted, strict=True)) if m != t]
    assert not wrong, [(mine[i], converted[i], cases[i]) for i in wrong[:3]]
    assert all(mine.count(d) >= DATE_COUNT // 20
               for d in ("allowed", "explicit-deny", "implicit-deny")), mine


@pytest.mark.parametrize(("operator", "policy", "request_value", "matched"), [
    ("DateEquals", "2026-01-15T12:00:00.25Z", "2026-01-15T13:00:00.250+01:00", True),
    ("DateEquals", "2026-01-15T12:00:00.250Z", "2026-01-15T12:00:00.2509Z", True),
    ("DateLessThan", "2026-01-15T12:00:00.251Z", "2026-01-15T12:00:00.250Z", True),
    ("DateEquals", "1768478400", "2026-01-15T12:00:00Z", True),
    ("DateGreaterThan", "1768478400", "2026-01-15T12:00:00.001Z", True),
    ("DateEquals", "1768478400", "2026-01-15T12:00:00.001Z", False),
])
def test_date_comparisons_are_exact_to_the_millisecond(operator: str, policy: str,
                                                       request_value: str,
                                                       matched: bool) -> None:
    from keydoctor.policy.conditions import evaluate_condition
    from keydoctor.policy.model import Condition

    result = evaluate_condition(Condition(operator, "aws:CurrentTime", (policy,)),
                                {"aws:currenttime": request_value})
    assert result.matched is matched
