"""AWS's policy evaluation logic, layer by layer, with the statement that decided.

The order is the one AWS documents ("Policy evaluation logic"): an explicit ``Deny`` in any
policy wins; then every organisation level's SCPs (for the caller's account) and RCPs (for
the resource's) must allow; then the resource-based policy and the identity-based policies
give the allow (in the same account either suffices, across accounts both are needed); a
permissions boundary and a session policy can only take away. Same-account details follow
the same page: a resource policy that names an IAM user or a session ARN directly is not
limited by an implicit deny in a boundary (or, for the session ARN, a session policy); one
that names the role, or the account, is. KMS keys trust IAM policies only when the key
policy allows the account.

The result is frozen data: the decision, the deciding layer, policy and statement (with
its lines), the conditions that turned on a key missing from the request, and the smallest
change that would allow the request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from keydoctor.policy import match
from keydoctor.policy.conditions import ConditionResult, evaluate_block, parse_operator
from keydoctor.policy.match import Caller, Context
from keydoctor.policy.model import Policy, Statement

ALLOWED = "allowed"
EXPLICIT_DENY = "explicit-deny"
IMPLICIT_DENY = "implicit-deny"

SCP = "scp"
RCP = "rcp"
RESOURCE = "resource-policy"
KMS_KEY = "kms-key-policy"
BOUNDARY = "permissions-boundary"
SESSION = "session-policy"
IDENTITY = "identity-policy"

# The order AWS's evaluation page walks the layers in, used to name the deciding one.
LAYER_ORDER = (SCP, RCP, RESOURCE, KMS_KEY, BOUNDARY, SESSION, IDENTITY)


@dataclass(frozen=True)
class Request:
    """One request: who asks for what on which resource, with the context it carries."""

    action: str
    resource: str
    principal: str
    resource_account: str
    context: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class PolicySet:
    """Every policy that can take part; an absent layer is None or empty."""

    identity: tuple[Policy, ...] = ()
    resource: Policy | None = None
    boundary: Policy | None = None
    session: Policy | None = None
    scps: tuple[tuple[Policy, ...], ...] = ()  # one tuple per organisation level, root first
    rcps: tuple[tuple[Policy, ...], ...] = ()
    resource_layer: str = RESOURCE  # KMS_KEY when the resource policy is a key policy


@dataclass(frozen=True)
class StatementRef:
    """Where a statement is: layer, policy name, Sid or index, lines, effect."""

    layer: str
    policy: str
    statement: str
    lines: tuple[int, int]
    effect: str


@dataclass(frozen=True)
class MissingKey:
    """A condition whose outcome turned on a key the request did not carry."""

    ref: StatementRef
    operator: str
    key: str
    values: tuple[str, ...]
    matched: bool  # True: satisfied because absent (IfExists, Not..., Null); False: failed


@dataclass(frozen=True)
class FailedCondition:
    """A condition that kept an Allow from applying: what it wanted, what the request had."""

    ref: StatementRef
    operator: str
    key: str
    wanted: tuple[str, ...]
    had: str | tuple[str, ...] | None


@dataclass(frozen=True)
class Decision:
    """The answer: the decision, who decided it, and what would change it."""

    decision: str
    layer: str | None
    deciding: StatementRef | None
    reason: str
    change: str
    allowed_by: tuple[StatementRef, ...]
    denied_by: tuple[StatementRef, ...]
    missing_allow: tuple[str, ...]  # layers with no applicable Allow
    failed_conditions: tuple[FailedCondition, ...]
    missing_keys: tuple[MissingKey, ...]
    elsewhere: tuple[StatementRef, ...] = ()  # resource-policy Allows for other principals


@dataclass(frozen=True)
class _Applied:
    ref: StatementRef
    statement: Statement
    principal: str  # a match.* level; DIRECT for policies without principals
    conditions: tuple[ConditionResult, ...]
    conditions_ok: bool
    target_ok: bool  # action, resource and principal all match


@dataclass
class _Layer:
    name: str
    allows: list[_Applied] = field(default_factory=list)
    denies: list[_Applied] = field(default_factory=list)
    near: list[_Applied] = field(default_factory=list)  # target matched, conditions did not
    others: list[_Applied] = field(default_factory=list)  # Allows naming other principals
    seen: list[_Applied] = field(default_factory=list)

    @property
    def result(self) -> str:
        if self.denies:
            return EXPLICIT_DENY
        return ALLOWED if self.allows else IMPLICIT_DENY


def _actions_match(st: Statement, action: str) -> bool:
    if st.actions is not None:
        return any(match.action_matches(p, action) for p in st.actions)
    assert st.not_actions is not None
    return not any(match.action_matches(p, action) for p in st.not_actions)


def _resources_match(st: Statement, request: Request, short: str) -> bool:
    ctx: Context = request.context
    if st.resources is not None:
        return any(
            match.resource_matches(p, request.resource, ctx, short) is True for p in st.resources
        )
    if st.not_resources is not None:
        verdicts = [match.resource_matches(p, request.resource, ctx, short)
                    for p in st.not_resources]
        return all(v is False for v in verdicts)
    return True


def _analyse(layer: str, policies: tuple[Policy, ...], request: Request, caller: Caller,
             short: str, *, principals: bool = False,
             boundary_present: bool = False) -> _Layer:
    found = _Layer(layer)
    for policy in policies:
        for st in policy.statements:
            ref = StatementRef(layer, policy.name, st.label, st.lines, st.effect)
            principal = match.DIRECT
            if principals:
                if st.principals is not None:
                    principal = match.principals_match(st.principals, caller)
                elif st.not_principals is not None:
                    principal = match.not_principals_match(st.not_principals, caller)
                    if boundary_present and st.effect == "Deny":
                        # AWS: a Deny with NotPrincipal always denies a principal that
                        # has a permissions boundary, whatever NotPrincipal lists.
                        principal = match.DIRECT
                else:
                    principal = match.NO_MATCH
            acts_on = (_actions_match(st, request.action)
                       and _resources_match(st, request, short))
            target = principal != match.NO_MATCH and acts_on
            # Conditions matter only where the rest matched: skip them elsewhere.
            ok, results = (evaluate_block(st.conditions, request.context) if target
                           else (False, ()))
            applied = _Applied(ref, st, principal, results, ok, target)
            found.seen.append(applied)
            if target and ok:
                (found.denies if st.effect == "Deny" else found.allows).append(applied)
            elif target and st.effect == "Allow":
                found.near.append(applied)
            elif acts_on and principals and st.effect == "Allow":
                found.others.append(applied)
    return found


def _resource_result(layer: _Layer) -> str:
    """Allowed / AllowedForAccount / ExplicitlyDenied for a resource-based policy."""
    if layer.denies:
        return EXPLICIT_DENY
    if any(a.principal != match.ACCOUNT for a in layer.allows):
        return ALLOWED
    if layer.allows:
        return "account"
    return IMPLICIT_DENY


def _control(levels: tuple[tuple[Policy, ...], ...], name: str, request: Request,
             caller: Caller, short: str, implicit_full_access: bool) -> list[_Layer]:
    out = []
    for index, level in enumerate(levels):
        layer = _analyse(name, level, request, caller, short)
        if implicit_full_access:
            layer.allows.append(_Applied(
                StatementRef(name, "RCPFullAWSAccess", "#1", (0, 0), "Allow"),
                Statement(1, None, "Allow", ("*",), None, ("*",), None, None, None, (), (0, 0)),
                match.DIRECT, (), True, True,
            ))
        layer.name = f"{name} level {index + 1}"
        out.append(layer)
    return out


def _kms_key_resource(request: Request) -> bool:
    parts = request.resource.split(":")
    return (request.action.lower().startswith("kms:") and len(parts) >= 6
            and ":".join(parts[5:]).lower().startswith("key/"))


def evaluate(request: Request, policies: PolicySet) -> Decision:
    """Evaluate one request against every supplied layer, as AWS does."""
    caller = Caller.parse(request.principal)
    if request.action.lower() == "sts:getcalleridentity":
        return Decision(ALLOWED, None, None,
                        "sts:GetCallerIdentity needs no permission: AWS answers it even "
                        "under an explicit deny", "", (), (), (), (), ())
    identity = _analyse(IDENTITY, policies.identity, request, caller, match.SHORT_EXPAND)
    if caller.kind == "root":
        identity.allows.append(_root_allow(caller))
    session = (_analyse(SESSION, (policies.session,), request, caller, match.SHORT_EXPAND)
               if policies.session else None)
    boundary = (_analyse(BOUNDARY, (policies.boundary,), request, caller, match.SHORT_EXPAND)
                if policies.boundary else None)
    resource = _analyse(policies.resource_layer,
                        (policies.resource,) if policies.resource else (), request, caller,
                        match.SHORT_IF_WILDCARD, principals=True,
                        boundary_present=boundary is not None)
    scps = _control(policies.scps, SCP, request, caller, match.SHORT_REJECT_PLAIN, False)
    rcps = _control(policies.rcps, RCP, request, caller, match.SHORT_REJECT, True)

    same_account = caller.account != "" and caller.account == request.resource_account
    resource_result = _resource_result(resource) if policies.resource else None
    direct = [a for a in resource.allows if a.principal != match.ACCOUNT]
    account_level = [a for a in resource.allows if a.principal == match.ACCOUNT]

    # Which core path allows (before guardrails), and which layers lack an allow.
    core_allows: list[_Applied] = []
    core_missing: list[str] = []
    session_blocks = session is not None and session.result != ALLOWED
    if session_blocks and session is not None and session.result == IMPLICIT_DENY \
            and same_account:
        # A grant to the session ARN itself is added after the session is created: the
        # session policy does not limit it.
        core_allows = [a for a in direct if caller.is_session and _names_exactly(a, caller)]
        session_blocks = not core_allows
    if session_blocks:
        core_missing.append(SESSION)
    elif core_allows:
        pass
    elif caller.kind == "service":
        core_allows = list(resource.allows)
        if not core_allows:
            core_missing.append(policies.resource_layer)
    elif same_account:
        trust = "implicit"
        if _kms_key_resource(request):
            trust = "explicit" if account_level else "none"
        core_allows = direct + (identity.allows if trust != "none" else [])
        if not core_allows:
            core_missing.append(policies.resource_layer if trust == "none" else IDENTITY)
    elif resource_result in (ALLOWED, "account") and identity.allows:
        core_allows = direct + account_level + identity.allows
    else:
        if resource_result not in (ALLOWED, "account"):
            core_missing.append(policies.resource_layer)
        if not identity.allows:
            core_missing.append(IDENTITY)

    missing = [layer.name for layer in (*scps, *rcps) if not layer.allows]
    missing += core_missing
    if boundary is not None and not boundary.allows and not (
        same_account and _boundary_bypass(direct, caller)
    ):
        missing.append(BOUNDARY)
    denies = [d for layer in (*scps, *rcps) for d in layer.denies] + resource.denies
    denies += (boundary.denies if boundary else []) + (session.denies if session else [])
    denies += identity.denies

    layers = [*scps, *rcps, resource, identity] + [x for x in (boundary, session) if x]
    missing_keys = _missing_keys(layers)
    failed = tuple(_failed(layers))
    if denies:
        first = _first_by_order(denies)
        return Decision(
            EXPLICIT_DENY, first.ref.layer, first.ref,
            f"statement {first.ref.statement} of {first.ref.policy} ({_layer_words(first)}) "
            f"explicitly denies {request.action} on {request.resource}",
            _deny_change(first, request),
            tuple(a.ref for a in core_allows), tuple(d.ref for d in denies),
            tuple(missing), failed, missing_keys,
        )
    if missing:
        layer_name = missing[0]
        return Decision(
            IMPLICIT_DENY, layer_name.split()[0], None,
            _implicit_reason(layer_name, request, same_account, policies.resource_layer),
            _allow_change(layer_name, request, caller, layers, same_account),
            tuple(a.ref for a in core_allows), (), tuple(missing),
            failed, missing_keys, tuple(a.ref for a in resource.others),
        )
    chosen = core_allows[0]
    return Decision(
        ALLOWED, chosen.ref.layer, chosen.ref,
        f"statement {chosen.ref.statement} of {chosen.ref.policy} allows {request.action} on "
        f"{request.resource} and no layer denies it", "",
        tuple(a.ref for a in core_allows), (), (), failed, missing_keys,
    )


def root_policy_name(account: str) -> str:
    """How the root user's implicit identity permissions are named in an answer."""
    return f"the root user of account {account} (every permission in its account)"


