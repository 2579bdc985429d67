"""The parsed shape of one COPY or UNLOAD statement: plain data, secrets held as Secret.

The parser (:mod:`keydoctor.redshift.parser`) fills these in without judging them; the
checks (:mod:`keydoctor.redshift.checks`) turn what is odd into findings. Keeping the
two apart lets the tests pin the parse of every clause form on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from keydoctor.model import Secret
from keydoctor.redact import split_userinfo


@dataclass(frozen=True)
class Operand:
    """A parameter's value as typed: its content, how it was quoted, where it is.

    ``quote`` is ``'`` for a proper string, ``"`` for an identifier, ``$$``/``$tag$`` for
    a dollar-quoted string, a typographic quote character, or ``""`` when unquoted.
    The content of a credentials operand is a secret; it is wrapped at the
    :class:`AuthClause` level and never formatted into a message.
    """

    text: str = field(repr=False)
    quote: str
    line: int
    unterminated: bool = False

    @property
    def properly_quoted(self) -> bool:
        return self.quote == "'" and not self.unterminated


@dataclass(frozen=True)
class AuthClause:
    """One authorization parameter as written (``CREDENTIALS``, ``ACCESS_KEY_ID`` ...)."""

    keyword: str  # upper-case keyword as recognised (possibly a misspelling, see ``typed``)
    typed: str  # the keyword as the user typed it
    operand: Operand | None  # None for IAM_ROLE default, or when the value is missing
    is_default: bool = False
    secret: Secret | None = None  # the operand's content when it is secret material


@dataclass
class Statement:
    """One statement of the input, COPY, UNLOAD or anything else."""

    index: int
    line: int
    kind: str  # "COPY", "UNLOAD" or "OTHER"
    first_word: str = ""
    table: str | None = None
    location: Operand | None = None  # FROM (COPY) or TO (UNLOAD)
    location_keyword: str = ""
    manifest: bool = False
    region: Operand | None = None
    formats: list[str] = field(default_factory=list)
    auth: list[AuthClause] = field(default_factory=list)
    unterminated: list[Operand] = field(default_factory=list)  # strings that never close
    problems: list[str] = field(default_factory=list)  # parse notes, no values in them
    misspelt_keywords: list[tuple[str, str]] = field(default_factory=list)  # (typed, meant)

    @property
    def is_copy_or_unload(self) -> bool:
        return self.kind in ("COPY", "UNLOAD")


@dataclass(frozen=True)
class S3Location:
    """``s3://bucket/prefix`` split up; ``problem`` says why it is not one, in words."""

    bucket: str | None
    prefix: str
    scheme: str
    problem: str | None = None


def parse_s3_uri(text: str) -> S3Location:
    """Split an S3 URI as COPY and UNLOAD accept it (``s3://bucket/prefix``)."""
    value = text.strip()
    lowered = value.lower()
    if "://" not in value:
        return S3Location(None, "", "", "it has no scheme; COPY and UNLOAD need s3://bucket/prefix")
    scheme, rest = value.split("://", 1)
    userinfo, rest = split_userinfo(rest)
    if userinfo:
        named, _, prefix = rest.partition("/")
        return S3Location(
            named or None,
            prefix,
            scheme.lower(),
            "it holds credentials (id:secret@) before the bucket; COPY and UNLOAD take them "
            "only in the authorization clause",
        )
    if lowered.startswith(("https://", "http://")):
        host, _, path = rest.partition("/")
        bucket = None
        if ".s3" in host:
            bucket = host.split(".s3", 1)[0]
            key = path
        elif host.startswith("s3") and path:
            bucket, _, key = path.partition("/")
        else:
            key = path
        return S3Location(
            bucket,
            key,
            scheme.lower(),
            "it is an HTTP(S) URL; COPY and UNLOAD take the s3://bucket/prefix form",
        )
    bucket, _, prefix = rest.partition("/")
    if scheme.lower() != "s3":
        if scheme.lower() in ("s3a", "s3n"):
            return S3Location(
                bucket or None,
                prefix,
                scheme.lower(),
                f"{scheme}:// is Hadoop's scheme; Redshift only understands s3://",
            )
        return S3Location(bucket or None, prefix, scheme.lower(), None)
    if scheme != "s3":
        return S3Location(
            bucket or None, prefix, "s3", "the scheme must be written in lower case, s3://"
        )
    if not bucket:
        return S3Location(None, prefix, "s3", "there is no bucket name after s3://")
    if bucket != bucket.lower() or not all(c.isalnum() or c in ".-" for c in bucket):
        return S3Location(
            bucket,
            prefix,
            "s3",
            "the bucket name has characters S3 bucket names never have "
            "(only lower-case letters, digits, '.' and '-')",
        )
    if not 3 <= len(bucket) <= 63:
        return S3Location(bucket, prefix, "s3", "bucket names are 3 to 63 characters long")
    return S3Location(bucket, prefix, "s3", None)
