"""Offline checks of parsed statements: every oddity becomes a KD8xx (or key) finding.

Each finding's fix is the corrected clause, written with the key id masked and the
secret and token as placeholders, so that a person can retype the clause without
keydoctor ever printing what was in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from keydoctor.model import Finding, Location, Secret, Severity
from keydoctor.redact import mask_key_id
from keydoctor.redshift import keymaterial
from keydoctor.redshift import rules as R
from keydoctor.redshift.credentials import KNOWN_KEYS, MISSPELLINGS, parse_credentials
from keydoctor.redshift.statement import AuthClause, Operand, S3Location, Statement, parse_s3_uri

_ROLE_ARN = re.compile(
    r"^arn:aws(?:-cn|-us-gov|-iso|-iso-[a-z])?:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$"
)
_REGION = re.compile(r"^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
MAX_CHAINED_ROLES = 10
# First words shown back as they are; any other first word may be part of a secret.
SQL_VERBS = frozenset(
    (
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
        "CREATE",
        "DROP",
        "ALTER",
        "GRANT",
        "REVOKE",
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
        "END",
        "ABORT",
        "SET",
        "RESET",
        "SHOW",
        "WITH",
        "VACUUM",
        "ANALYZE",
        "TRUNCATE",
        "CALL",
        "EXPLAIN",
        "START",
        "LOCK",
        "DECLARE",
        "FETCH",
        "CLOSE",
        "PREPARE",
        "EXECUTE",
        "DEALLOCATE",
        "CANCEL",
        "MERGE",
        "REFRESH",
        "COMMENT",
        "VALUES",
    )
)
SECRET_PLACEHOLDER = "<secret access key>"
TEXT_SOURCES = ("<argument>", "<stdin>")  # input that is not a file: no path in locations
TOKEN_PLACEHOLDER = "<session token>"


@dataclass
class Authorization:
    """What the statement authorises with, once all its clauses are read."""

    kind: str  # "keys", "role", "none" or "mixed"
    form: str  # "credentials", "access-key-id", "iam-role" or ""
    key_id: str | None = field(default=None, repr=False)
    secret: Secret | None = None
    token: Secret | None = None
    roles: tuple[str, ...] = ()
    role_default: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "form": self.form or None}
        if self.kind in ("keys", "mixed"):
            data["access_key_id"] = safe_key_id(self.key_id) if self.key_id else None
            data["has_secret"] = bool(self.secret)
            data["has_session_token"] = bool(self.token)
        if self.roles or self.role_default:
            data["roles"] = ["default"] if self.role_default else list(self.roles)
        return data


@dataclass
class StatementResult:
    """One statement with its authorization, location and findings, ready to report."""

    statement: Statement
    auth: Authorization
    s3: S3Location | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def secrets(self) -> list[str]:
        """Every secret value of the statement, for the run's Redactor."""
        values = [c.secret.reveal() for c in self.statement.auth if c.secret is not None]
        for item in (self.auth.secret, self.auth.token):
            if item is not None:
                values.append(item.reveal())
        return values


def corrected_clause(auth: Authorization, *, form: str | None = None) -> str:
    """The clause as it should be written, key id masked, secret and token as placeholders."""
    form = form or auth.form
    if auth.kind == "role" or (auth.kind == "mixed" and not auth.key_id):
        roles = ",".join(auth.roles) if auth.roles else "arn:aws:iam::<account-id>:role/<role-name>"
        if auth.role_default:
            return "IAM_ROLE default"
        if form == "credentials":
            return f"CREDENTIALS 'aws_iam_role={roles}'"
        return f"IAM_ROLE '{roles}'"
    key = safe_key_id(auth.key_id) if auth.key_id else "<access key id>"
    temporary = bool(auth.token) or _compact(auth.key_id or "").startswith("ASIA")
    if form == "access-key-id":
        clause = f"ACCESS_KEY_ID '{key}' SECRET_ACCESS_KEY '{SECRET_PLACEHOLDER}'"
        if temporary:
            clause += f" SESSION_TOKEN '{TOKEN_PLACEHOLDER}'"
        return clause
    inner = f"aws_access_key_id={key};aws_secret_access_key={SECRET_PLACEHOLDER}"
    if temporary:
        inner += f";token={TOKEN_PLACEHOLDER}"
    return f"CREDENTIALS '{inner}'"


