"""The diagnosis of a failed AWS call as a report section, one renderer for every host.

The pytest plugin adds it to a failing test's report; ``keydoctor run`` prints it after
the traceback of an uncaught error. Both go through :func:`section_text`, so the same
failure shows the same ranked causes and the same local audit findings wherever it
happens. Importing this module imports nothing heavy: botocore and the rest of keydoctor
load only when there is an AWS error to explain.
"""

from __future__ import annotations

SECTION = "keydoctor diagnosis"
_MAX_CHAIN = 6
_CAUSES_SHOWN = 3


def _aws_exception(exc: BaseException | None) -> BaseException | None:
    """The first botocore/boto3 exception in ``exc``'s cause/context chain."""
    seen = 0
    while exc is not None and seen < _MAX_CHAIN:
        if type(exc).__module__.startswith(("botocore", "boto3")):
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def section_text(exc: BaseException) -> str | None:
    """The report section for ``exc``, or None when keydoctor has nothing to say."""
    aws = _aws_exception(exc)
    if aws is None:
        return None
    from keydoctor.integration.classify import is_diagnosable

    if not is_diagnosable(aws):
        return None
    from keydoctor.integration import diagnose

    diagnosis = diagnose(aws)
    if not diagnosis.found:
        return None
    lines = [diagnosis.summary(), ""]
    for rank, cause in enumerate(diagnosis.causes[:_CAUSES_SHOWN], start=1):
        lines.append(f"{rank}. [{cause.category.value}] {cause.title}")
        for why in cause.why[:3]:
            lines.append(f"   because {why}")
        lines.append(f"   fix: {' '.join(cause.fix.split())}")
    for finding in diagnosis.findings:
        lines.append(f"audit {finding.code} ({finding.severity.value}): {finding.title}")
    client = {k: v for k, v in diagnosis.client.items() if v not in (None, False, "")}
    if client:
        lines.append("client: " + ", ".join(f"{k}={v}" for k, v in client.items()))
    from keydoctor.redact import scrub_patterns

    return scrub_patterns("\n".join(lines))
