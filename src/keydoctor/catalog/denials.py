"""AWS's own words for a denial, read into the evaluator's layers.

Since 2021 many AWS services end an AccessDenied message with the place that decided it:
"... with an explicit deny in a service control policy", "... because no identity-based
policy allows the s3:PutObject action". That phrase is the evaluation's answer, given by
AWS: which layer (SCP, RCP, resource policy, boundary, session policy, identity policy,
VPC endpoint policy) and whether a Deny matched or an Allow was missing. ``explain``
reads it here and names the same layer ``keydoctor policy simulate`` reports, with the
command that evaluates that request offline from the policy files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from keydoctor.shell import command

# The evaluator's names for decisions and layers (keydoctor.policy.evaluate; a test holds
# them equal). They are restated because importing the evaluator costs ``explain`` ~60 ms.
EXPLICIT_DENY = "explicit-deny"
IMPLICIT_DENY = "implicit-deny"
SCP = "scp"
RCP = "rcp"
RESOURCE = "resource-policy"
BOUNDARY = "permissions-boundary"
SESSION = "session-policy"
IDENTITY = "identity-policy"

VPC_ENDPOINT = "vpc-endpoint"  # a layer AWS names that the offline evaluator does not hold

_PLACES = {
    "service control policy": SCP,
    "resource control policy": RCP,
    "identity-based policy": IDENTITY,
    "resource-based policy": RESOURCE,
    "permissions boundary": BOUNDARY,
    "session policy": SESSION,
    "vpc endpoint policy": VPC_ENDPOINT,
}
_PLACE = "|".join(re.escape(p) for p in _PLACES)
_PHRASE = re.compile(rf"(?i)\b(with an explicit deny in an?|because no) ({_PLACE})\b(?: allows\b)?")
# "User: ARN is not authorized to perform: ACTION on resource: ARN" (quoted or not).
_REQUEST = re.compile(
    r"(?:User|Principal): (arn:[\w.-]+:[\w-]*:[\w-]*:\d*:[^\s\"',]+) is not authorized to "
    r"perform: ([a-z0-9-]+:[A-Za-z0-9*]+)(?: on resource: \"?(arn:[^\s\"',]+|\*))?"
)
# The policy file each layer is given to `keydoctor policy simulate` with.
_FLAGS = {
    SCP: ("--scp", "scp.json"),
    RCP: ("--rcp", "rcp.json"),
    IDENTITY: ("--identity-policy", "policy.json"),
    RESOURCE: ("--bucket-policy", "bucket-policy.json"),
    BOUNDARY: ("--boundary", "boundary.json"),
    SESSION: ("--session-policy", "session-policy.json"),
}
_NAMES = {layer: place for place, layer in _PLACES.items()}


@dataclass(frozen=True)
class AwsDenial:
    """What AWS said decided a denial, and the request it names."""

    decision: str  # EXPLICIT_DENY or IMPLICIT_DENY
    layer: str  # one of the evaluator's layers, or VPC_ENDPOINT
    words: str  # the phrase as AWS wrote it
    principal: str | None = None
    action: str | None = None
    resource: str | None = None

    def describe(self) -> str:
        """The layer and the kind of denial, in a sentence."""
        place = _NAMES[self.layer]
        if self.decision == EXPLICIT_DENY:
            return f"a Deny statement in a {place} matched this request"
        return f"no {place} allows this request (an Allow is missing there)"

    def simulate(self) -> str | None:
        """The ``keydoctor policy simulate`` command for this request at this layer.

        None when the request is not fully named or the layer is one the offline
        evaluator does not hold (a VPC endpoint policy). Values from the text are
        shell-quoted.
        """
        flag = _FLAGS.get(self.layer)
        if flag is None or not (self.principal and self.action and self.resource):
            return None
        words = ["keydoctor", "policy", "simulate", "--action", self.action]
        words += ["--resource", self.resource, "--principal", self.principal, *flag]
        if self.layer != IDENTITY:
            words += ["--identity-policy", "policy.json"]
        return command(*words)

    def to_dict(self) -> dict[str, str | None]:
        return {
            "decision": self.decision,
            "layer": self.layer,
            "words": self.words,
            "principal": self.principal,
            "action": self.action,
            "resource": self.resource,
            "simulate": self.simulate(),
        }


def read_denial(text: str) -> AwsDenial | None:
    """AWS's phrase for the deciding layer in ``text``, or None when it has none."""
    found = _PHRASE.search(text)
    if found is None:
        return None
    decision = EXPLICIT_DENY if found.group(1).lower().startswith("with") else IMPLICIT_DENY
    layer = _PLACES[found.group(2).lower()]
    request = _REQUEST.search(text)
    principal = action = resource = None
    if request is not None:
        principal, action, resource = request.group(1), request.group(2), request.group(3)
    return AwsDenial(decision, layer, found.group(0), principal, action, resource)