def safe_key_id(value: str | None) -> str:
    """The key id masked, or a placeholder when the value does not look like a key id.

    A secret pasted into the id field must not lose eight of its characters to
    :func:`mask_key_id`; only values shaped like ids (capitals and digits) are shown.
    """
    compact = _compact(value)
    if (
        compact
        and len(compact) <= 32
        and all(c.isascii() and (c.isupper() or c.isdigit()) for c in compact)
    ):
        return mask_key_id(compact)
    return "<access key id>" if compact else "(empty)"


def _compact(value: str | None) -> str:
    return "".join(c for c in value or "" if not c.isspace() and c.isprintable())


def _fix(auth: Authorization, lead: str = "", *, form: str | None = None) -> str:
    clause = corrected_clause(auth, form=form)
    note = " (key id shown masked: type your own values, on one line, without spaces)"
    if auth.kind == "role":
        note = ""
    return (lead + " " if lead else "") + f"Write the clause as: {clause}{note}"


class _Checker:
    def __init__(self, statement: Statement, source: str) -> None:
        self.st = statement
        self.findings: list[Finding] = []
        self.location = Location(
            kind="text" if source in TEXT_SOURCES else "file",
            path=None if source in TEXT_SOURCES else source,
            line=statement.line,
            key=f"statement {statement.index}",
        )

    def add(self, rule: Any, explanation: str, fix: str, **kw: Any) -> None:
        self.findings.append(rule.finding(explanation, fix, self.location, **kw))


def check_statement(statement: Statement, source: str = "<argument>") -> StatementResult:
    """All offline findings for one statement."""
    checker = _Checker(statement, source)
    if not statement.is_copy_or_unload:
        word = statement.first_word.upper()
        if word.lower() in KNOWN_KEYS or word.lower() in MISSPELLINGS:
            checker.add(
                R.NOT_COPY,
                f"Statement {statement.index} (line {statement.line}) starts with `{word.lower()}=`"
                ": the rest of a credentials string that a ';' cut off, because the string "
                "before it is not quoted.",
                "Enclose the whole credentials string in single quotes: "
                "CREDENTIALS 'aws_access_key_id=...;aws_secret_access_key=...'",
                severity=Severity.CRITICAL,
            )
        else:
            shown = word if word in SQL_VERBS else "a statement that is not SQL keydoctor knows"
            checker.add(
                R.NOT_COPY,
                f"Statement {statement.index} (line {statement.line}) is {shown}, not COPY or "
                "UNLOAD; it was not checked.",
                "Nothing to do, unless this was meant to be a COPY or UNLOAD.",
            )
        _check_unterminated(checker)
        return StatementResult(statement, Authorization("none", ""), None, checker.findings)
    _check_unterminated(checker)
    _check_head(checker)
    auth = _resolve_auth(checker)
    _check_misspelt(checker, auth)
    s3 = _check_location(checker)
    _check_region(checker)
    if statement.kind == "COPY" and auth.kind == "keys":
        columnar = [f for f in statement.formats if f in ("PARQUET", "ORC")]
        if columnar:
            checker.add(
                R.COLUMNAR_NEEDS_ROLE,
                f"This COPY reads {columnar[0]} with access keys; Redshift accepts only IAM_ROLE "
                "for columnar formats.",
                "Attach a role to the cluster and write: "
                "IAM_ROLE 'arn:aws:iam::<account-id>:role/<role-name>'",
            )
    if auth.kind == "keys" and auth.key_id:
        checker.add(
            R.KEYS_IN_SQL,
            f"Statement {statement.index} carries access key {safe_key_id(auth.key_id)} "
            "in its text; statements are kept in query history (STL_QUERY) and in scripts.",
            "Prefer IAM_ROLE 'arn:aws:iam::<account-id>:role/<role-name>' with a role attached "
            "to the cluster.",
        )
    return StatementResult(statement, auth, s3, checker.findings)