def _root_allow(caller: Caller) -> _Applied:
    """The account root user's identity permissions: everything, as one implicit Allow.

    AWS's IAM user guide ("AWS account root user"): the root user has complete access to
    all services and resources in the account, and no identity policy, permissions boundary
    or session policy can be attached to it. What still limits it is what limits any
    principal after the identity layer: an explicit Deny in a resource policy, SCPs (in a
    member account) and RCPs, and, across accounts, a resource policy that must allow its
    account. A KMS key is used only as its key policy allows: AWS KMS's key-policy page says
    no principal of the account, the root user included, has access to a key unless the key
    policy gives it (directly or by allowing the account). The same-account rules
    below give exactly that once this Allow stands in for the identity layer.
    """
    return _Applied(
        StatementRef(IDENTITY, root_policy_name(caller.account), "#1", (0, 0), "Allow"),
        Statement(1, None, "Allow", ("*",), None, ("*",), None, None, None, (), (0, 0)),
        match.DIRECT, (), True, True,
    )


def _names_exactly(applied: _Applied, caller: Caller) -> bool:
    st = applied.statement
    return st.principals is not None and any(
        p.kind == "AWS" and p.value == caller.arn for p in st.principals
    )


def _boundary_bypass(direct: list[_Applied], caller: Caller) -> list[_Applied]:
    """Same-account grants that an implicit deny in a permissions boundary does not limit.

    AWS: a resource-based policy that grants to an IAM user ARN, or to a session ARN, is
    not limited by the boundary; one that grants to the role (of a session) is.
    """
    if caller.kind in ("user", "assumed-role", "federated-user"):
        return [a for a in direct if a.principal == match.DIRECT]
    if caller.kind == "role":
        return [a for a in direct if a.principal == match.DIRECT and a.statement.principals
                and any(p.kind == "*" for p in a.statement.principals)]
    return []


