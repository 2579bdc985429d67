"""A small client for the probes' own questions, without building botocore clients.

Creating botocore clients costs more than the whole rest of ``keydoctor check``: the
session, ``endpoints.json``, three service models and the signer (about 200 ms of a
0.3 s run). The probes ask a dozen fixed questions of STS, S3 and IAM whose requests and
answers are tiny, so :class:`FastClient` builds, signs (:mod:`keydoctor.probes.sigv4`) and
sends them over :mod:`http.client`, and parses the XML with :mod:`xml.etree`.

It behaves like the botocore client it replaces, as far as the probes can see: the same
method names, arguments and answer dictionaries, and S3's one-time region redirect. A
request that does not succeed raises :class:`~keydoctor.probes.access.AnswerError` with the
neutral :class:`~keydoctor.probes.access.RawAnswer` (status, headers, start of the body,
error code and message, or why no answer came, in botocore's words), which
:func:`keydoctor.probes.access.classify` judges exactly as it judges a botocore client's
answer. Any other method is answered by a real botocore client, made only then.
"""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, NoReturn
from xml.etree import ElementTree

from keydoctor.catalog import codes
from keydoctor.probes import access, sigv4
from keydoctor.probes.access import AnswerError, RawAnswer, Unanswered
from keydoctor.probes.clients import StaticKeys
from keydoctor.probes.endpoints import Route, route

QUERY_VERSIONS = {"sts": "2011-06-15", "iam": "2010-05-08"}
_BUCKET_NAME = re.compile(r"^[a-zA-Z0-9.\-_]{1,255}$")  # what botocore lets through
_SSL_CONTEXTS: dict[str | None, Any] = {}
_SSL_LOCK = threading.Lock()


def _silence(kind: str, name: str, url: str, exc: BaseException | None = None) -> AnswerError:
    """The failure botocore would report for the same broken connection, same words."""
    texts = {
        access.CONNECT_TIMEOUT: f'Connect timeout on endpoint URL: "{url}"',
        access.READ_TIMEOUT: f'Read timeout on endpoint URL: "{url}"',
        access.TLS: f"SSL validation failed for {url} {exc}",
        access.CONNECT: f'Could not connect to the endpoint URL: "{url}"',
        access.CLOSED: "Connection was closed before we received a valid response "
        f'from endpoint URL: "{url}".',
    }
    detail = f"{type(exc).__name__}: {exc}" if exc is not None else texts[kind]
    from keydoctor.redact import scrub_patterns

    message = scrub_patterns(texts[kind].splitlines()[0][:300])
    return AnswerError(RawAnswer("", failure=Unanswered(kind, name, message, detail)))


def header_safe(value: str | None) -> bool:
    """True when ``value`` can travel in an HTTP header as botocore would send it."""
    return value is None or all(" " <= ch <= "~" for ch in value)


def _ssl_context(ca_bundle: str | None) -> Any:
    """One verifying TLS context per CA bundle: AWS_CA_BUNDLE/ca_bundle, else botocore's."""
    with _SSL_LOCK:
        made = _SSL_CONTEXTS.get(ca_bundle)
        if made is None:
            import ssl

            cafile = ca_bundle
            if cafile is None:
                try:
                    import certifi

                    cafile = certifi.where()
                except ImportError:
                    import os

                    import botocore

                    cafile = os.path.join(os.path.dirname(botocore.__file__), "cacert.pem")
            made = ssl.create_default_context(cafile=cafile)
            _SSL_CONTEXTS[ca_bundle] = made
        return made


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(node: ElementTree.Element | None, name: str) -> ElementTree.Element | None:
    if node is None:
        return None
    for item in node:
        if _local(item.tag) == name:
            return item
    return None


def _text(node: ElementTree.Element | None, name: str) -> str | None:
    found = _child(node, name)
    return None if found is None else (found.text or "")


def _members(node: ElementTree.Element | None, name: str) -> list[ElementTree.Element]:
    holder = _child(node, name)
    return [] if holder is None else list(holder)


def _timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _flat(node: ElementTree.Element) -> dict[str, str]:
    return {_local(item.tag): item.text or "" for item in node if len(item) == 0}


