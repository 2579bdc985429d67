"""The functions a program calls itself: ``diagnose`` and ``check``."""

from __future__ import annotations

from keydoctor.examine import CheckResult
from keydoctor.integration.diagnosis import Diagnosis, for_exception, for_text


def diagnose(error: BaseException | str | bytes, *, audit: bool | None = None) -> Diagnosis:
    """The structured diagnosis of an exception or of error text.

    ``error`` may be an exception (a ``ClientError``, ``NoCredentialsError`` ... caught
    with or without the hook: one the hook already diagnosed is returned as it is) or
    any text an AWS tool printed (AWS CLI output, a traceback, a log). ``audit`` runs
    the offline audit of this machine's credentials as extra evidence; by default it
    does for exceptions (they were raised here) and not for text (it may come from
    anywhere). Never touches the network.
    """
    if isinstance(error, BaseException):
        return for_exception(error, audit=True if audit is None else audit)
    if isinstance(error, bytes):
        error = error.decode("utf-8", errors="replace")
    if not isinstance(error, str):
        raise TypeError(f"diagnose() takes an exception or text, not {type(error).__name__}")
    return for_text(error, audit=bool(audit))


# The result ``keydoctor check`` renders; the name programs used before it was shared.
CheckReport = CheckResult


def check(
    *,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    expect_account: str | None = None,
    environ: dict[str, str] | None = None,
    online: bool = False,
    buckets: tuple[str, ...] = (),
    timeout: float = 2.5,
) -> CheckResult:
    """Run ``keydoctor check`` from Python and return the very result the command renders.

    Offline by default (what ``keydoctor check --offline`` does); ``online=True`` asks the
    endpoint as well, with ``buckets`` tested like ``--bucket``. ``environ`` replaces
    ``os.environ`` for the audit (HOME, AWS_* variables), which is how tests and
    multi-tenant programs audit a setting other than their own.
    """
    from keydoctor.examine import run_check

    plan = None
    if online:
        from keydoctor.probes.runner import ProbePlan

        plan = ProbePlan(buckets=buckets, expect_account=expect_account)
    return run_check(
        profile=profile,
        region=region,
        endpoint_url=endpoint_url,
        expect_account=expect_account,
        environ=environ,
        online=online,
        plan=plan,
        timeout=timeout,
    )
