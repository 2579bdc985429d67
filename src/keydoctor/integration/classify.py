"""Which exceptions keydoctor diagnoses, and the text and code it reads from them.

Only authentication, authorization, region and credential errors are diagnosed: a
``ClientError`` whose code the error catalog knows, and botocore's own credential and
configuration exceptions. Everything else (``NoSuchKey``, throttling, a network error)
passes untouched, without even loading the catalog twice.

Classes are matched by name along the exception's MRO, so this module never imports
botocore and stays correct for exception classes that older botocore versions lack.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from keydoctor.redact import hide_process_output

# botocore.exceptions classes (and their subclasses) that mean the credentials, the
# profile, the region or a credential provider is the problem.
BOTOCORE_ERRORS: frozenset[str] = frozenset(
    {
        "NoCredentialsError",
        "PartialCredentialsError",
        "ProfileNotFound",
        "ConfigNotFound",
        "NoRegionError",
        "InvalidRegionError",
        "SSOError",
        "SSOTokenLoadError",
        "UnauthorizedSSOTokenError",
        "PendingAuthorizationExpiredError",
        "TokenRetrievalError",
        "CredentialRetrievalError",
        "UnknownCredentialError",
        "InvalidConfigError",
        "RefreshWithMFAUnsupportedError",
        "MetadataRetrievalError",
        "ConfigParseError",
        "NoAuthTokenError",
        "InvalidIMDSEndpointError",
    }
)


@dataclass(frozen=True)
class ErrorFacts:
    """What an exception says about itself, before any diagnosis."""

    kind: str  # "client-error", "botocore" or "other"
    code: str  # the AWS error code, or the exception class name
    text: str  # the text handed to the catalog (class name and message)
    operation: str | None = None
    http_status: int | None = None


def _class_names(exc: BaseException) -> list[str]:
    return [cls.__name__ for cls in type(exc).__mro__]


def _is_client_error(exc: BaseException) -> bool:
    return "ClientError" in _class_names(exc) and isinstance(getattr(exc, "response", None), dict)


def error_facts(exc: BaseException, message: str | None = None) -> ErrorFacts:
    """Code, operation and text of an exception; ``message`` overrides ``str(exc)``."""
    # A credential_process's stderr (in botocore's message) is never read or kept.
    text = hide_process_output(message if message is not None else _safe_str(exc))
    cls = type(exc)
    qualified = f"{cls.__module__}.{cls.__qualname__}"
    if _is_client_error(exc):
        response: dict[str, object] = getattr(exc, "response", {})
        error = response.get("Error")
        code = ""
        if isinstance(error, dict):
            code = str(error.get("Code") or "")
        meta = response.get("ResponseMetadata")
        status = meta.get("HTTPStatusCode") if isinstance(meta, dict) else None
        operation = getattr(exc, "operation_name", None)
        return ErrorFacts(
            kind="client-error",
            code=code or cls.__name__,
            text=f"{qualified}: {text}",
            operation=operation if isinstance(operation, str) else None,
            http_status=status if isinstance(status, int) else None,
        )
    names = _class_names(exc)
    botocore_name = next((n for n in names if n in BOTOCORE_ERRORS), None)
    if botocore_name is not None and cls.__module__.startswith(("botocore", "boto3")):
        return ErrorFacts(kind="botocore", code=cls.__name__, text=f"{qualified}: {text}")
    return ErrorFacts(kind="other", code=cls.__name__, text=f"{qualified}: {text}")


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # a broken __str__ must not break the diagnosis
        return type(exc).__name__


@lru_cache(maxsize=256)
def known_code(code: str) -> bool:
    """True when the error catalog knows ``code``."""
    from keydoctor.catalog.schema import load_catalog

    return load_catalog().by_code(code) is not None


def is_diagnosable(exc: BaseException) -> bool:
    """Whether keydoctor has something to say about ``exc``; cheap, never raises."""
    try:
        if _is_client_error(exc):
            facts = error_facts(exc, message="")
            return known_code(facts.code)
        names = _class_names(exc)
        return type(exc).__module__.startswith(("botocore", "boto3")) and any(
            n in BOTOCORE_ERRORS for n in names
        )
    except Exception:
        return False
