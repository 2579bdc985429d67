"""What the endpoint offers (STS, IAM, S3), read from the answers the probes already got.

Many S3-compatible servers (SeaweedFS, MinIO, Ceph RGW, R2, B2, Wasabi ...) speak S3 and
little else: STS answers 503 or 501, or the server refuses a POST to ``/`` with 405 and an
empty body. Seen from the probes, that looks like service trouble or "not an AWS answer";
the truth is that the service is not offered there, so identity and policy analysis
cannot be done. This module tells the two apart, so that a missing service is reported
once, as information, and never becomes a diagnosis.

No request is sent here: the judgement uses the probes' answers only. On AWS (an AWS host,
or answers that name Amazon S3 as their server) nothing is judged missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from keydoctor.catalog import codes
from keydoctor.catalog.hosts import is_aws_host
from keydoctor.probes import outcome as oc
from keydoctor.probes.outcome import ProbeResult

# Answers that mean "no such service here" when S3 on the same endpoint answers properly.
_NOT_OFFERED_STATUS = {404, 405, 501, 503}
# (ServiceUnavailable and a bare 404 come with their status, which the line above holds.)
# Outcomes that show an S3 answer in S3's own shape (an S3 error code, or success).
_S3_SPOKE = {oc.OK, oc.DENIED, oc.NOT_FOUND, oc.AUTH_FAILED, oc.REDIRECT}


def speaker_for(url: str | None) -> str:
    """Who answered, in words: "AWS" at an AWS host, else "the endpoint"."""
    return "AWS" if is_aws_host(url) else "the endpoint"


def _server_product(probes: list[ProbeResult]) -> str | None:
    """The product in the first ``Server`` header (``SeaweedFS 8000GB 4.48`` → SeaweedFS)."""
    for probe in probes:
        value = probe.headers.get("server", "").strip()
        if value:
            return value.split()[0].split("/")[0][:40] or None
    return None


@dataclass(frozen=True)
class Endpoint:
    """Where the probes asked, and how to speak of it in findings."""

    url: str | None
    custom: bool  # not AWS: another S3-compatible server
    server: str | None = None  # the product its answers named, e.g. "SeaweedFS"

    @classmethod
    def of(cls, url: str | None, probes: list[ProbeResult]) -> Endpoint:
        product = _server_product(probes)
        aws = is_aws_host(url) or (product or "").startswith("AmazonS3")
        return cls(url=url, custom=not aws, server=None if aws else product)

    @property
    def speaker(self) -> str:
        """ "AWS", or "the endpoint (SeaweedFS)" / "the endpoint"."""
        if not self.custom:
            return "AWS"
        return f"the endpoint ({self.server})" if self.server else "the endpoint"

    @property
    def possessive(self) -> str:
        """ "AWS's" or "the endpoint's"."""
        return "AWS's" if not self.custom else "the endpoint's"

    @property
    def admin(self) -> str:
        """Where users, keys and their rights are managed, in the server's terms."""
        if not self.custom:
            return "IAM"
        if self.server:
            return f"{self.server}'s user and policy admin"
        return "the server's user and policy admin"

    def cli(self, command: str) -> str:
        """An AWS CLI command aimed at this endpoint (``--endpoint-url`` when custom)."""
        if not self.custom or not self.url:
            return command
        head, _, rest = command.partition(" ")
        service, _, rest = rest.partition(" ")
        return f"{head} {service} --endpoint-url {self.url} {rest}".rstrip()


AWS = Endpoint(url=None, custom=False)


def _not_offered(probe: ProbeResult) -> str | None:
    """Why this STS or IAM answer means the service is absent, or None if it does not."""
    failure = probe.failure
    if failure is None or probe.outcome not in (oc.SERVER_ERROR, oc.NOT_AWS, oc.ERROR):
        return None
    status = failure.status
    if status in _NOT_OFFERED_STATUS or codes.family(failure.code) == codes.NOT_OFFERED:
        said = f"HTTP {status}" if status else failure.code
        if probe.outcome == oc.NOT_AWS:
            return f"{said} without an AWS answer"
        if failure.code and failure.code != str(status):
            said += f" {failure.code}"
        return said
    if probe.outcome == oc.NOT_AWS and status is not None and status < 500:
        return f"HTTP {status}, not an AWS answer"
    return None


@dataclass(frozen=True)
class Capabilities:
    """Which of STS and IAM the endpoint offers; S3 is what the probes are about."""

    endpoint: Endpoint
    sts: bool = True
    iam: bool = True
    sts_said: str = ""  # what STS answered, when it is not offered
    iam_said: str = ""

    @property
    def missing(self) -> list[str]:
        return [name for name, offered in (("STS", self.sts), ("IAM", self.iam)) if not offered]


def assess(
    endpoint: Endpoint,
    sts_probe: ProbeResult,
    iam_probe: ProbeResult | None,
    s3_probes: list[ProbeResult],
) -> Capabilities:
    """STS and IAM are "not offered" only at a custom endpoint whose S3 answered in S3's
    own shape while they answered 404/405/501/503 or something unreadable."""
    if not endpoint.custom or not any(p.outcome in _S3_SPOKE for p in s3_probes):
        return Capabilities(endpoint)
    sts_said = _not_offered(sts_probe) or ""
    iam_said = (_not_offered(iam_probe) or "") if iam_probe is not None else ""
    return Capabilities(
        endpoint, sts=not sts_said, iam=not iam_said, sts_said=sts_said, iam_said=iam_said
    )


def mark_not_offered(probe: ProbeResult, said: str) -> None:
    """Turn a probe of an absent service into a skipped one (its failure stays as evidence)."""
    probe.outcome = oc.SKIPPED
    probe.answer = f"not offered by this endpoint ({said})"