class _Answer:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class FastClient:
    """The probes' STS, S3 or IAM questions, asked directly (see the module docstring)."""

    def __init__(
        self,
        *,
        service: str,
        region: str,
        endpoint_url: str | None,
        keys: StaticKeys,
        timeout: float,
        user_agent: str,
        ca_bundle: str | None,
        fallback: Callable[[], Any],
    ) -> None:
        self.service = service
        self.region = region
        self.endpoint_url = endpoint_url
        self._keys = keys
        self._timeout = timeout
        self._user_agent = user_agent
        self._ca_bundle = ca_bundle
        self._fallback = fallback
        self._bucket_regions: dict[str, str] = {}  # S3 redirects seen, like botocore's cache
        self._conns = threading.local()

    def __getattr__(self, name: str) -> Any:
        # Any operation not written here: a real botocore client answers it.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._fallback(), name)

    # -- the wire ----------------------------------------------------------------------------

    def _connection(self, where: Route, fresh: bool) -> tuple[http.client.HTTPConnection, bool]:
        pool: dict[tuple[str, str, int | None], http.client.HTTPConnection] = (
            getattr(self._conns, "pool", None) or {}
        )
        self._conns.pool = pool
        key = (where.scheme, where.host, where.port)
        conn = None if fresh else pool.get(key)
        if conn is not None:
            return conn, True
        old = pool.pop(key, None)
        if old is not None:
            old.close()
        if where.scheme == "https":
            conn = http.client.HTTPSConnection(
                where.host.strip("[]"),
                where.port,
                timeout=self._timeout,
                context=_ssl_context(self._ca_bundle),
            )
        else:
            conn = http.client.HTTPConnection(
                where.host.strip("[]"), where.port, timeout=self._timeout
            )
        pool[key] = conn
        return conn, False

    def _send(
        self,
        method: str,
        where: Route,
        path: str,
        query: Mapping[str, str],
        body: bytes,
        extra: Mapping[str, str],
    ) -> _Answer:
        host = where.host + (f":{where.port}" if where.port else "")
        headers: dict[str, str] = {"Host": host, **extra}
        payload_hash = sigv4.EMPTY_SHA256
        if body:
            import hashlib

            payload_hash = hashlib.sha256(body).hexdigest()
        if self.service == "s3":
            headers["X-Amz-Content-SHA256"] = payload_hash
        full_path = (where.path + path) or "/"
        sigv4.sign(
            method=method,
            path=full_path,
            query=query,
            headers=headers,
            payload_hash=payload_hash,
            region=where.signing_region,
            service=self.service,
            access_key_id=self._keys.access_key_id,
            secret=self._keys.secret_access_key,
            session_token=self._keys.session_token,
            now=datetime.now(UTC),
        )
        headers["User-Agent"] = self._user_agent
        if body or method in ("PUT", "POST"):
            headers["Content-Length"] = str(len(body))
        target = full_path
        if query:
            target += "?" + "&".join(
                sigv4.uri_encode(k) + (f"={sigv4.uri_encode(v)}" if v != "" else "")
                for k, v in query.items()
            )
        url = where.url
        for attempt in (0, 1):
            conn, reused = self._connection(where, fresh=attempt > 0)
            try:
                if conn.sock is None:
                    try:
                        conn.connect()
                    except TimeoutError as exc:
                        if conn.sock is not None:
                            # TCP connected, the TLS handshake stalled: urllib3 calls that
                            # a read timeout, and so does botocore.
                            conn.close()
                            raise _silence(
                                access.READ_TIMEOUT, "ReadTimeoutError", url, exc
                            ) from exc
                        raise _silence(
                            access.CONNECT_TIMEOUT, "ConnectTimeoutError", url, exc
                        ) from exc
                    except OSError as exc:
                        import ssl

                        if isinstance(exc, (ssl.SSLError, ssl.CertificateError)):
                            raise _silence(access.TLS, "SSLError", url, exc) from exc
                        raise _silence(access.CONNECT, "EndpointConnectionError", url, exc) from exc
                conn.request(method, target, body=body or None, headers=headers)
                response = conn.getresponse()
                data = response.read()
                answer = _Answer(
                    response.status,
                    {k.lower(): v for k, v in response.getheaders()},
                    data,
                )
                if response.will_close:
                    conn.close()
                return answer
            except AnswerError:
                conn.close()
                raise
            except TimeoutError as exc:
                conn.close()
                raise _silence(access.READ_TIMEOUT, "ReadTimeoutError", url, exc) from exc
            except OSError as exc:  # reset, broken pipe, TLS alert mid-way
                conn.close()
                import ssl

                if reused and attempt == 0:
                    continue  # a kept-alive connection the server had closed: once more
                if isinstance(exc, ssl.SSLError):
                    raise _silence(access.TLS, "SSLError", url, exc) from exc
                raise _silence(access.CLOSED, "ConnectionClosedError", url) from exc
            except Exception as exc:
                conn.close()
                if not isinstance(exc, http.client.HTTPException):
                    raise
                if reused and attempt == 0:
                    continue
                raise _silence(access.CLOSED, "ConnectionClosedError", url) from exc
        raise _silence(access.CLOSED, "ConnectionClosedError", url)

    @staticmethod
    def _metadata(answer: _Answer, attempts: int = 0) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "HTTPStatusCode": answer.status,
            "HTTPHeaders": dict(answer.headers),
            "RetryAttempts": attempts,
        }
        request_id = answer.headers.get("x-amzn-requestid") or answer.headers.get(
            "x-amz-request-id"
        )
        if request_id:
            meta["RequestId"] = request_id
        if "x-amz-id-2" in answer.headers:
            meta["HostId"] = answer.headers["x-amz-id-2"]
        return meta

    @staticmethod
    def _generic_error(answer: _Answer) -> bool:
        """botocore's rule: a 5xx with an empty or HTML body carries only its status."""
        if answer.status < 500:
            return False
        body = answer.body.strip()
        return not body or body.startswith(b"<html>")

    @staticmethod
    def _status_error(answer: _Answer) -> dict[str, str]:
        return {"Code": str(answer.status), "Message": http.client.responses.get(answer.status, "")}

    @staticmethod
    def _unreadable(answer: _Answer, name: str, message: str) -> AnswerError:
        """What botocore's parser raises for the same answer, by name and words."""
        return AnswerError(
            RawAnswer(
                "",
                status=answer.status,
                headers=dict(answer.headers),
                body_head=answer.body[: access.BODY_HEAD_BYTES],
                failure=Unanswered(access.UNREADABLE, name, message),
            )
        )

    def _parse(self, answer: _Answer) -> ElementTree.Element:
        try:
            return ElementTree.fromstring(answer.body)
        except ElementTree.ParseError as exc:
            why = f"Unable to parse response ({exc}), invalid XML received."
            raise self._unreadable(answer, "ResponseParserError", why) from None

    def _raise(
        self, answer: _Answer, error: dict[str, str], operation: str, tries: int
    ) -> NoReturn:
        raise AnswerError(
            RawAnswer(
                operation,
                status=answer.status,
                headers=dict(answer.headers),
                body_head=answer.body[: access.BODY_HEAD_BYTES],
                code=str(error.get("Code") or ""),
                message=str(error.get("Message") or ""),
            )
        )

    # -- query protocol (STS, IAM) -----------------------------------------------------------

    def _query(self, action: str, params: Mapping[str, str] | None = None) -> ElementTree.Element:
        where = route(self.service, self.region, self.endpoint_url)
        if where is None:  # cannot happen: the transport checked the route first
            raise RuntimeError(f"no endpoint for {self.service} in {self.region}")
        fields = {"Action": action, "Version": QUERY_VERSIONS[self.service], **(params or {})}
        body = "&".join(
            f"{sigv4.uri_encode(k)}={sigv4.uri_encode(v)}" for k, v in fields.items()
        ).encode("utf-8")
        answer = self._send(
            "POST",
            where,
            "",
            {},
            body,
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        if answer.status >= 300:
            if self._generic_error(answer):
                self._raise(answer, self._status_error(answer), action, 0)
            root = self._parse(answer)
            # botocore's query parser: <ErrorResponse><Error>, or <Response><Errors><Error>.
            node = _child(root, "Error")
            if node is None:
                node = _child(_child(root, "Errors"), "Error")
            error = _flat(node) if node is not None else {}
            self._raise(answer, error, action, 0)
        root = self._parse(answer)
        result = _child(root, f"{action}Result")
        if result is None:
            # botocore looks the result wrapper up by name and fails the same way.
            raise self._unreadable(answer, "KeyError", repr(f"{action}Result"))
        return result

    def get_caller_identity(self) -> dict[str, Any]:
        result = self._query("GetCallerIdentity")
        return {
            "UserId": _text(result, "UserId"),
            "Account": _text(result, "Account"),
            "Arn": _text(result, "Arn"),
        }

    def assume_role(self, **params: Any) -> dict[str, Any]:
        """STS AssumeRole (RoleArn, RoleSessionName, ExternalId ...): one hop of a chain."""
        result = self._query("AssumeRole", {k: str(v) for k, v in params.items()})
        creds = _child(result, "Credentials")
        user = _child(result, "AssumedRoleUser")
        return {
            "Credentials": {
                "AccessKeyId": _text(creds, "AccessKeyId"),
                "SecretAccessKey": _text(creds, "SecretAccessKey"),
                "SessionToken": _text(creds, "SessionToken"),
                "Expiration": _timestamp(_text(creds, "Expiration")),
            },
            "AssumedRoleUser": {
                "AssumedRoleId": _text(user, "AssumedRoleId"),
                "Arn": _text(user, "Arn"),
            },
        }

    def list_access_keys(self, UserName: str | None = None) -> dict[str, Any]:  # noqa: N803
        result = self._query("ListAccessKeys", {"UserName": UserName} if UserName else None)
        return {
            "AccessKeyMetadata": [
                {
                    "UserName": _text(item, "UserName"),
                    "AccessKeyId": _text(item, "AccessKeyId"),
                    "Status": _text(item, "Status"),
                    "CreateDate": _timestamp(_text(item, "CreateDate")),
                }
                for item in _members(result, "AccessKeyMetadata")
            ]
        }

    def get_access_key_last_used(self, AccessKeyId: str) -> dict[str, Any]:  # noqa: N803
        result = self._query("GetAccessKeyLastUsed", {"AccessKeyId": AccessKeyId})
        last = _child(result, "AccessKeyLastUsed")
        used: dict[str, Any] = {}
        if last is not None:
            used = {
                "LastUsedDate": _timestamp(_text(last, "LastUsedDate")),
                "ServiceName": _text(last, "ServiceName"),
                "Region": _text(last, "Region"),
            }
        return {"UserName": _text(result, "UserName"), "AccessKeyLastUsed": used}

    def list_attached_user_policies(self, UserName: str) -> dict[str, Any]:  # noqa: N803
        result = self._query("ListAttachedUserPolicies", {"UserName": UserName})
        return {
            "AttachedPolicies": [
                {"PolicyName": _text(item, "PolicyName"), "PolicyArn": _text(item, "PolicyArn")}
                for item in _members(result, "AttachedPolicies")
            ]
        }

    # -- S3 (REST-XML) ------------------------------------------------------------------------

    def _s3(
        self,
        operation: str,
        method: str,
        bucket: str | None,
        key: str | None = None,
        query: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> tuple[_Answer, int]:
        """Send one S3 request; follow S3's region redirect once, as botocore does."""
        tries = 0
        region = self._bucket_regions.get(bucket, self.region) if bucket else self.region
        while True:
            where = route("s3", region, self.endpoint_url, bucket)
            if where is None:
                raise RuntimeError(f"no endpoint for s3 in {region}")
            path = ""
            if key is not None:
                path = "/" + sigv4.uri_encode(key, safe="/")
            answer = self._send(method, where, path, query or {}, body, {})
            if answer.status < 300:
                return answer, tries
            if self._generic_error(answer):
                error = self._status_error(answer)
            else:
                error = self._s3_error(answer)
            if bucket is not None and tries == 0:
                moved = self._redirect_region(operation, answer, error, bucket)
                if moved is not None and route("s3", moved, self.endpoint_url, bucket):
                    self._bucket_regions[bucket] = moved
                    region = moved
                    tries = 1
                    continue
            self._raise(answer, error, operation, tries)

    def _s3_error(self, answer: _Answer) -> dict[str, str]:
        """botocore's REST-XML error rule: S3's bare <Error>, else <ErrorResponse><Error>
        (Code and Message default to empty), else, unreadable, the HTTP status alone."""
        if answer.body:
            try:
                root = ElementTree.fromstring(answer.body)
            except ElementTree.ParseError:
                return self._status_error(answer)
            if root.tag == "Error":
                error = _flat(root)
                error.pop("RequestId", None)
                error.pop("HostId", None)
                return error
            node = _child(root, "Error")
            return {"Message": "", "Code": "", **(_flat(node) if node is not None else {})}
        return self._status_error(answer)

    def _redirect_region(
        self, operation: str, answer: _Answer, error: dict[str, str], bucket: str
    ) -> str | None:
        """The region to resend to, when botocore's S3 redirector would resend."""
        code = error.get("Code")
        headers = answer.headers
        family = codes.family(code)
        moved = (
            (code in ("301", "400") and operation == "HeadObject")
            or (
                code in ("301", "400")
                and operation == "HeadBucket"
                and "x-amz-bucket-region" in headers
            )
            or (family == codes.HEADER and "Region" in error)
            or answer.status in (301, 302, 307)
            or family == codes.REDIRECT  # a "301" code always comes with status 301
            or (family == codes.WRONG_LOCATION and operation != "CreateBucket")
        )
        if not moved:
            return None
        region = headers.get("x-amz-bucket-region") or error.get("Region")
        if not region:
            try:
                head, _ = self._s3("HeadBucket", "HEAD", bucket)
                region = head.headers.get("x-amz-bucket-region")
            except AnswerError as exc:
                region = exc.answer.headers.get("x-amz-bucket-region")
        if not region or not re.match(r"^[a-zA-Z0-9-]{1,63}$", region):
            return None
        return region

    def _bucket_ok(self, name: str, bucket: str) -> bool:
        return bool(_BUCKET_NAME.match(bucket))

    def list_buckets(self) -> dict[str, Any]:
        answer, tries = self._s3("ListBuckets", "GET", None)
        root = self._parse(answer)
        buckets = [
            {"Name": _text(item, "Name"), "CreationDate": _timestamp(_text(item, "CreationDate"))}
            for item in _members(root, "Buckets")
        ]
        return {"Buckets": buckets, "ResponseMetadata": self._metadata(answer, tries)}

    def head_bucket(self, Bucket: str) -> dict[str, Any]:  # noqa: N803
        if not self._bucket_ok("head_bucket", Bucket):
            return dict(self._fallback().head_bucket(Bucket=Bucket))
        answer, tries = self._s3("HeadBucket", "HEAD", Bucket)
        return {"ResponseMetadata": self._metadata(answer, tries)}

    def get_bucket_location(self, Bucket: str) -> dict[str, Any]:  # noqa: N803
        if not self._bucket_ok("get_bucket_location", Bucket):
            return dict(self._fallback().get_bucket_location(Bucket=Bucket))
        answer, tries = self._s3("GetBucketLocation", "GET", Bucket, query={"location": ""})
        root = self._parse(answer)
        return {
            "LocationConstraint": root.text or None,
            "ResponseMetadata": self._metadata(answer, tries),
        }

    def list_objects_v2(
        self,
        Bucket: str,  # noqa: N803
        MaxKeys: int | None = None,  # noqa: N803
        Prefix: str | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        if not self._bucket_ok("list_objects_v2", Bucket):
            kwargs: dict[str, Any] = {"Bucket": Bucket}
            if MaxKeys is not None:
                kwargs["MaxKeys"] = MaxKeys
            if Prefix is not None:
                kwargs["Prefix"] = Prefix
            return dict(self._fallback().list_objects_v2(**kwargs))
        query = {"list-type": "2"}
        if MaxKeys is not None:
            query["max-keys"] = str(MaxKeys)
        if Prefix is not None:
            query["prefix"] = Prefix
        query["encoding-type"] = "url"
        answer, tries = self._s3("ListObjectsV2", "GET", Bucket, query=query)
        root = self._parse(answer)
        count = _text(root, "KeyCount")
        return {
            "KeyCount": int(count) if count and count.isdigit() else 0,
            "ResponseMetadata": self._metadata(answer, tries),
        }

    def head_object(self, Bucket: str, Key: str) -> dict[str, Any]:  # noqa: N803
        if not self._bucket_ok("head_object", Bucket) or not Key:
            return dict(self._fallback().head_object(Bucket=Bucket, Key=Key))
        answer, tries = self._s3("HeadObject", "HEAD", Bucket, Key)
        length = answer.headers.get("content-length", "0")
        return {
            "ContentLength": int(length) if length.isdigit() else 0,
            "ResponseMetadata": self._metadata(answer, tries),
        }

    def put_object(self, Bucket: str, Key: str, Body: bytes = b"") -> dict[str, Any]:  # noqa: N803
        if not self._bucket_ok("put_object", Bucket) or not Key:
            return dict(self._fallback().put_object(Bucket=Bucket, Key=Key, Body=Body))
        answer, tries = self._s3("PutObject", "PUT", Bucket, Key, body=Body)
        return {"ResponseMetadata": self._metadata(answer, tries)}

    def delete_object(self, Bucket: str, Key: str) -> dict[str, Any]:  # noqa: N803
        if not self._bucket_ok("delete_object", Bucket) or not Key:
            return dict(self._fallback().delete_object(Bucket=Bucket, Key=Key))
        answer, tries = self._s3("DeleteObject", "DELETE", Bucket, Key)
        return {"ResponseMetadata": self._metadata(answer, tries)}