def _first_by_order(applied: list[_Applied]) -> _Applied:
    def rank(a: _Applied) -> int:
        return LAYER_ORDER.index(a.ref.layer) if a.ref.layer in LAYER_ORDER else 0
    return sorted(applied, key=rank)[0]


def _layer_words(a: _Applied) -> str:
    return {
        SCP: "a service control policy", RCP: "a resource control policy",
        RESOURCE: "the resource-based policy", KMS_KEY: "the KMS key policy",
        BOUNDARY: "the permissions boundary", SESSION: "the session policy",
        IDENTITY: "an identity-based policy",
    }.get(a.ref.layer, a.ref.layer)


def _implicit_reason(layer: str, request: Request, same_account: bool,
                     resource_layer: str) -> str:
    what = f"{request.action} on {request.resource}"
    if layer.startswith(SCP):
        return f"no service control policy at {layer} allows {what}"
    if layer == BOUNDARY:
        return f"the permissions boundary does not allow {what}"
    if layer == SESSION:
        return f"the session policy does not allow {what}"
    if layer == KMS_KEY:
        return f"the KMS key policy neither allows {what} nor lets IAM policies grant it"
    if layer == RESOURCE:
        return (f"the resource-based policy does not allow {what}"
                + ("" if same_account else " for a caller from another account"))
    if not same_account:
        return f"no identity-based policy allows {what} (another account's resource needs both)"
    other = "the KMS key policy" if resource_layer == KMS_KEY else "the resource-based policy"
    return f"no identity-based policy (nor {other}) allows {what}"


