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

from keydoctor.integration.section import SECTION, section_text

__all__ = ["SECTION", "pytest_runtest_makereport", "section_text"]


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
