"""pytest plugin: failing tests whose error is an AWS credential problem get a diagnosis.

Registered through the ``pytest11`` entry point as ``keydoctor``, so it is active
wherever keydoctor is installed; ``-p no:keydoctor`` turns it off. It only *adds* a
"keydoctor" section to the report of a test that failed with a botocore/boto3
credential, permission or region error (found also behind ``raise ... from``). It never
changes a test's outcome: any problem inside the plugin is swallowed, and a run without
such failures never imports botocore or the rest of keydoctor.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[Any]
) -> Generator[None, Any, None]:
    outcome = yield
    try:
        if call.excinfo is None:
            return
        report = outcome.get_result()
        if not report.failed:
            return
        text = section_text(call.excinfo.value)
        if not text:
            return
        longrepr = report.longrepr
        if hasattr(longrepr, "addsection"):  # shown under the traceback, whatever -s says
            longrepr.addsection(SECTION, text)
        else:
            report.sections.append((SECTION, text))
    except Exception:  # a diagnosis must never break anybody's test run
        return
