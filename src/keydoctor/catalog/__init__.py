"""The error knowledge as data, and the function that applies it to pasted text.

Public entry point::

    from keydoctor.catalog import diagnose_text
    explanation = diagnose_text(traceback_text)
    explanation.error_code        # "InvalidAccessKeyId"
    explanation.causes[0].category  # Category.KEY_ID_WRONG
    explanation.to_dict()           # the JSON shape of ``keydoctor explain --format json``

Importing this package is cheap: the catalog files are parsed on the first call, and
nothing here imports boto3 or touches the network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keydoctor.catalog.result import Explanation
    from keydoctor.model import Finding

__all__ = ["Explanation", "diagnose_text", "load_catalog"]


def diagnose_text(
    text: str,
    *,
    findings: list[Finding] | None = None,
    hints: dict[str, Any] | None = None,
) -> Explanation:
    """Explain the AWS error(s) in ``text`` and rank their likely causes.

    ``text`` may be anything a person pastes: a one-line message, a Python traceback,
    AWS CLI output, a Java stack trace, an XML error body, a Terraform or Redshift
    message, a whole log. Binary junk and very long logs are reduced first, so the call
    stays fast (well under a second for megabytes).

    ``findings`` are results of the offline audit (:func:`keydoctor.audit.run_audit`)
    or any other :class:`~keydoctor.model.Finding`: a finding whose category matches a
    cause raises that cause (high-severity findings more), and is named in its ``why``.

    ``hints`` are facts the caller knows better than the text: ``code`` (the error code,
    e.g. from a caught ``ClientError``), ``tool``, ``operation``, ``region``,
    ``endpoint_url`` and ``service``. Unknown hint keys raise :class:`ValueError`.

    The result never contains a secret: key ids are masked, and anything that looks
    like a secret key, session token or signature is removed; ``secret_in_text`` says
    whether the text held one (it should then be rotated). ``found`` is False when no
    known AWS error is in the text.
    """
    from keydoctor.catalog.matcher import diagnose

    return diagnose(text, findings=findings, hints=hints)


def __getattr__(name: str) -> Any:
    if name == "Explanation":
        from keydoctor.catalog.result import Explanation

        return Explanation
    if name == "load_catalog":
        from keydoctor.catalog.schema import load_catalog

        return load_catalog
    raise AttributeError(f"module 'keydoctor.catalog' has no attribute {name!r}")