def _lines(ref: StatementRef) -> str:
    """" (lines 4-9)", or nothing when the document came without its text."""
    return f" (lines {ref.lines[0]}-{ref.lines[1]})" if ref.lines[0] else ""


def _deny_change(deny: _Applied, request: Request) -> str:
    conds = list(deny.conditions)
    text = (f"remove {request.action} from statement {deny.ref.statement} of "
            f"{deny.ref.policy}{_lines(deny.ref)} or narrow its Resource")
    if conds:
        parts = [f"{r.condition.operator} {r.condition.key} {json.dumps(list(r.condition.values))}"
                 + (" (the key was absent)" if r.key_missing else "") for r in conds]
        text += "; it applied because " + " and ".join(parts) + " held"
    return text


def _allow_change(layer: str, request: Request, caller: Caller, layers: list[_Layer],
                  same_account: bool) -> str:
    base = layer.split(" level ")[0]
    names = {layer, base}
    if base == IDENTITY and same_account:  # in one account either side would allow it
        names |= {RESOURCE, KMS_KEY}
    near = [a for lay in layers if lay.name in names for a in lay.near]
    if near:
        a = near[0]
        failing = [r for r in a.conditions if not r.matched]
        parts = []
        for r in failing:
            had = ("no " + r.condition.key if r.request_value is None
                   else f"{r.condition.key}={_show(r.request_value)}")
            parts.append(f"{r.condition.operator} {r.condition.key} "
                         f"{json.dumps(list(r.condition.values))} (the request has {had})")
        return (f"statement {a.ref.statement} of {a.ref.policy}{_lines(a.ref)} would allow it "
                "if " + " and ".join(parts))
    statement: dict[str, object] = {
        "Effect": "Allow", "Action": request.action, "Resource": request.resource,
    }
    if base in (RESOURCE, KMS_KEY):
        statement = {"Effect": "Allow", "Principal": {"AWS": caller.arn}, **statement}
        where = "the KMS key policy" if base == KMS_KEY else "the resource-based policy"
    elif base.startswith(SCP):
        where = f"an SCP attached at {layer}"
    else:
        where = {BOUNDARY: "the permissions boundary", SESSION: "the session policy"}.get(
            base, "an identity-based policy of the caller")
    return f"add to {where}: {json.dumps(statement)}"


def _show(value: str | tuple[str, ...]) -> str:
    return value if isinstance(value, str) else ",".join(value)


def _missing_keys(layers: list[_Layer]) -> tuple[MissingKey, ...]:
    out: list[MissingKey] = []
    for layer in layers:
        for a in layer.seen:
            if not a.target_ok:
                continue
            for r in a.conditions:
                if r.key_missing:
                    out.append(MissingKey(a.ref, r.condition.operator, r.condition.key,
                                          r.condition.values, r.matched))
    return tuple(out)


def _failed(layers: list[_Layer]) -> list[FailedCondition]:
    out: list[FailedCondition] = []
    for layer in layers:
        for a in layer.near:
            for r in a.conditions:
                if not r.matched:
                    out.append(FailedCondition(a.ref, r.condition.operator, r.condition.key,
                                               r.condition.values, r.request_value))
    return out


def operator_is_known(name: str) -> bool:
    return parse_operator(name).base != ""