def _check_unterminated(checker: _Checker) -> None:
    for operand in checker.st.unterminated:
        kind = {"'": "single-quoted string", '"': "double-quoted identifier"}.get(
            operand.quote, f"string opened with {operand.quote}"
        )
        checker.add(
            R.UNTERMINATED,
            f"A {kind} opened on line {operand.line} is never closed; the rest of the input "
            "(including any later statement) is read as part of it.",
            f"Add the closing {operand.quote or 'quote'} at the end of the value.",
        )


def _check_head(checker: _Checker) -> None:
    st = checker.st
    wanted = {
        "no-from": "COPY has no FROM 's3://bucket/prefix'.",
        "no-source": "FROM is not followed by a quoted location.",
        "no-query": "UNLOAD has no ('select ...') query in parentheses.",
        "no-to": "UNLOAD has no TO 's3://bucket/prefix'.",
        "no-target": "TO is not followed by a quoted location.",
    }
    for problem in st.problems:
        if problem in wanted:
            example = (
                "COPY <table> FROM 's3://<bucket>/<prefix>' <authorization>"
                if st.kind == "COPY"
                else "UNLOAD ('select ...') TO 's3://<bucket>/<prefix>' <authorization>"
            )
            checker.add(R.INCOMPLETE, wanted[problem], f"Write the statement as: {example}")
    if "region-without-value" in st.problems:
        checker.add(
            R.REGION_VALUE,
            "REGION is not followed by a quoted region code.",
            "Write: REGION 'us-west-2' (the bucket's region)",
        )


def _check_misspelt(checker: _Checker, auth: Authorization) -> None:
    for typed, meant in checker.st.misspelt_keywords:
        lead = f"Replace `{typed}` by {meant}."
        checker.add(
            R.KEYWORD_MISSPELT,
            f"`{typed}` is not a Redshift keyword; the statement means {meant}.",
            _fix(auth, lead) if auth.kind in ("keys", "role") else lead,
        )


def _quote_problem(operand: Operand) -> str | None:
    if operand.unterminated or operand.quote == "'":
        return None
    if operand.quote == '"':
        return "is in double quotes, which Redshift reads as an identifier, not a string"
    if operand.quote.startswith("$"):
        return (
            f"is quoted with {operand.quote}; COPY and UNLOAD parameters take plain "
            "single-quoted strings"
        )
    if operand.quote == "":
        return "has no quotes at all"
    return f"is quoted with the typographic quote {operand.quote!r} instead of '"


def _check_quotes(checker: _Checker, clause: AuthClause, auth: Authorization, what: str) -> None:
    if clause.operand is None:
        return
    problem = _quote_problem(clause.operand)
    if problem:
        checker.add(R.QUOTES, f"The {what} after {clause.keyword} {problem}.", _fix(auth))


