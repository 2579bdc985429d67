"""Time keydoctor's policy evaluator on a 1,000-statement policy set and one request.

The set spreads 1,000 statements over every layer the evaluator walks: 600 in ten identity
policies, 200 in the bucket policy, 100 in a permissions boundary, 100 in two SCP levels.
Statements mix wildcards, NotAction/NotResource, policy variables and conditions of every
family, and most of them almost match the request (same service, a near bucket), so each
one is really evaluated rather than skipped at the first glance. The request is an
s3:GetObject by a role session with a realistic context.

Target: under 50 ms for one evaluation. Prints the median and the slowest of the runs
(after one warm-up, which also parses the package data) as JSON. Run:
``python bench/policy_eval.py [--runs 50]``.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from typing import Any

from keydoctor.policy import PolicySet, build_request, evaluate
from keydoctor.policy.model import policy_from_document

A = "111122223333"
PRINCIPAL = f"arn:aws:sts::{A}:assumed-role/Analyst/alice"
CONDITIONS: list[dict[str, Any]] = [
    {"Bool": {"aws:SecureTransport": "true"}},
    {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "203.0.113.0/24"]}},
    {"StringLike": {"s3:ExistingObjectTag/team": "data*"}},
    {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
    {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}},
    {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{A}:role/*"}},
    {"ForAnyValue:StringEquals": {"aws:CalledVia": ["athena.amazonaws.com"]}},
    {"StringEqualsIfExists": {"aws:PrincipalTag/team": "${aws:PrincipalTag/team}"}},
    {"Null": {"aws:TokenIssueTime": "false"}},
]


def _statement(rng: random.Random, index: int, principal: bool) -> dict[str, Any]:
    bucket = f"bucket-{rng.randrange(40)}"
    st: dict[str, Any] = {
        "Sid": f"S{index}",
        "Effect": "Deny" if rng.random() < 0.1 else "Allow",
        "Action": rng.choice([["s3:GetObject", "s3:GetObjectVersion"], "s3:Get*", "s3:List*",
                              "s3:PutObject", "s3:*Object"]),
        "Resource": rng.choice([f"arn:aws:s3:::{bucket}/*", f"arn:aws:s3:::{bucket}/home/*",
                                f"arn:aws:s3:::{bucket}/home/${{aws:username}}/*",
                                "arn:aws:s3:::bucket-*/reports/*"]),
    }
    if rng.random() < 0.1:
        st["NotAction" if rng.random() < 0.5 else "NotResource"] = st.pop(
            "Action" if rng.random() < 0.5 else "Resource")
        st.setdefault("Action", "s3:*")
        st.setdefault("Resource", "*")
        if "NotAction" in st and "Action" in st:
            del st["Action"]
        if "NotResource" in st and "Resource" in st:
            del st["Resource"]
    if rng.random() < 0.6:
        st["Condition"] = rng.choice(CONDITIONS)
    if principal:
        st["Principal"] = {"AWS": rng.choice([f"arn:aws:iam::{A}:role/Analyst", A, "*"])}
    return st


def build() -> tuple[Any, PolicySet]:
    rng = random.Random(50)
    counter = iter(range(10_000))

    def policy(name: str, count: int, principal: bool = False) -> Any:
        doc = {"Version": "2012-10-17",
               "Statement": [_statement(rng, next(counter), principal) for _ in range(count)]}
        return policy_from_document(doc, name, json.dumps(doc, indent=2))

    identity = tuple(policy(f"identity-{i}", 60) for i in range(10))
    policies = PolicySet(
        identity=identity,
        resource=policy("bucket-policy", 200, principal=True),
        boundary=policy("boundary", 100),
        scps=((policy("scp-root", 50),), (policy("scp-ou", 50),)),
    )
    request, _ = build_request(
        "s3:GetObject", "arn:aws:s3:::bucket-7/reports/2026/q1.csv", PRINCIPAL,
        [("aws:SecureTransport", "true"), ("aws:SourceIp", "10.20.30.40"),
         ("aws:CurrentTime", "2026-03-01T12:00:00Z"), ("aws:MultiFactorAuthAge", "120"),
         ("aws:PrincipalArn", f"arn:aws:iam::{A}:role/Analyst"),
         ("aws:CalledVia", "athena.amazonaws.com"), ("aws:username", "alice"),
         ("aws:PrincipalTag/team", "data")],
    )
    return request, policies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    request, policies = build()
    statements = (sum(len(p.statements) for p in policies.identity)
                  + len(policies.resource.statements if policies.resource else ())
                  + len(policies.boundary.statements if policies.boundary else ())
                  + sum(len(p.statements) for level in policies.scps for p in level))
    decision = evaluate(request, policies)  # warm-up
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        evaluate(request, policies)
        times.append((time.perf_counter() - start) * 1000.0)
    times.sort()
    print(json.dumps({
        "statements": statements,
        "decision": decision.decision,
        "runs": args.runs,
        "median_ms": round(times[len(times) // 2], 2),
        "max_ms": round(times[-1], 2),
        "target_ms": 50,
    }))


if __name__ == "__main__":
    main()
