"""KD1xx and KD5xx: the key id, the secret and the session token themselves.

The inspectors (:func:`inspect_key_id`, :func:`inspect_secret`, :func:`inspect_pair`)
work on plain strings, so that any place keys come from (the credential chain, a Redshift
credentials clause, a pasted error) gets the same scrutiny. They return
:class:`ValueProblem` objects: a rule and masked words, never the value itself.

Values are checked as the SDK will send them: botocore strips whitespace around values
in the shared files but keeps everything in environment variables, so the same stray
space is fatal in one place and harmless in the other.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from keydoctor.checks.base import COMMAND, AuditContext, Rule, keydoctor_fix
from keydoctor.keyid import ACCESS_KEY_PREFIXES, PREFIXES, decode_account
from keydoctor.model import Category, CredentialSource, Finding, Severity
from keydoctor.redact import mask_key_id
from keydoctor.shell import command, profile_args, quote

H, C, M, L, INFO = (
    Severity.HIGH,
    Severity.CRITICAL,
    Severity.MEDIUM,
    Severity.LOW,
    Severity.INFO,
)

WHITESPACE = Rule(
    "KD101",
    "value-whitespace",
    H,
    Category.SECRET_WRONG,
    "Stray whitespace or line break in a credential value",
    "Finds spaces, tabs and line breaks inside or around a key id, secret or token as the SDK "
    "will send it. AWS compares the exact bytes, so the signature is computed with a different "
    "key and the call fails (SignatureDoesNotMatch, InvalidAccessKeyId). Fix: set the value "
    "again without the character.",
    remedy=keydoctor_fix("tidy"),
)
QUOTES = Rule(
    "KD102",
    "value-quotes",
    H,
    Category.SECRET_WRONG,
    "Quotes are part of a credential value",
    "Finds quote characters kept inside a value: INI files and most env loaders keep them, so "
    'the SDK sends `"AKIA..."` with its quotes. Fix: remove the quotes.',
    remedy=keydoctor_fix("tidy"),
)
INVISIBLE = Rule(
    "KD103",
    "value-invisible-characters",
    H,
    Category.SECRET_WRONG,
    "Invisible, non-ASCII or look-alike character in a credential value",
    "Finds zero-width characters, non-breaking spaces, smart quotes and letters from other "
    "alphabets that look like Latin ones (a Cyrillic А for A). They come from copying keys out "
    "of chat, PDFs and web pages. Fix: type or paste the value again from the IAM console.",
    remedy=keydoctor_fix("tidy"),
)
KEY_ID_LENGTH = Rule(
    "KD104",
    "key-id-length",
    H,
    Category.KEY_ID_WRONG,
    "Access key id is not 20 characters",
    "Access key ids are exactly 20 characters. A shorter or longer value was truncated or "
    "mangled when it was copied. Fix: copy the full id again.",
)
KEY_ID_ALPHABET = Rule(
    "KD105",
    "key-id-alphabet",
    H,
    Category.KEY_ID_WRONG,
    "Access key id has characters no key id has",
    "Key ids use only upper-case letters and digits. Lower-case letters or symbols mean the "
    "value was mangled or is not a key id. Fix: copy the id again.",
)
KEY_ID_PREFIX = Rule(
    "KD106",
    "key-id-prefix",
    H,
    Category.KEY_ID_WRONG,
    "Not an access key id",
    "Only AKIA (long-term) and ASIA (temporary) ids are access keys. AIDA is a user id, AROA "
    "a role id and so on: AWS answers InvalidAccessKeyId/InvalidClientTokenId. Fix: use the "
    "access key id from the IAM console's Security credentials tab.",
)
SECRET_LENGTH = Rule(
    "KD107",
    "secret-length",
    H,
    Category.SECRET_WRONG,
    "Secret access key is not 40 characters",
    "Secret access keys are exactly 40 characters of letters, digits, '+' and '/'. Another "
    "length means part of it was lost or something was added. Fix: copy the secret again; if "
    "it is lost, create a new key.",
)
SWAPPED = Rule(
    "KD108",
    "id-secret-swapped",
    C,
    Category.SECRET_WRONG,
    "Access key id and secret are swapped",
    "The id field holds a 40-character secret and the secret field holds a 20-character key "
    "id. Fix: exchange the two values.",
)
EXAMPLE_KEYS = Rule(
    "KD109",
    "documentation-example-keys",
    C,
    Category.KEY_ID_WRONG,
    "The AWS documentation's example keys are in use",
    "AKIAIOSFODNN7EXAMPLE and its example secret appear throughout AWS's documentation; no "
    "account accepts them. Fix: replace them with your own key.",
)
PARTIAL = Rule(
    "KD110",
    "partial-credentials",
    C,
    Category.CONFIG_MALFORMED,
    "Only half of a key pair is set",
    "An access key id without its secret (or the reverse). botocore raises "
    "PartialCredentialsError or skips the source. Fix: set both values together.",
)
SECRET_ALPHABET = Rule(
    "KD111",
    "secret-alphabet",
    H,
    Category.SECRET_WRONG,
    "Secret access key has characters no secret has",
    "Secrets use letters, digits, '+' and '/' only. Any other character was added on the way "
    "(a shell prompt's '%', a trailing comma). Fix: copy the secret again.",
)
ACCOUNT_INFO = Rule(
    "KD120",
    "key-account",
    INFO,
    Category.WRONG_SOURCE,
    "Account decoded from the key id",
    "Decodes the owning AWS account from a new-format key id, offline, so that keys from "
    "the wrong account are visible before any call is made.",
)
ACCOUNT_MISMATCH = Rule(
    "KD121",
    "key-account-mismatch",
    H,
    Category.WRONG_SOURCE,
    "Key belongs to another account than expected",
    "The key id decodes to a different account than --expect-account. Fix: use the key of "
    "the expected account (see which profile holds it).",
)
ASIA_NO_TOKEN = Rule(
    "KD501",
    "temporary-key-without-token",
    C,
    Category.SESSION_TOKEN,
    "Temporary (ASIA) key without its session token",
    "ASIA keys come from STS and only work together with their session token; without it AWS "
    "answers InvalidClientTokenId / InvalidAccessKeyId. Fix: set the token "
    "(AWS_SESSION_TOKEN or aws_session_token) from the same STS answer, or get new ones.",
)
TOKEN_WITH_AKIA = Rule(
    "KD502",
    "token-with-long-term-key",
    H,
    Category.SESSION_TOKEN,
    "Session token set with a long-term (AKIA) key",
    "A session token belongs to an ASIA key. Sent with an AKIA key, AWS rejects the request "
    "(InvalidToken / The security token included in the request is invalid). Fix: remove the "
    "stale token.",
    remedy=COMMAND,
)
EXPIRED = Rule(
    "KD503",
    "credentials-expired",
    C,
    Category.SESSION_TOKEN,
    "Temporary credentials have expired",
    "The expiry that came with the credentials has passed; AWS answers ExpiredToken. Fix: "
    "get new temporary credentials.",
)
EXPIRING = Rule(
    "KD504",
    "credentials-expiring",
    L,
    Category.SESSION_TOKEN,
    "Temporary credentials expire within 15 minutes",
    "Long jobs started now will fail half way with ExpiredToken. Fix: refresh them first.",
)
SSO_EXPIRED = Rule(
    "KD505",
    "sso-token-expired",
    C,
    Category.PROVIDER_FAILURE,
    "SSO session token expired or missing",
    "The SSO profile needs a cached token from `aws sso login`; it is missing or expired, so "
    "botocore raises UnauthorizedSSOTokenError / SSOTokenLoadError. Fix: aws sso login.",
)

RULES = (
    WHITESPACE,
    QUOTES,
    INVISIBLE,
    KEY_ID_LENGTH,
    KEY_ID_ALPHABET,
    KEY_ID_PREFIX,
    SECRET_LENGTH,
    SWAPPED,
    EXAMPLE_KEYS,
    PARTIAL,
    SECRET_ALPHABET,
    ACCOUNT_INFO,
    ACCOUNT_MISMATCH,
    ASIA_NO_TOKEN,
    TOKEN_WITH_AKIA,
    EXPIRED,
    EXPIRING,
    SSO_EXPIRED,
)

EXAMPLE_KEY_IDS = {"AKIAIOSFODNN7EXAMPLE", "AKIAI44QH8DHBEXAMPLE", "ASIAIOSFODNN7EXAMPLE"}
EXAMPLE_SECRETS = {
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
}
_SECRET_ALPHABET = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_QUOTES = "\"'`\u2018\u2019\u201c\u201d"
_INVISIBLE = {
    "\u200b": "a zero-width space (U+200B)",
    "\u200c": "a zero-width non-joiner (U+200C)",
    "\u200d": "a zero-width joiner (U+200D)",
    "\u2060": "a word joiner (U+2060)",
    "\ufeff": "a byte-order mark (U+FEFF)",
    "\u00a0": "a non-breaking space (U+00A0)",
    "\u00ad": "a soft hyphen (U+00AD)",
}


@dataclass(frozen=True)
class ValueProblem:
    """A problem in one value, in masked words; turned into a Finding by the caller."""

    rule: Rule
    explanation: str
    fix: str


def describe_char(char: str) -> str:
    """Name a character without showing the secret around it."""
    if char in _INVISIBLE:
        return _INVISIBLE[char]
    names = {
        " ": "a space",
        "\t": "a tab",
        "\n": "a line break (\\n)",
        "\r": "a carriage return (\\r)",
    }
    if char in names:
        return names[char]
    if char in _QUOTES:
        return f"a quote character ({char!r})"
    code = f"U+{ord(char):04X}"
    try:
        name = unicodedata.name(char)
    except ValueError:
        name = "unnamed character"
    if ord(char) < 128:
        return f"'{char}' ({code})"
    lookalike = _lookalike(char)
    if lookalike:
        return f"{name.title()} ({code}), which looks like Latin '{lookalike}'"
    return f"{name.title()} ({code})"


def _lookalike(char: str) -> str | None:
    decomposed = unicodedata.normalize("NFKD", char)
    if decomposed and decomposed[0].isascii() and decomposed[0].isalnum():
        return decomposed[0]
    name = unicodedata.name(char, "")
    for script in ("CYRILLIC", "GREEK"):
        if name.startswith(script):
            letter = name.split()[-1]
            table = {
                "A": "A",
                "BE": "B",
                "VE": "B",
                "ES": "C",
                "IE": "E",
                "EN": "H",
                "KA": "K",
                "EM": "M",
                "O": "O",
                "ER": "P",
                "TE": "T",
                "HA": "X",
                "U": "Y",
                "ALPHA": "A",
                "BETA": "B",
                "EPSILON": "E",
                "ETA": "H",
                "IOTA": "I",
                "KAPPA": "K",
                "MU": "M",
                "NU": "N",
                "OMICRON": "O",
                "RHO": "P",
                "TAU": "T",
                "CHI": "X",
                "UPSILON": "Y",
                "ZETA": "Z",
                "DZE": "S",
                "JE": "J",
                "I": "I",
            }
            if letter in table:
                return table[letter] if "CAPITAL" in name else table[letter].lower()
    return None


def _position(index: int, value: str) -> str:
    if index == 0:
        return "at the start (position 1)"
    if index == len(value) - 1:
        return f"at the end (position {index + 1})"
    return f"at position {index + 1} of {len(value)}"


def _character_problems(value: str, what: str, fix_hint: str) -> list[ValueProblem]:
    """Whitespace, quotes and invisible characters, with their positions."""
    problems: list[ValueProblem] = []
    spots: dict[str, list[str]] = {"ws": [], "quote": [], "invisible": []}
    for index, char in enumerate(value):
        if char in " \t\r\n":
            spots["ws"].append(f"{describe_char(char)} {_position(index, value)}")
        elif char in _QUOTES:
            spots["quote"].append(f"{describe_char(char)} {_position(index, value)}")
        elif char in _INVISIBLE or not char.isascii() or not char.isprintable():
            spots["invisible"].append(f"{describe_char(char)} {_position(index, value)}")
    if spots["ws"]:
        problems.append(
            ValueProblem(
                WHITESPACE,
                f"The {what} contains " + "; ".join(spots["ws"][:4]) + ".",
                fix_hint,
            )
        )
    if spots["quote"]:
        problems.append(
            ValueProblem(
                QUOTES, f"The {what} contains " + "; ".join(spots["quote"][:4]) + ".", fix_hint
            )
        )
    if spots["invisible"]:
        problems.append(
            ValueProblem(
                INVISIBLE,
                f"The {what} contains " + "; ".join(spots["invisible"][:4]) + ".",
                fix_hint,
            )
        )
    return problems


def _clean(value: str) -> str:
    """The value without the characters reported separately, for the shape checks."""
    kept = []
    for char in value:
        if char in " \t\r\n" or char in _QUOTES or char in _INVISIBLE:
            continue
        kept.append(char)
    return "".join(kept)


def inspect_key_id(value: str, fix_hint: str) -> list[ValueProblem]:
    """Everything wrong with one access key id, in masked words."""
    problems = _character_problems(value, "access key id", fix_hint)
    core = _clean(value)
    masked = mask_key_id(core)
    if core in EXAMPLE_KEY_IDS:
        problems.append(
            ValueProblem(
                EXAMPLE_KEYS,
                f"The access key id {masked} is AWS's documentation example.",
                "Replace it with your own key from the IAM console, then: " + fix_hint,
            )
        )
        return problems
    if len(core) == 40 and set(core) <= _SECRET_ALPHABET and not core.isupper():
        return problems  # a secret in the id field: inspect_pair reports the swap
    prefix = core[:4].upper()
    if prefix in PREFIXES and prefix not in ACCESS_KEY_PREFIXES:
        problems.append(
            ValueProblem(
                KEY_ID_PREFIX,
                f"{masked} starts with {prefix}, the prefix of an {PREFIXES[prefix]}, not of an "
                "access key.",
                "Use the access key id (AKIA…) shown when the key was created. " + fix_hint,
            )
        )
    elif prefix not in PREFIXES:
        problems.append(
            ValueProblem(
                KEY_ID_PREFIX,
                f"{masked} does not start with AKIA or ASIA (or any documented IAM prefix); "
                "it is not an AWS access key id. Keys of another S3-compatible store look like "
                "this.",
                "Use the AWS access key id, or point --endpoint-url at the store these keys belong "
                "to. " + fix_hint,
            ),
        )
    if len(core) != 20:
        problems.append(
            ValueProblem(
                KEY_ID_LENGTH,
                f"The access key id {masked} is {len(core)} characters long; AWS key ids have 20.",
                fix_hint,
            )
        )
    bad = [c for c in core if not (c.isascii() and (c.isupper() or c.isdigit()))]
    if bad and not any(p.rule is INVISIBLE for p in problems):
        kinds = "lower-case letters" if all(c.islower() for c in bad) else "other characters"
        problems.append(
            ValueProblem(
                KEY_ID_ALPHABET,
                f"The access key id {masked} contains {kinds} ({len(bad)} of them); key ids use "
                "only A-Z and 0-9.",
                fix_hint,
            )
        )
    return problems


def inspect_secret(value: str, fix_hint: str) -> list[ValueProblem]:
    problems = _character_problems(value, "secret access key", fix_hint)
    core = _clean(value)
    if core in EXAMPLE_SECRETS:
        problems.append(
            ValueProblem(
                EXAMPLE_KEYS,
                "The secret access key is AWS's documentation example secret.",
                "Replace it with your own secret. " + fix_hint,
            )
        )
        return problems
    if len(core) == 20 and core.isupper() and core[:4] in PREFIXES:
        return problems  # an id in the secret field: inspect_pair reports the swap
    if len(core) != 40:
        problems.append(
            ValueProblem(
                SECRET_LENGTH,
                f"The secret access key is {len(core)} characters long; AWS secrets have 40.",
                fix_hint,
            )
        )
    odd = sorted({c for c in core if c.isascii() and c not in _SECRET_ALPHABET})
    if odd:
        shown = ", ".join(repr(c) for c in odd[:5])
        problems.append(
            ValueProblem(
                SECRET_ALPHABET,
                f"The secret access key contains {shown}, which no AWS secret contains.",
                fix_hint,
            )
        )
    return problems


def inspect_token(value: str, fix_hint: str) -> list[ValueProblem]:
    return _character_problems(value, "session token", fix_hint)


def inspect_pair(
    key_id: str | None,
    secret: str | None,
    token: str | None,
    fix_hint: str,
    token_hint: str | None = None,
) -> list[ValueProblem]:
    """The checks that need the id and the secret together.

    ``fix_hint`` says how to set the key id and secret; ``token_hint`` how to set the
    session token (defaults to ``fix_hint``).
    """
    token_hint = token_hint or fix_hint
    problems: list[ValueProblem] = []
    kid = _clean(key_id or "")
    sec = _clean(secret or "")
    if kid and sec and len(kid) == 40 and len(sec) == 20 and sec[:4] in PREFIXES:
        problems.append(
            ValueProblem(
                SWAPPED,
                f"The access key id field holds a 40-character value and the secret field holds "
                f"{mask_key_id(sec)}, which is a key id.",
                "Exchange the two values. " + fix_hint,
            )
        )
        return problems
    if kid.startswith("ASIA") and not token:
        problems.append(
            ValueProblem(
                ASIA_NO_TOKEN,
                f"{mask_key_id(kid)} is a temporary key (ASIA) but no session token is set.",
                "Set the session token from the same STS answer, or get new credentials: "
                + token_hint,
            )
        )
    if kid.startswith("AKIA") and token:
        problems.append(
            ValueProblem(
                TOKEN_WITH_AKIA,
                f"{mask_key_id(kid)} is a long-term key (AKIA) but a session token is also set; "
                "AWS rejects the pair.",
                "Remove the session token: a long-term AKIA key is used without one.",
            )
        )
    return problems


# -- rule application to the credential chain ------------------------------------------


def _fix_hint(source: CredentialSource, field: str) -> str:
    loc = source.location
    if source.method == "env":
        var = {
            "id": "AWS_ACCESS_KEY_ID",
            "secret": "AWS_SECRET_ACCESS_KEY",
            "token": "AWS_SESSION_TOKEN",
        }[field]
        return f"export {var}='<value>' (no spaces, no quotes)"
    key = {
        "id": "aws_access_key_id",
        "secret": "aws_secret_access_key",
        "token": "aws_session_token",
    }[field]
    profile = source.profile or "default"
    flag = "".join(" " + arg for arg in map(quote, profile_args(profile)))
    where = f" in {quote(loc.path)}" if loc.path else ""
    return f"aws configure set {key} <value>{flag} (or edit the line `{key} = ...`{where})"


def _location_for(source: CredentialSource, field: str):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    if source.method == "env":
        var = {
            "id": "AWS_ACCESS_KEY_ID",
            "secret": "AWS_SECRET_ACCESS_KEY",
            "token": source.details.get("token_variable", "AWS_SESSION_TOKEN"),
        }[field]
        return replace(source.location, key=var)
    key = {
        "id": "aws_access_key_id",
        "secret": "aws_secret_access_key",
        "token": source.details.get("token_key", "aws_session_token"),
    }[field]
    return replace(source.location, key=key)


# What `keydoctor fix tidy` removes from key material: blanks and these invisible
# characters anywhere, and one pair of quotes around the whole value.
_TIDY_REMOVES = "\u200b\u200c\u200d\u2060\ufeff\u00a0"
_CHARACTER_RULES = (WHITESPACE, QUOTES, INVISIBLE)


def _tidy_cleans(value: str) -> bool:
    """Whether the file fix's cleaning leaves a value free of the characters KD101-KD103
    report, so that printing it as the fix is a promise the fix keeps (a look-alike
    letter or a quote inside the value needs typing again)."""
    cleaned = value.strip()
    if len(cleaned) >= 2 and cleaned[0] == cleaned[-1] and cleaned[0] in "'\"":
        cleaned = cleaned[1:-1]
    cleaned = "".join(c for c in cleaned if not c.isspace() and c not in _TIDY_REMOVES)
    return not any(
        c in _QUOTES or c in _INVISIBLE or not c.isascii() or not c.isprintable() for c in cleaned
    )


def _file_hint(source: CredentialSource, field: str, value: str) -> str | None:
    """For a value in a shared file that tidy cleans: the keydoctor fix, first."""
    if source.method == "env" or not source.location.path or not _tidy_cleans(value):
        return None
    return f"{WHITESPACE.remedy.invocation()}   (or {_fix_hint(source, field)})"


def _character_fix(problems: list[ValueProblem], hint: str | None) -> list[ValueProblem]:
    if hint is None:
        return problems
    return [
        ValueProblem(p.rule, p.explanation, hint) if p.rule in _CHARACTER_RULES else p
        for p in problems
    ]


def problems_for_source(source: CredentialSource) -> list[tuple[ValueProblem, str]]:
    """Every value problem of one source, with the field it concerns."""
    out: list[tuple[ValueProblem, str]] = []
    key_id = source.access_key_id
    secret = source.secret_access_key.reveal() if source.secret_access_key else None
    token = source.session_token.reveal() if source.session_token else None
    if key_id:
        found = inspect_key_id(key_id, _fix_hint(source, "id"))
        out += [(p, "id") for p in _character_fix(found, _file_hint(source, "id", key_id))]
    if secret:
        found = inspect_secret(secret, _fix_hint(source, "secret"))
        hint = _file_hint(source, "secret", secret)
        out += [(p, "secret") for p in _character_fix(found, hint)]
    if token:
        found = inspect_token(token, _fix_hint(source, "token"))
        out += [(p, "token") for p in _character_fix(found, _file_hint(source, "token", token))]
    pair = inspect_pair(key_id, secret, token, _fix_hint(source, "id"), _fix_hint(source, "token"))
    pair = [
        ValueProblem(p.rule, p.explanation, _remove_token_hint(source))
        if p.rule is TOKEN_WITH_AKIA
        else p
        for p in pair
    ]
    out += [(p, "token" if p.rule in (ASIA_NO_TOKEN, TOKEN_WITH_AKIA) else "id") for p in pair]
    return out


def _remove_token_hint(source: CredentialSource) -> str:
    """How to remove a stray session token: never "set it again", which the words of the
    finding contradict. A variable is unset (a command); a line in a file is deleted by
    hand, since `aws configure set` cannot remove a setting."""
    if source.method == "env":
        variable = str(source.details.get("token_variable", "AWS_SESSION_TOKEN"))
        return command("unset", variable) + "   (a long-term AKIA key is used without a token)"
    key = str(source.details.get("token_key", "aws_session_token"))
    section = source.profile or "default"
    where = f" in {quote(source.location.path)}" if source.location.path else ""
    return (
        f"Delete the {key} line of [{section}]{where}: a long-term AKIA key is used "
        "without a token."
    )


def _sources(ctx: AuditContext) -> Iterator[tuple[CredentialSource, bool]]:
    res = ctx.resolution
    if res.winner is not None:
        yield res.winner, True
    for source in res.shadowed:
        yield source, False
    if res.winner is None:
        return


def check_key_material(ctx: AuditContext) -> Iterator[Finding]:
    seen: set[tuple[str, str, str]] = set()
    for source, in_use in _sources(ctx):
        if not source.has_static_keys:
            continue
        in_chain = in_use or (ctx.resolution.winner is None and source.error is not None)
        for problem, field in problems_for_source(source):
            dedupe = (problem.rule.code, source.method, problem.explanation)
            if dedupe in seen:
                continue
            seen.add(dedupe)
            where = f"{source.method}" + (f" profile {source.profile}" if source.profile else "")
            if in_chain:
                yield problem.rule.finding(
                    f"{problem.explanation} (source: {where}, the one the SDK uses)",
                    problem.fix,
                    _location_for(source, field),
                )
            else:
                yield problem.rule.finding(
                    f"{problem.explanation} (source: {where}, hidden now: it matters when this "
                    "source is used)",
                    problem.fix,
                    _location_for(source, field),
                    severity=min(problem.rule.severity, M, key=lambda s: s.rank),
                    title=problem.rule.title + " (in a source not used now)",
                )


def check_partial(ctx: AuditContext) -> Iterator[Finding]:
    for source, _in_use in _sources(ctx):
        if source.method not in ("env", "shared-credentials-file", "config-file"):
            continue
        if source.access_key_id and not source.secret_access_key:
            yield PARTIAL.finding(
                f"{mask_key_id(source.access_key_id)} is set in {source.location.describe()} "
                "but its secret access key is missing, so botocore raises "
                "PartialCredentialsError.",
                _fix_hint(source, "secret"),
                _location_for(source, "secret"),
            )
        elif source.secret_access_key and not source.access_key_id:
            sev = H if source.method == "env" else C
            yield PARTIAL.finding(
                f"A secret access key is set in {source.location.describe()} without an access "
                "key id; botocore ignores it"
                + (" and moves on to the next source." if source.method == "env" else "."),
                _fix_hint(source, "id"),
                _location_for(source, "id"),
                severity=sev,
            )


def check_account(ctx: AuditContext) -> Iterator[Finding]:
    winner = ctx.resolution.winner
    if winner is None or not winner.access_key_id:
        return
    key_id = _clean(winner.access_key_id)
    account = decode_account(key_id)
    if ctx.expect_account:
        if account is None:
            yield ACCOUNT_INFO.finding(
                f"{mask_key_id(key_id)} is an older key id format; its account cannot be "
                f"decoded offline, so --expect-account {ctx.expect_account} was not compared.",
                "Run `keydoctor check` online: STS GetCallerIdentity names the account.",
                winner.location,
                title="Account of the key id is unknown offline",
            )
        elif account != ctx.expect_account:
            yield ACCOUNT_MISMATCH.finding(
                f"{mask_key_id(key_id)} belongs to account {account}, not to the expected "
                f"account {ctx.expect_account}.",
                "Use a key of account " + ctx.expect_account + " (`keydoctor check --profile "
                "<profile>` for each profile shows which account its key belongs to).",
                winner.location,
            )
    elif account is not None:
        yield ACCOUNT_INFO.finding(
            f"{mask_key_id(key_id)} belongs to AWS account {account} (decoded offline).",
            "Nothing to fix if that is the intended account; --expect-account ID makes a "
            "mismatch a failure.",
            winner.location,
        )


def _now(ctx: AuditContext) -> datetime:
    return ctx.now or datetime.now(UTC)


def check_expiry(ctx: AuditContext) -> Iterator[Finding]:
    winner = ctx.resolution.winner
    if winner is None:
        return
    now = _now(ctx)
    if winner.method == "sso":
        problem = winner.details.get("token_problem")
        if problem and "PermissionError" in problem:
            return  # KD511: a login cannot help until the cache is this user's again
        if problem:
            yield SSO_EXPIRED.finding(
                f"Profile {winner.profile} uses SSO, and {problem}.",
                command("aws", "sso", "login", *profile_args(winner.profile)),
                winner.location,
            )
        elif winner.expiry is not None and winner.expiry <= now:
            yield SSO_EXPIRED.finding(
                f"Profile {winner.profile} uses SSO and its cached token expired at "
                f"{winner.expiry.isoformat()}.",
                command("aws", "sso", "login", *profile_args(winner.profile)),
                winner.location,
            )
        return
    if winner.expiry is None:
        if winner.method == "env" and "expiration" in winner.details:
            yield EXPIRED.finding(
                "AWS_CREDENTIAL_EXPIRATION is set but is not an ISO 8601 time, so the expiry "
                "cannot be checked.",
                "export AWS_CREDENTIAL_EXPIRATION=2030-01-01T00:00:00Z (the value STS returned)",
                winner.location,
                severity=L,
                title="Unreadable credential expiration",
            )
        return
    if winner.expiry <= now:
        yield EXPIRED.finding(
            f"The credentials expired at {winner.expiry.isoformat()}, so AWS answers ExpiredToken.",
            "Get new temporary credentials (aws sts assume-role / get-session-token, or your "
            "login tool) and set all three values again.",
            winner.location,
        )
    elif (winner.expiry - now).total_seconds() < 900:
        yield EXPIRING.finding(
            f"The credentials expire at {winner.expiry.isoformat()}.",
            "Refresh them before starting a long job.",
            winner.location,
        )


CHECKS = (check_key_material, check_partial, check_account, check_expiry)