def _resolve_auth(checker: _Checker) -> Authorization:
    st = checker.st
    clauses = st.auth
    if not clauses:
        checker.add(
            R.NO_AUTH,
            f"The {st.kind} has no IAM_ROLE, ACCESS_KEY_ID/SECRET_ACCESS_KEY or CREDENTIALS "
            "clause.",
            "Add: IAM_ROLE 'arn:aws:iam::<account-id>:role/<role-name>' (or IAM_ROLE default)",
        )
        return Authorization("none", "")
    by_keyword: dict[str, list[AuthClause]] = {}
    for clause in clauses:
        by_keyword.setdefault(clause.keyword, []).append(clause)
    auth = Authorization("none", "")
    kinds: list[str] = []
    if "IAM_ROLE" in by_keyword:
        kinds.append("IAM_ROLE")
        _role_clause(checker, by_keyword["IAM_ROLE"][0], auth)
    if any(k in by_keyword for k in ("ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "SESSION_TOKEN")):
        kinds.append("ACCESS_KEY_ID/SECRET_ACCESS_KEY")
        _key_clauses(checker, by_keyword, auth)
    if "CREDENTIALS" in by_keyword:
        kinds.append("CREDENTIALS")
        _credentials_clause(checker, by_keyword["CREDENTIALS"][0], auth)
    for keyword, found in by_keyword.items():
        if len(found) > 1:
            checker.add(R.MALFORMED, f"{keyword} appears {len(found)} times.", _fix(auth))
    if len(kinds) > 1:
        auth.kind = "mixed"
        checker.add(
            R.MIXED,
            "The statement combines " + " and ".join(kinds) + "; Redshift accepts one of them.",
            "Keep one authorization clause. With a role: "
            + corrected_clause(
                Authorization("role", "iam-role", roles=auth.roles, role_default=auth.role_default)
            )
            + (
                (
                    "; with keys: "
                    + corrected_clause(
                        Authorization("keys", "access-key-id", key_id=auth.key_id, token=auth.token)
                    )
                )
                if auth.key_id
                else ""
            ),
        )
    if auth.kind == "keys":
        _key_material(checker, auth)
    return auth


def _role_clause(checker: _Checker, clause: AuthClause, auth: Authorization) -> None:
    auth.kind = "role" if auth.kind == "none" else "mixed"
    auth.form = auth.form or "iam-role"
    if clause.is_default:
        auth.role_default = True
        return
    if clause.operand is None:
        checker.add(
            R.EMPTY_VALUE,
            "IAM_ROLE is not followed by a quoted role ARN or default.",
            "Write: IAM_ROLE 'arn:aws:iam::<account-id>:role/<role-name>' or IAM_ROLE default",
        )
        return
    _check_role_list(checker, clause.operand.text, auth, "IAM_ROLE")
    _check_quotes(checker, clause, auth, "role ARN")


def _check_role_list(checker: _Checker, text: str, auth: Authorization, where: str) -> None:
    if text.strip().lower() == "default":
        checker.add(
            R.ROLE_ARN,
            f"`default` is quoted in {where}; the keyword must stand without quotes.",
            "Write: IAM_ROLE default",
        )
        auth.role_default = True
        return
    roles = [r for r in text.split(",")]
    problems: list[str] = []
    if any(c.isspace() for c in text):
        problems.append(
            "it contains spaces or line breaks (chained roles are separated by a comma only)"
        )
    cleaned = [r.strip() for r in roles if r.strip()]
    if len(cleaned) > MAX_CHAINED_ROLES:
        problems.append(f"it chains {len(cleaned)} roles; Redshift allows {MAX_CHAINED_ROLES}")
    for number, role in enumerate(cleaned, start=1):
        if role.lower() == "default":
            problems.append("default cannot be part of a chain")
        elif not _ROLE_ARN.match(role):
            shown = role if len(role) <= 120 and role.isprintable() else role[:60] + "…"
            problems.append(
                f"role {number} ({shown}) is not of the form "
                "arn:aws:iam::<12-digit account>:role/<name>"
            )
    if not cleaned:
        problems.append("it is empty")
    auth.roles = tuple(cleaned)
    if problems:
        valid = cleaned and all(_ROLE_ARN.match(r) for r in cleaned)
        if valid and len(cleaned) <= MAX_CHAINED_ROLES:
            keyword = "IAM_ROLE '" if where == "IAM_ROLE" else "CREDENTIALS 'aws_iam_role="
            fix = f"Write: {keyword}{','.join(cleaned)}'"
        else:
            fix = (
                "Write: IAM_ROLE 'arn:aws:iam::<account-id>:role/<role-name>' (chained: "
                "'arn:...:role/a,arn:...:role/b')"
            )
        checker.add(R.ROLE_ARN, f"The role value in {where}: " + "; ".join(problems) + ".", fix)


def _key_clauses(
    checker: _Checker, by_keyword: dict[str, list[AuthClause]], auth: Authorization
) -> None:
    auth.kind = "keys" if auth.kind == "none" else "mixed"
    auth.form = auth.form or "access-key-id"
    id_clause = by_keyword.get("ACCESS_KEY_ID", [None])[0]
    secret_clause = by_keyword.get("SECRET_ACCESS_KEY", [None])[0]
    token_clause = by_keyword.get("SESSION_TOKEN", [None])[0]
    if id_clause is not None and id_clause.operand is not None:
        auth.key_id = id_clause.operand.text
    if secret_clause is not None and secret_clause.operand is not None:
        auth.secret = Secret(secret_clause.operand.text)
    if token_clause is not None and token_clause.operand is not None:
        auth.token = Secret(token_clause.operand.text)
    for clause, what in (
        (id_clause, "access key id"),
        (secret_clause, "secret access key"),
        (token_clause, "session token"),
    ):
        if clause is None:
            continue
        if clause.operand is None:
            checker.add(
                R.EMPTY_VALUE,
                f"{clause.keyword} is not followed by a quoted value.",
                _fix(auth, form="access-key-id"),
            )
        else:
            _check_quotes(checker, clause, auth, what)
    missing = [
        name
        for name, clause in (("ACCESS_KEY_ID", id_clause), ("SECRET_ACCESS_KEY", secret_clause))
        if clause is None
    ]
    if missing:
        checker.add(
            R.MALFORMED,
            " and ".join(missing) + " missing: the access key id and the secret go together.",
            _fix(auth, form="access-key-id"),
            title="Access key id or secret missing",
        )


def _credentials_clause(checker: _Checker, clause: AuthClause, auth: Authorization) -> None:
    if clause.operand is None:
        checker.add(
            R.EMPTY_VALUE,
            "CREDENTIALS is not followed by a quoted string.",
            _fix(auth, form="credentials"),
        )
        auth.kind = "keys" if auth.kind == "none" else auth.kind
        return
    parsed = parse_credentials(clause.operand.text)
    before = auth.kind
    if parsed.has_role and parsed.has_keys:
        auth.kind = "mixed"
    elif parsed.has_role:
        auth.kind = "role" if before == "none" else "mixed"
    else:
        auth.kind = "keys" if before == "none" else "mixed"
    auth.form = auth.form or "credentials"
    values = parsed.values
    if "aws_access_key_id" in values:
        auth.key_id = values["aws_access_key_id"]
    if "aws_secret_access_key" in values:
        auth.secret = Secret(values["aws_secret_access_key"])
    if values.get("token"):
        auth.token = Secret(values["token"])
    if parsed.has_role:
        _check_role_list(checker, values["aws_iam_role"], auth, "aws_iam_role")
    if parsed.has_role and parsed.has_keys:
        checker.add(
            R.MIXED,
            "The credentials string holds both aws_iam_role and access keys.",
            "Keep one: " + corrected_clause(Authorization("role", "credentials", roles=auth.roles)),
        )
    _check_quotes(checker, clause, auth, "credentials string")
    if parsed.blanks:
        spots = "; ".join(f"{b.char_name} {b.where}" for b in parsed.blanks[:5])
        more = f" (and {len(parsed.blanks) - 5} more)" if len(parsed.blanks) > 5 else ""
        checker.add(
            R.CREDENTIALS_WHITESPACE,
            f"The credentials string contains {len(parsed.blanks)} blank(s): {spots}{more}. "
            "Redshift answers 'Invalid credentials. Must be of the format: credentials "
            "'aws_access_key_id=<access-key-id>;aws_secret_access_key=<secret-access-key>"
            "[;token=<temporary-session-token>]''.",
            _fix(
                auth,
                "Remove every space and line break, including between the parts.",
                form="credentials",
            ),
        )
    for typed, meant in parsed.unknown_keys:
        if meant:
            text = f"`{typed}` is not a key Redshift knows; it means `{meant}`."
        else:
            text = (
                f"`{typed}` is not a key Redshift knows (aws_access_key_id, "
                "aws_secret_access_key, token, aws_iam_role)."
            )
        checker.add(R.UNKNOWN_KEY, text, _fix(auth, form="credentials"))
    for typed, meant in parsed.wrong_case:
        checker.add(
            R.UNKNOWN_KEY,
            f"`{typed}` must be written in lower case: `{meant}`.",
            _fix(auth, form="credentials"),
            severity=Severity.HIGH,
            confidence="medium",
        )
    malformed: list[str] = []
    if parsed.wrapping_quotes:
        malformed.append("the value is wrapped in a second pair of quotes inside the string")
    if parsed.comma_separated:
        malformed.append("its parts are separated by commas; Redshift separates them with ';'")
    if parsed.parts_without_equals:
        malformed.append(
            "part(s) "
            + ", ".join(map(str, parsed.parts_without_equals))
            + " have no '=' (each part is key=value)"
        )
    for key in parsed.duplicates:
        malformed.append(f"`{key}` appears more than once")
    for key in parsed.empty_values:
        malformed.append(f"`{key}` has an empty value")
    if not parsed.has_role:
        for key in ("aws_access_key_id", "aws_secret_access_key"):
            if key not in values:
                malformed.append(f"`{key}` is missing")
    if parsed.has_role and "token" in values:
        malformed.append("`token` goes with temporary keys, never with aws_iam_role")
    if malformed:
        checker.add(
            R.MALFORMED,
            "The credentials string is malformed: " + "; ".join(malformed) + ".",
            _fix(auth, form="credentials"),
        )


def _key_material(checker: _Checker, auth: Authorization) -> None:
    secret = auth.secret.reveal() if auth.secret is not None else None
    token = auth.token.reveal() if auth.token is not None else None
    key_id: str | None = auth.key_id
    if auth.form == "credentials" and auth.key_id is not None:
        # Blanks in the credentials string are KD804; the values are judged without them.
        key_id = _compact(auth.key_id)
        secret = _compact(secret) if secret is not None else None
        token = _compact(token) if token is not None else None
    seen: set[str] = set()
    for rule, explanation in keymaterial.inspect(key_id, secret, token):
        if rule.code in seen:
            continue
        seen.add(rule.code)
        checker.add(rule, explanation, _fix(auth))


def _check_location(checker: _Checker) -> S3Location | None:
    st = checker.st
    operand = st.location
    if operand is None:
        return None
    problem = _quote_problem(operand)
    example = f"{st.location_keyword} 's3://<bucket>/<prefix>'"
    if problem:
        checker.add(
            R.QUOTES, f"The location after {st.location_keyword} {problem}.", f"Write: {example}"
        )
    location = parse_s3_uri(operand.text)
    if location.problem:
        fixed = example
        candidate = (location.bucket or "").lower().replace("_", "-")
        if candidate and parse_s3_uri(f"s3://{candidate}/").problem is None:
            fixed = f"{st.location_keyword} 's3://{candidate}/{location.prefix}'"
        checker.add(
            R.S3_LOCATION,
            f"The location after {st.location_keyword}: {location.problem}.",
            f"Write: {fixed}",
        )
        return location if location.bucket and location.scheme == "s3" else None
    if location.scheme != "s3":
        checker.add(
            R.NOT_CHECKED,
            f"The source is {location.scheme}://, not Amazon S3; only the authorization clause "
            "was checked.",
            "Nothing to do.",
        )
        return None
    return location


def _check_region(checker: _Checker) -> None:
    operand = checker.st.region
    if operand is None:
        return
    problem = _quote_problem(operand)
    value = operand.text.strip()
    if problem:
        checker.add(
            R.QUOTES,
            f"The value after REGION {problem}.",
            f"Write: REGION '{value.lower() if _REGION.match(value.lower()) else '<region>'}'",
        )
    if not _REGION.match(value):
        shown = value if len(value) <= 30 and value.isprintable() else value[:30] + "…"
        hint = value.lower().replace("_", "-").replace(" ", "")
        fixed = (
            f"REGION '{hint}'" if _REGION.match(hint) else "REGION '<region code, e.g. us-west-2>'"
        )
        checker.add(
            R.REGION_VALUE, f"REGION '{shown}' is not an AWS region code.", f"Write: {fixed}"
        )


def region_is_valid(value: str) -> bool:
    return bool(_REGION.match(value))
