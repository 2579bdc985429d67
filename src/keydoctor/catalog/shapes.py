"""Read the AWS error code out of the shape each tool prints it in.

The catalog's own patterns find a code it knows wherever it stands. These readers find
*any* code in the place each SDK or tool puts it, so that a code named by another of its
documented names (an alias: Go SDK v1's ``Forbidden`` for a body-less 403, S3's
``MalformedPolicy`` for IAM's ``MalformedPolicyDocument``) is matched to its catalog error,
and a code the catalog does not hold is still reported as seen. Each shape is the format the
tool's documentation or source gives for its error text:

* botocore / AWS CLI v2: ``An error occurred (Code) when calling the Op operation: …``;
  AWS CLI v1: ``A client error (Code) occurred when calling the Op operation: …``;
* Java SDK v1: ``(Service: Amazon S3; Status Code: 403; Error Code: Code; Request ID: …)``;
  PHP SDK v2: ``AWS Error Code: Code, Status Code: 403, AWS Request ID: …``;
* PHP SDK v3: ``… AWS HTTP error: Client error: … Code (client): message``;
* Go SDK v2 (and Terraform's AWS provider): ``operation error STS: GetCallerIdentity, https
  response error StatusCode: 403, RequestID: …, api error Code: message`` for an error the
  service model does not name (``smithy.GenericAPIError``), and ``…, RequestID: …, Code:
  message`` for a modeled one (each service's ``types`` package prints ``Code: message``);
* Go SDK v1 (and rclone, Velero, restic's S3 backend): ``Code: message`` on one line and
  ``status code: 403, request id: …`` on the next (``awserr.RequestFailure``), or followed by
  ``caused by: …`` (``awserr.Error`` wrapping another error);
* Ruby SDK: the exception class ``Aws::S3::Errors::Code`` (one class per error code);
* JavaScript SDK v2 / v3: the error object printed by Node, ``code: 'Code'`` (v2) or
  ``name: 'Code'`` / ``Code: 'Code'`` (v3);
* Rust SDK: ``ErrorMetadata { code: Some("Code"), message: … }``;
* S3's XML body ``<Code>Code</Code>``, the JSON services' ``"__type": "…#Code"`` /
  ``"code": "Code"``, a CloudTrail event's ``"errorCode": "Code"`` (EC2's with a
  ``Client.`` prefix), a Lambda function's ``"errorType": "Code"``, s3cmd's
  ``S3 error: 403 (Code)``;
* .NET SDK (and the AWS Tools for PowerShell) for an answer without a body:
  ``Error making request with Error Code Code and Http Status Code Status.`` (the code is
  the status's name, ``Forbidden``, when the service sent none).

Every pattern is bounded (no nested repeats) and searched once per text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CODE = r"([A-Za-z][A-Za-z0-9_.]{2,59})"


@dataclass(frozen=True)
class Shape:
    """One tool's way of printing an error code."""

    name: str
    pattern: re.Pattern[str]


SHAPES: tuple[Shape, ...] = (
    Shape("botocore", re.compile(r"An error occurred \(" + _CODE + r"\) when calling")),
    Shape("aws-cli-v1", re.compile(r"A client error \(" + _CODE + r"\) occurred when calling")),
    Shape("java-v1", re.compile(r"\bError Code: " + _CODE + r"[;)]")),
    Shape("php-v2", re.compile(r"\bAWS Error Code: " + _CODE + r",")),
    Shape("php-v3", re.compile(r"\b" + _CODE + r" \((?:client|server)\): ")),
    Shape("s3-xml", re.compile(r"<Code>" + _CODE + r"</Code>")),
    Shape(
        "json",
        re.compile(
            r"\"(?:code|Code|__type|errorCode|ErrorCode|errorType)\"\s*:\s*\"(?:[\w.]*#)?"
            + _CODE
            + r"\""
        ),
    ),
    Shape("go-v2", re.compile(r"\bapi error " + _CODE + r":")),
    Shape(
        "go-v2-modeled",
        re.compile(
            r"https response error StatusCode: \d{3}, RequestID: [^,\n]{0,80},"
            r"(?: HostID: [^,\n]{0,200},)? " + _CODE + r": "
        ),
    ),
    Shape(
        "go-v1",
        re.compile(
            r"\b([A-Z][A-Za-z0-9]{2,59})"
            r"(?=: [^\n]{0,300}(?:\n[ \t]*status code: \d{3}, |\n?[ \t]*caused by: ))"
        ),
    ),
    Shape("ruby", re.compile(r"\bAws::[A-Za-z0-9]{2,40}::Errors::([A-Z][A-Za-z0-9]{2,59})\b")),
    Shape("js", re.compile(r"\b(?:code|name|Code)\s*:\s*'" + _CODE + r"'")),
    Shape("rust", re.compile(r"\bcode: Some\(\"" + _CODE + r"\"\)")),
    Shape("s3cmd", re.compile(r"\bS3 error: \d{3} \(" + _CODE + r"\)")),
    Shape("rest-code", re.compile(r"\bcode[:=] ?" + _CODE + r", message[:=]")),
    Shape(
        "dotnet",
        re.compile(r"\bError making request with Error Code " + _CODE + r" and Http Status Code"),
    ),
)

# Words that stand where a code stands but name no AWS error: the JavaScript error class, a
# log level, the Go SDK's wrapper of the real error.
_NOT_CODES = frozenset(
    {
        "error",
        "exception",
        "serviceexception",
        "caused",
        "request",
        "requesterror",
        "requestfailure",
        "serializationerror",
        "typeerror",
        "warning",
        "info",
        "debug",
        "fatal",
        "failed",
    }
)


def read_codes(text: str) -> list[tuple[str, int, str]]:
    """Each code the text shows in a tool's shape: (code, position, shape name), in order of
    position, each code once."""
    found: dict[str, tuple[str, int, str]] = {}
    for shape in SHAPES:
        for match in shape.pattern.finditer(text):
            code = match.group(1).rsplit(".", 1)[-1]
            if code.lower() in _NOT_CODES or code.isdigit():
                continue
            known = found.get(code)
            if known is None or match.start(1) < known[1]:
                found[code] = (code, match.start(1), shape.name)
    return sorted(found.values(), key=lambda item: item[1])


__all__ = ["SHAPES", "Shape", "read_codes"]
