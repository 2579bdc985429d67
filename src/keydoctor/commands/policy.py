"""``keydoctor policy simulate``: AWS's policy evaluation offline, with the deciding statement.

Every policy is a file as AWS stores it; the request context comes only from ``--context``
(a key not given is absent, as in a request that lacks it). For an S3 object encrypted with
KMS, ``--kms-key-policy`` adds the KMS half of the request: ``kms:Decrypt`` for a GET,
``kms:GenerateDataKey`` for a PUT, on the key named by
``--context s3:x-amz-server-side-encryption-aws-kms-key-id=ARN``. Nothing here imports
boto3 or botocore: it is offline work.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from keydoctor.commands.common import write_stdout
from keydoctor.errors import InputError, UsageError

if TYPE_CHECKING:
    from keydoctor.policy import Decision, Policy, PolicySet, Request

MAX_POLICY_BYTES = 1 << 20  # IAM's largest documents are far smaller; refuse a runaway file


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="policy_command", metavar="SUBCOMMAND",
                                parser_class=type(parser))
    sim = sub.add_parser(
        "simulate", help="evaluate one request against policy files, as AWS would",
        description="Evaluate one request against policy files in AWS's order and name the "
        "statement that decided. Exit 0 allowed, 1 denied, 2 bad input.",
    )
    sim.add_argument("--action", required=True, help="e.g. s3:GetObject")
    sim.add_argument("--resource", required=True, help="the resource ARN ('*' if none)")
    sim.add_argument("--principal", required=True,
                     help="the caller's ARN (user, role session, federated user)")
    sim.add_argument("--identity-policy", dest="identity", action="append", default=[],
                     metavar="F", help="an identity-based policy (repeat for each)")
    sim.add_argument("--bucket-policy", dest="bucket", metavar="F",
                     help="the resource-based policy (a bucket policy)")
    sim.add_argument("--boundary", metavar="F", help="the permissions boundary")
    sim.add_argument("--session-policy", dest="session", metavar="F",
                     help="the session policy passed when the session was made")
    sim.add_argument("--scp", action="append", default=[], metavar="F",
                     help="SCPs of one organisation level, root first (repeat per level)")
    sim.add_argument("--rcp", action="append", default=[], metavar="F",
                     help="RCPs of one organisation level, root first (repeat per level)")
    sim.add_argument("--kms-key-policy", dest="kms", metavar="F",
                     help="the key policy of the KMS key that encrypts the object")
    sim.add_argument("--context", action="append", default=[], metavar="KEY=VALUE",
                     help="a request context value (repeat a key for several values)")
    sim.add_argument("--format", "--output", dest="format", choices=("text", "json"),
                     default="text")


def _read(path: str) -> Policy:
    from keydoctor.policy import parse_policy

    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_POLICY_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    if len(raw) > MAX_POLICY_BYTES:
        raise InputError(f"{path}: larger than {MAX_POLICY_BYTES} bytes; not a policy")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"{path}, line {line}: not UTF-8 text") from None
    return parse_policy(text, path)


def _pairs(values: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--context takes KEY=VALUE, not {item!r}")
        pairs.append((key.strip(), value))
    return pairs


def run(args: argparse.Namespace) -> int:
    if getattr(args, "policy_command", None) != "simulate":
        raise UsageError("keydoctor policy needs a subcommand: simulate")
    from keydoctor.policy import (
        ALLOWED,
        KMS_HALF,
        KMS_KEY_CONTEXT,
        PolicySet,
        build_request,
        kms_request,
    )
    from keydoctor.policy.evaluate import KMS_KEY, RESOURCE

    pairs = _pairs(args.context)
    request, ignored = build_request(args.action, args.resource, args.principal, pairs)
    attached = [f for f, given in (("--identity-policy", args.identity),
                                   ("--boundary", args.boundary),
                                   ("--session-policy", args.session)) if given]
    if attached and args.principal.split(":")[5:] == ["root"]:
        raise UsageError(f"{attached[0]}: AWS attaches no policy to the account root user, "
                         "which has every permission in its account")
    identity = tuple(_read(path) for path in args.identity)
    bucket = _read(args.bucket) if args.bucket else None
    kms = _read(args.kms) if args.kms else None
    common: dict[str, Any] = {
        "identity": identity,
        "boundary": _read(args.boundary) if args.boundary else None,
        "session": _read(args.session) if args.session else None,
        "scps": tuple((_read(path),) for path in args.scp),
        "rcps": tuple((_read(path),) for path in args.rcp),
    }
    is_kms = request.action.startswith("kms:")
    policies = PolicySet(resource=kms if is_kms else bucket,
                         resource_layer=KMS_KEY if is_kms else RESOURCE, **common)
    halves: list[tuple[Request, tuple[str, ...], PolicySet]] = [(request, ignored, policies)]
    if kms is not None and request.action in KMS_HALF:
        key = next((v for k, v in pairs if k.lower() == KMS_KEY_CONTEXT), None)
        if key is None:
            raise UsageError(f"--kms-key-policy needs the key: --context {KMS_KEY_CONTEXT}=ARN")
        half = kms_request(request.action, key, args.principal, pairs)
        if half is not None:  # always, for an action in KMS_HALF
            halves.append((half[0], half[1],
                           PolicySet(resource=kms, resource_layer=KMS_KEY, **common)))
    from keydoctor.policy import evaluate

    answers = [(req, tuple(k for k in ign if k.lower() != KMS_KEY_CONTEXT), evaluate(req, pol))
               for req, ign, pol in halves]
    final = next(((req, dec) for req, _ign, dec in answers if dec.decision != ALLOWED),
                 (answers[-1][0], answers[-1][2]))
    document = _document(final, answers)
    from keydoctor.redact import redact_tree, scrub_patterns

    document = redact_tree(document, scrub_patterns)
    if args.format == "json":
        write_stdout(json.dumps(document, indent=2) + "\n")
    else:
        write_stdout(_text(document))
    return 0 if document["decision"] == ALLOWED else 1


def _ref(ref: Any) -> dict[str, Any] | None:
    if ref is None:
        return None
    return {"layer": ref.layer, "policy": ref.policy, "statement": ref.statement,
            "lines": list(ref.lines) if ref.lines[0] else None, "effect": ref.effect}


def _one(request: Request, ignored: tuple[str, ...], decision: Decision) -> dict[str, Any]:
    deciding = _ref(decision.deciding)
    if deciding is None and decision.layer is not None:
        deciding = {"layer": decision.layer, "policy": None, "statement": None, "lines": None,
                    "effect": None}
    if deciding is not None:
        deciding["action"] = request.action
    return {
        "decision": decision.decision,
        "deciding": deciding,
        "reason": decision.reason,
        "change": decision.change or None,
        "request": {"action": request.action, "resource": request.resource,
                    "principal": request.principal,
                    "resource_account": request.resource_account,
                    "context": {k: (v if isinstance(v, str) else list(v))
                                for k, v in request.context.items()}},
        "allowed_by": [_ref(r) for r in decision.allowed_by],
        "denied_by": [_ref(r) for r in decision.denied_by],
        "missing_allow": list(decision.missing_allow),
        "failed_conditions": [
            {"statement": _ref(f.ref), "operator": f.operator, "key": f.key,
             "wanted": list(f.wanted),
             "had": f.had if f.had is None or isinstance(f.had, str) else list(f.had)}
            for f in decision.failed_conditions],
        "missing_keys": [
            {"statement": _ref(m.ref), "operator": m.operator, "key": m.key,
             "values": list(m.values),
             "outcome": "satisfied because absent" if m.matched else "failed because absent"}
            for m in decision.missing_keys],
        "ignored_context": list(ignored),
    }


def _document(final: tuple[Request, Decision],
              answers: list[tuple[Request, tuple[str, ...], Decision]]) -> dict[str, Any]:
    parts = [_one(req, ign, dec) for req, ign, dec in answers]
    top = dict(parts[[a[0] for a in answers].index(final[0])])
    top["requests"] = parts
    return top


def _text(doc: dict[str, Any]) -> str:
    parts = doc["requests"]
    first = parts[0]["request"]
    lines = [f"{doc['decision']}: {first['action']} on {first['resource']} "
             f"by {first['principal']}"]
    if len(parts) > 1:
        kms = parts[1]["request"]
        lines.append(f"  S3 asks KMS for the object's key: {kms['action']} on {kms['resource']}"
                     " is part of the request")
    for part in parts:
        req = part["request"]
        if len(parts) > 1:
            lines.append(f"{req['action']}: {part['decision']}")
        lines += _details(part, req)
    return "\n".join(lines) + "\n"


def _details(part: dict[str, Any], req: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    deciding = part["deciding"]
    if deciding is not None and deciding["policy"] is not None:
        where = (f" (lines {deciding['lines'][0]}-{deciding['lines'][1]})"
                 if deciding["lines"] else "")
        lines.append(f"  decided by: {deciding['layer']}, policy {deciding['policy']}, "
                     f"statement {deciding['statement']}{where}")
    elif deciding is not None:
        lines.append(f"  decided by: {deciding['layer']} (no statement allows it)")
    lines.append(f"  why: {part['reason']}")
    if part["change"]:
        lines.append(f"  smallest change: {part['change']}")
    if part["missing_keys"]:
        lines.append("  conditions that turned on a key the request did not carry "
                     "(give it with --context to see the difference):")
        for m in part["missing_keys"]:
            st = m["statement"]
            lines.append(f"    - {m['operator']} {m['key']} {json.dumps(m['values'])} in "
                         f"statement {st['statement']} of {st['policy']} ({st['effect']}):"
                         f" {m['outcome']}")
    if part["ignored_context"]:
        lines.append(f"  context {req['action']} cannot carry, ignored: "
                     + ", ".join(part["ignored_context"]))
    return lines
