"""``rotate-key``: replace a profile's access key without a moment of lock-out.

The order is what keeps a working key in place at every instant:

1. ``iam:CreateAccessKey`` for the same user, signed with the current key;
2. write the new key where the old one came from (credentials or config file section),
   with a backup of the old file;
3. read the profile back from disk and call ``sts:GetCallerIdentity`` with what is there,
   retrying for a short propagation window, and check it is the same user;
4. ``iam:UpdateAccessKey`` the old key to ``Inactive`` (signed with the new key);
5. only with ``--delete-old``: ``iam:DeleteAccessKey`` the old key, the one step that cannot
   be undone, so it comes last.

If any step fails, the steps before it are undone, newest first: the old key is set active
again, the file is restored from its original bytes, the new key is deleted. Keys that come
from environment variables are not rewritten (keydoctor cannot know where they are set): the
new key goes into a new 0600 file and the exact lines to change are printed; the old key is
left active until the user has switched. The new secret is never printed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from keydoctor.catalog import codes
from keydoctor.fixes import atomic, ini, journal
from keydoctor.fixes.aws import error_code, make_client
from keydoctor.fixes.plan import FileWrite, FixError, Plan, RunState, Safety, Step
from keydoctor.fixes.tidy import clean_value
from keydoctor.model import CredentialSource, Secret
from keydoctor.redact import Redactor, mask_key_id

if TYPE_CHECKING:
    from keydoctor.fixes.logcheck import LogCheck

NEW_ID_PLACEHOLDER = "<new access key id>"
NEW_SECRET_PLACEHOLDER = "<new secret access key>"
VERIFY_ENV = "KEYDOCTOR_VERIFY_SECONDS"
DEFAULT_VERIFY_SECONDS = 20.0
KEY_LIMIT = 2


@dataclass
class Caller:
    """Who the current key belongs to."""

    arn: str
    account: str
    user: str


@dataclass
class RotationTarget:
    """Where the current key lives and how to reach AWS with it."""

    profile: str
    source: CredentialSource
    endpoint_url: str | None
    environ: dict[str, str]
    kind: str | None  # "credentials" / "config" for a file source, None for env

    @property
    def key_id(self) -> str:
        assert self.source.access_key_id is not None
        return clean_value("aws_access_key_id", self.source.access_key_id)

    @property
    def secret(self) -> Secret:
        assert self.source.secret_access_key is not None
        return Secret(clean_value("aws_secret_access_key", self.source.secret_access_key.reveal()))

    def client(self, service: str, key_id: str | None = None, secret: Secret | None = None) -> Any:
        return make_client(
            service,
            key_id or self.key_id,
            secret or self.secret,
            endpoint_url=self.endpoint_url,
        )


def user_from_arn(arn: str) -> str | None:
    """The IAM user name in ``arn:aws:iam::123456789012:user/path/name``, else None."""
    resource = arn.split(":", 5)[-1] if arn.count(":") >= 5 else ""
    if not resource.startswith("user/"):
        return None
    return resource.split("/")[-1] or None


class CreateKey(Step):
    def __init__(
        self,
        target: RotationTarget,
        caller: Caller,
        redactor: Redactor | None,
        journal_at: str,
        handoff: str | None = None,
    ) -> None:
        self.target = target
        self.user = caller.user
        self.caller = caller
        self.redactor = redactor
        self.journal_at = journal_at
        self.handoff = handoff
        self.title = (
            f"AWS iam:CreateAccessKey UserName={caller.user} "
            f"(signed with the current key {mask_key_id(target.key_id)}); the new key is "
            f"kept in the journal {journal_at} (0600) until the rotation is done"
        )

    def fingerprint(self) -> str:
        return (
            f"CreateAccessKey {self.user} signed by {self.target.key_id} "
            f"at {self.target.endpoint_url}"
        )

    def run(self, state: RunState) -> None:
        try:
            created = self.target.client("iam").create_access_key(UserName=self.user)["AccessKey"]
        except Exception as exc:
            if error_code(exc) == "LimitExceeded":
                raise FixError(
                    f"user {self.user} already has two access keys, the most IAM allows; "
                    "keydoctor will not choose a key to delete. List them with aws iam "
                    f"list-access-keys --user-name {self.user}, delete the one nothing "
                    "uses, then run this fix again"
                ) from None
            raise
        secret = Secret(created["SecretAccessKey"])
        if self.redactor is not None:
            self.redactor.add_secret(secret.reveal())
            self.redactor.add_key_id(created["AccessKeyId"])
        state.values["new_key_id"] = created["AccessKeyId"]
        state.values["new_secret"] = secret
        record = journal.Journal(
            profile=self.target.profile,
            user=self.user,
            arn=self.caller.arn,
            old_key_id=self.target.key_id,
            new_key_id=created["AccessKeyId"],
            new_secret=secret,
            file=self.target.source.location.path if self.target.kind else None,
            handoff=self.handoff,
            started=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        try:
            journal.write(self.journal_at, record)
        except BaseException as exc:
            # Without the journal a kill from here on would orphan the key: take it back.
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            new_id = mask_key_id(created["AccessKeyId"])
            try:
                _delete_new_key(self.target, self.user, state)
            except Exception:
                raise FixError(
                    f"could not write the rotation journal {self.journal_at} ({reason}), nor "
                    f"delete the new key {new_id} again: delete it in the IAM console (user "
                    f"{self.user}); nothing else changed"
                ) from None
            raise FixError(
                f"could not write the rotation journal {self.journal_at} ({reason}); the new "
                f"key {new_id} was deleted again and nothing else changed"
            ) from None
        state.log.append(f"created the new key {mask_key_id(created['AccessKeyId'])}")

    def undo(self, state: RunState) -> None:
        _delete_new_key(self.target, self.user, state)
        journal.remove(self.journal_at)
        state.log.append(f"deleted the new key {mask_key_id(state.values['new_key_id'])} again")


def _delete_new_key(target: RotationTarget, user: str, state: RunState) -> None:
    """Delete the key this rotation made, signed with the old key or else with itself."""
    new_id = state.values["new_key_id"]
    try:
        target.client("iam").delete_access_key(UserName=user, AccessKeyId=new_id)
    except Exception as exc:
        if codes.family(error_code(exc)) == codes.NO_ENTITY:
            return  # already gone: nothing is orphaned
        # The old key may be inactive by now; the new one can delete itself.
        try:
            target.client("iam", new_id, state.values["new_secret"]).delete_access_key(
                UserName=user, AccessKeyId=new_id
            )
        except Exception as again:
            if codes.family(error_code(again)) != codes.NO_ENTITY:
                raise


class AdoptKey(Step):
    """Take up the key an interrupted rotation made, from its journal, instead of a new one.

    ``orphan``: the key never reached the profile, so undoing this step (the resumed
    rotation failed) deletes it: the roll back. Otherwise the profile already uses it and
    undoing changes nothing.
    """

    def __init__(
        self,
        target: RotationTarget,
        record: journal.Journal,
        journal_at: str,
        redactor: Redactor | None,
        orphan: bool,
    ) -> None:
        self.target = target
        self.record = record
        self.journal_at = journal_at
        self.orphan = orphan
        if redactor is not None:
            redactor.add_secret(record.new_secret.reveal())
            redactor.add_key_id(record.new_key_id)
        self.title = (
            f"resume the rotation interrupted on {record.started}: take up its new key "
            f"{mask_key_id(record.new_key_id)} from the journal {journal_at}"
            + (" (deleted again if the rotation cannot be finished)" if orphan else "")
        )

    def fingerprint(self) -> str:
        return f"adopt {self.record.new_key_id} from {self.journal_at} orphan={self.orphan}"

    def run(self, state: RunState) -> None:
        state.values["new_key_id"] = self.record.new_key_id
        state.values["new_secret"] = self.record.new_secret
        state.log.append(
            f"took up the new key {mask_key_id(self.record.new_key_id)} of the interrupted rotation"
        )

    def undo(self, state: RunState) -> None:
        if not self.orphan:
            return
        _delete_new_key(self.target, self.record.user, state)
        journal.remove(self.journal_at)
        state.log.append(
            f"rolled back the interrupted rotation: deleted its new key "
            f"{mask_key_id(self.record.new_key_id)}"
        )


class ForgetJournal(Step):
    """The rotation is done: its journal, and the copy of the new secret in it, go."""

    def __init__(self, journal_at: str) -> None:
        self.journal_at = journal_at
        self.title = f"remove the rotation journal {journal_at}"

    def fingerprint(self) -> str:
        return f"forget {self.journal_at}"

    def run(self, state: RunState) -> None:
        journal.remove(self.journal_at)
        state.log.append(f"removed the rotation journal {self.journal_at}")


def _new_key_render(matches: Callable[[str], bool], header: str) -> Callable[[str, RunState], str]:
    def render(before: str, state: RunState) -> str:
        secret: Secret = state.values["new_secret"]
        return ini.set_options(
            before,
            matches,
            header,
            {
                "aws_access_key_id": state.values["new_key_id"],
                "aws_secret_access_key": secret.reveal(),
            },
        )

    return render


def _handoff_render(before: str, state: RunState) -> str:
    secret: Secret = state.values["new_secret"]
    return (
        "# New AWS access key made by keydoctor fix rotate-key. Put these values where the\n"
        "# old ones are set, then delete this file.\n"
        f"AWS_ACCESS_KEY_ID={state.values['new_key_id']}\n"
        f"AWS_SECRET_ACCESS_KEY={secret.reveal()}\n"
    )


class Verify(Step):
    """Prove the new key works, as read back from where it was written."""

    def __init__(self, target: RotationTarget, caller: Caller, timeout: float) -> None:
        self.target = target
        self.caller = caller
        self.timeout = timeout
        where = "the file" if target.kind else "memory"
        self.title = (
            f"AWS sts:GetCallerIdentity with the new key read back from {where} "
            f"(retried for up to {timeout:g}s), expecting {caller.arn}"
        )

    def fingerprint(self) -> str:
        return f"verify {self.caller.arn} from {self.target.kind} at {self.target.endpoint_url}"

    def _read_back(self, state: RunState) -> tuple[str, Secret]:
        if self.target.kind is None:
            return state.values["new_key_id"], state.values["new_secret"]
        from keydoctor.sources.chain import gather, resolve

        env = {k: v for k, v in self.target.environ.items() if not k.startswith("AWS_ACCESS")}
        env.pop("AWS_SECRET_ACCESS_KEY", None)
        env.pop("AWS_SESSION_TOKEN", None)
        resolution = resolve(gather(env, self.target.profile))
        winner = resolution.winner
        if winner is None or winner.access_key_id is None or winner.secret_access_key is None:
            raise FixError("the profile no longer yields a key after the write")
        if winner.access_key_id.strip() != state.values["new_key_id"]:
            raise FixError(
                f"the profile now yields {mask_key_id(winner.access_key_id)}, "
                f"not the new key {mask_key_id(state.values['new_key_id'])}"
            )
        return winner.access_key_id.strip(), Secret(winner.secret_access_key.reveal().strip())

    def run(self, state: RunState) -> None:
        key_id, secret = self._read_back(state)
        sts = self.target.client("sts", key_id, secret)
        deadline = time.monotonic() + self.timeout
        attempt = 0
        while True:
            attempt += 1
            try:
                arn = sts.get_caller_identity()["Arn"]
                break
            except Exception as exc:
                code = error_code(exc)
                retry = code is None or codes.family(code) in _STILL_PROPAGATING
                if time.monotonic() >= deadline or not retry:
                    raise FixError(
                        f"the new key {mask_key_id(key_id)} did not work after {attempt} "
                        f"attempt(s): {code or type(exc).__name__}"
                    ) from None
                time.sleep(min(2.0, max(0.2, deadline - time.monotonic())))
        if arn != self.caller.arn:
            raise FixError(f"the new key belongs to {arn}, not to {self.caller.arn}")
        state.values["verified"] = True
        state.log.append(f"verified the new key {mask_key_id(key_id)} as {arn} (attempt {attempt})")


# What a key too new for every IAM endpoint gets back: worth a retry, not a rollback.
_PROPAGATION_FAMILIES = (codes.UNKNOWN_KEY, codes.SIGNATURE)
# Verifying the new key with STS: a denial too can be IAM not having caught up yet.
_STILL_PROPAGATING = (codes.UNKNOWN_KEY, codes.SIGNATURE, codes.DENIED)


def _with_new_key_retry(call: Callable[[], Any], timeout: float) -> Any:
    """Run an IAM call signed with the new key, retrying while the key propagates."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except Exception as exc:
            late = codes.family(error_code(exc)) in _PROPAGATION_FAMILIES
            if not late or time.monotonic() >= deadline:
                raise
            time.sleep(1.0)


class SetStatus(Step):
    def __init__(
        self,
        target: RotationTarget,
        user: str,
        old_key_id: str,
        timeout: float = DEFAULT_VERIFY_SECONDS,
    ) -> None:
        self.target = target
        self.user = user
        self.old_key_id = old_key_id
        self.timeout = timeout
        self.title = (
            f"AWS iam:UpdateAccessKey UserName={user} AccessKeyId={mask_key_id(old_key_id)} "
            "Status=Inactive (signed with the new key)"
        )

    def fingerprint(self) -> str:
        return f"UpdateAccessKey {self.user} {self.old_key_id} Inactive"

    def _set(self, state: RunState, status: str) -> None:
        client = self.target.client("iam", state.values["new_key_id"], state.values["new_secret"])
        _with_new_key_retry(
            lambda: client.update_access_key(
                UserName=self.user, AccessKeyId=self.old_key_id, Status=status
            ),
            self.timeout,
        )

    def run(self, state: RunState) -> None:
        self._set(state, "Inactive")
        state.log.append(f"set the old key {mask_key_id(self.old_key_id)} to Inactive")

    def undo(self, state: RunState) -> None:
        self._set(state, "Active")
        state.log.append(f"set the old key {mask_key_id(self.old_key_id)} to Active again")


class DeleteOld(Step):
    reversible = False

    def __init__(self, target: RotationTarget, user: str, old_key_id: str) -> None:
        self.target = target
        self.user = user
        self.old_key_id = old_key_id
        self.title = (
            f"AWS iam:DeleteAccessKey UserName={user} AccessKeyId={mask_key_id(old_key_id)} "
            "(signed with the new key; cannot be undone, so it is the last step)"
        )

    def fingerprint(self) -> str:
        return f"DeleteAccessKey {self.user} {self.old_key_id}"

    def run(self, state: RunState) -> None:
        if not state.values.get("verified"):
            raise FixError("refusing to delete the old key before the new one is verified")
        client = self.target.client("iam", state.values["new_key_id"], state.values["new_secret"])
        client.delete_access_key(UserName=self.user, AccessKeyId=self.old_key_id)
        state.log.append(f"deleted the old key {mask_key_id(self.old_key_id)}")


def _blocked(plan: Plan, message: str) -> Plan:
    plan.blocked = message
    return plan


def _verify_seconds() -> float:
    raw = os.environ.get(VERIFY_ENV)
    try:
        return float(raw) if raw else DEFAULT_VERIFY_SECONDS
    except ValueError:
        return DEFAULT_VERIFY_SECONDS


def plan_rotation(
    environ: dict[str, str],
    profile: str | None,
    *,
    endpoint_url: str | None = None,
    delete_old: bool = False,
    redactor: Redactor | None = None,
    verify_seconds: float | None = None,
    rollback: bool = False,
    log_check: LogCheck | None = None,
) -> Plan:
    """Plan a rotation; asks AWS only read-only questions (who am I, which keys exist).

    ``rollback``: plan the undoing of an interrupted rotation (its journal names the key
    it made) instead of a rotation. ``log_check``: refuse to deactivate a key that the
    logs show in use from another host (see :mod:`keydoctor.fixes.logcheck`).
    """
    from keydoctor.sources.chain import gather, resolve

    environment = gather(environ, profile)
    resolution = resolve(environment)
    plan = Plan(
        "rotate-key",
        Safety.UNSAFE,
        f"replace the access key of profile {environment.profile} with a new one",
    )
    winner = resolution.winner
    if winner is None:
        return _blocked(
            plan,
            f"profile {environment.profile} yields no credentials to rotate"
            + (f" ({resolution.failure})" if resolution.failure else ""),
        )
    if winner.error is not None:
        return _blocked(
            plan,
            f"the credentials of profile {environment.profile} are broken "
            f"({winner.error}); fix that first",
        )
    if (
        not winner.has_static_keys
        or winner.access_key_id is None
        or winner.secret_access_key is None
    ):
        source_profile = environment.profile_config.get("source_profile")
        hint = (
            f" Rotate the key of its source profile instead: keydoctor fix rotate-key "
            f"--profile {source_profile}"
            if source_profile
            else ""
        )
        return _blocked(
            plan,
            f"profile {environment.profile} gets credentials from "
            f"{winner.method}, not from a stored access key; there is no key "
            f"to rotate.{hint}",
        )
    if winner.session_token is not None:
        return _blocked(
            plan,
            f"{mask_key_id(winner.access_key_id)} is a temporary key with a "
            "session token; it expires by itself and cannot be rotated",
        )
    kind = {"shared-credentials-file": "credentials", "config-file": "config"}.get(winner.method)
    if kind is None and winner.method != "env":
        return _blocked(plan, f"keys from {winner.method} cannot be rotated by keydoctor")
    target = RotationTarget(environment.profile, winner, endpoint_url, dict(environ), kind)
    if redactor is not None:
        redactor.add_secret(target.secret.reveal())
        redactor.add_key_id(target.key_id)

    try:
        identity = target.client("sts").get_caller_identity()
    except Exception as exc:
        code = error_code(exc)
        if code is None:
            return _blocked(
                plan,
                f"STS could not be reached ({type(exc).__name__}); "
                "nothing was changed. Check the network or --endpoint-url",
            )
        return _blocked(
            plan,
            f"the current key {mask_key_id(target.key_id)} does not work "
            f"({code}), so it cannot sign the rotation. Create a new key with "
            "other credentials (console or an admin profile) and write it into "
            "the profile",
        )
    caller = Caller(identity["Arn"], identity["Account"], user_from_arn(identity["Arn"]) or "")
    if not caller.user:
        return _blocked(
            plan,
            f"the key belongs to {caller.arn}, not to an IAM user; only IAM "
            "user keys can be rotated (root keys: use the console)",
        )
    listed = True
    try:
        keys = target.client("iam").list_access_keys(UserName=caller.user)["AccessKeyMetadata"]
    except Exception as exc:
        if codes.family(error_code(exc)) != codes.DENIED:
            return _blocked(
                plan,
                f"iam:ListAccessKeys for {caller.user} failed "
                f"({error_code(exc) or type(exc).__name__})",
            )
        # Allowed to create keys but not to list them: IAM itself will refuse a third key.
        keys = [{"AccessKeyId": target.key_id, "Status": "Active"}]
        listed = False
        plan.notes.append(
            f"the key may not list {caller.user}'s keys (iam:ListAccessKeys denied); if the "
            "user already has two keys, the first step fails and nothing changes"
        )
    home = environ.get("HOME") or os.path.expanduser("~")
    path = winner.location.path if kind is not None else None
    folder = os.path.dirname(atomic.real_target(path)) if path else os.path.join(home, ".aws")
    journal_at = journal.journal_path(folder, target.profile)
    key_ids = {str(k["AccessKeyId"]) for k in keys}
    if rollback:
        return _roll_back(plan, target, caller, journal_at, key_ids if listed else None)
    record = _interrupted(plan, journal_at, target, caller, key_ids if listed else None)
    if plan.blocked is not None:
        return plan
    timeout = verify_seconds if verify_seconds is not None else _verify_seconds()
    if record is not None and record.new_key_id == target.key_id:
        return _finish(
            plan,
            target,
            caller,
            record,
            journal_at,
            redactor,
            timeout,
            delete_old,
            key_ids if listed else None,
        )
    if log_check is not None:
        from keydoctor.fixes.logcheck import other_sources, refusal

        elsewhere = other_sources(log_check, target.key_id)
        if elsewhere and not log_check.force:
            return _blocked(plan, refusal(log_check, target.key_id, elsewhere))
        plan.notes.append(
            refusal(log_check, target.key_id, elsewhere).split(". Deactivating")[0]
            + " (rotating anyway: --force)"
            if elsewhere
            else f"the logs show no host but this one using {mask_key_id(target.key_id)} "
            f"in the last {log_check.days} days"
        )
    others = [k for k in keys if k["AccessKeyId"] not in (target.key_id, _new_id(record))]
    if record is None and len(keys) >= KEY_LIMIT:
        listed_keys = "; ".join(
            f"{mask_key_id(k['AccessKeyId'])} ({k.get('Status', '?')}, created "
            f"{_date(k.get('CreateDate'))})"
            for k in others
        )
        return _blocked(
            plan,
            f"user {caller.user} already has {len(keys)} access keys, the most IAM allows: "
            f"{mask_key_id(target.key_id)} (used by profile {target.profile}) and "
            f"{listed_keys}. keydoctor will not choose a key to delete. Delete the other key "
            f"yourself if nothing uses it any more (aws iam delete-access-key --user-name "
            f"{caller.user} --access-key-id <the other key id>), then run this fix again",
        )

    plan.notes.append(
        "to plan this, keydoctor asked AWS (read-only): sts:GetCallerIdentity, iam:ListAccessKeys"
    )
    handoff: str | None = None
    if kind is None:
        handoff = (record.handoff if record is not None and record.handoff else None) or (
            _handoff_path(os.path.join(home, ".aws"), caller.user)
        )
    if record is None:
        plan.steps.append(CreateKey(target, caller, redactor, journal_at, handoff))
    else:
        plan.steps.append(AdoptKey(target, record, journal_at, redactor, orphan=True))
    if path is not None:
        before = atomic.read_bytes(path)
        if before is None:
            return _blocked(plan, f"{path} disappeared while planning")
        assert kind is not None
        matches = ini.profile_matcher(kind, target.profile)
        header = ini.section_header_for(kind, target.profile)
        preview = ini.set_options(
            before.decode("utf-8", errors="replace"),
            matches,
            header,
            {
                "aws_access_key_id": NEW_ID_PLACEHOLDER,
                "aws_secret_access_key": NEW_SECRET_PLACEHOLDER,
            },
        )
        plan.steps.append(
            FileWrite(
                path,
                before,
                _new_key_render(matches, header),
                preview,
                why=f"new key for profile {target.profile}",
            )
        )
        plan.steps.append(Verify(target, caller, timeout))
        plan.steps.append(SetStatus(target, caller.user, target.key_id, timeout))
        if delete_old:
            plan.steps.append(DeleteOld(target, caller.user, target.key_id))
        else:
            plan.notes.append(
                f"the old key {mask_key_id(target.key_id)} stays Inactive (reversible); "
                "add --delete-old to delete it once the new one is verified"
            )
        plan.notes.append(
            f"the backup of {path} (mode 0600) keeps the old key; delete it once the new "
            "key has served you for a while"
        )
    else:
        assert handoff is not None
        preview = (
            f"AWS_ACCESS_KEY_ID={NEW_ID_PLACEHOLDER}\n"
            f"AWS_SECRET_ACCESS_KEY={NEW_SECRET_PLACEHOLDER}\n"
        )
        if record is None or not os.path.exists(handoff):
            plan.steps.append(
                FileWrite(
                    handoff,
                    None,
                    _handoff_render,
                    preview,
                    mode=0o600,
                    why="the new key, readable only by you",
                )
            )
        plan.steps.append(Verify(target, caller, timeout))
        plan.notes.extend(
            [
                "the current key comes from environment variables; keydoctor does not rewrite "
                "them. Where they are set (shell profile, CI secret, .env file), change:",
                f"  AWS_ACCESS_KEY_ID={mask_key_id(target.key_id)}  ->  the AWS_ACCESS_KEY_ID "
                f"line of {handoff}",
                f"  AWS_SECRET_ACCESS_KEY=<old secret>  ->  the AWS_SECRET_ACCESS_KEY line of "
                f"{handoff}",
                "then deactivate the old key: aws iam update-access-key --user-name "
                f"{caller.user} --access-key-id <old key id> --status Inactive, and delete "
                f"{handoff}",
            ]
        )
    plan.steps.append(ForgetJournal(journal_at))
    for shadowed in resolution.shadowed:
        if shadowed.access_key_id and shadowed.access_key_id.strip() == target.key_id:
            plan.notes.append(
                f"the old key is also in {shadowed.location.describe()} (not used now); "
                "remove it there after the rotation, or it will be picked up if the "
                "rotated place goes away"
            )
    return plan


def _new_id(record: journal.Journal | None) -> str | None:
    return record.new_key_id if record is not None else None


def _interrupted(
    plan: Plan,
    journal_at: str,
    target: RotationTarget,
    caller: Caller,
    key_ids: set[str] | None,
) -> journal.Journal | None:
    """The journal of an interrupted rotation of this profile that this run can take up.

    None when there is none, or when its new key no longer exists (that rotation starts
    afresh); the plan is blocked when the journal cannot be read or names other keys
    (keydoctor does not guess how far a rotation it cannot place got).
    """
    found = journal.read(journal_at)
    if found is None:
        return None
    check = (
        f"Check the keys of {caller.user} (aws iam list-access-keys --user-name "
        f"{caller.user}), then move {journal_at} aside and run this fix again"
    )
    if isinstance(found, str):
        _blocked(
            plan,
            f"the rotation journal {journal_at} {found}; keydoctor will not guess "
            f"how far that rotation got. {check}",
        )
        return None
    if found.user != caller.user or target.key_id not in (found.old_key_id, found.new_key_id):
        _blocked(
            plan,
            f"the rotation journal {journal_at} (from {found.started}) is about the keys "
            f"{mask_key_id(found.old_key_id)} -> {mask_key_id(found.new_key_id)} of "
            f"{found.user}, not about profile {target.profile}'s current key "
            f"{mask_key_id(target.key_id)}; keydoctor will not guess. {check}",
        )
        return None
    if (
        target.key_id == found.old_key_id
        and key_ids is not None
        and found.new_key_id not in key_ids
    ):
        plan.notes.append(
            f"the new key {mask_key_id(found.new_key_id)} of the rotation interrupted on "
            f"{found.started} no longer exists; the rotation starts afresh"
        )
        return None
    plan.notes.append(
        f"a rotation of profile {target.profile} was interrupted on {found.started} after "
        f"creating the key {mask_key_id(found.new_key_id)}; this run finishes it (if that "
        "fails, the key is deleted again)"
    )
    return found


def _roll_back(
    plan: Plan,
    target: RotationTarget,
    caller: Caller,
    journal_at: str,
    key_ids: set[str] | None,
) -> Plan:
    """Undo an interrupted rotation whose new key never reached the profile: delete it."""
    plan.summary = f"undo the interrupted rotation of profile {target.profile}"
    found = journal.read(journal_at)
    if found is None:
        return _blocked(
            plan,
            f"no interrupted rotation of profile {target.profile} to roll "
            f"back (no journal {journal_at})",
        )
    if isinstance(found, str):
        return _blocked(
            plan,
            f"the rotation journal {journal_at} {found}; check the keys of "
            f"{caller.user} (aws iam list-access-keys --user-name {caller.user})",
        )
    if found.user != caller.user or target.key_id != found.old_key_id:
        where = (
            "the profile already uses its new key; finish it instead (run without --rollback)"
            if target.key_id == found.new_key_id
            else f"it is about other keys than profile {target.profile}'s current key"
        )
        return _blocked(plan, f"the rotation of {found.started} cannot be rolled back: {where}")
    if key_ids is None or found.new_key_id in key_ids:
        plan.steps.append(DeleteOrphan(target, found))
    else:
        plan.notes.append(f"its new key {mask_key_id(found.new_key_id)} no longer exists")
    plan.steps.append(ForgetJournal(journal_at))
    return plan


class DeleteOrphan(Step):
    """Delete the key an interrupted rotation made and the profile never used."""

    reversible = False

    def __init__(self, target: RotationTarget, record: journal.Journal) -> None:
        self.target = target
        self.record = record
        self.title = (
            f"AWS iam:DeleteAccessKey UserName={record.user} AccessKeyId="
            f"{mask_key_id(record.new_key_id)} (the key made by the rotation interrupted on "
            f"{record.started}; signed with the current key; cannot be undone)"
        )

    def fingerprint(self) -> str:
        return f"DeleteAccessKey {self.record.user} {self.record.new_key_id} orphan"

    def run(self, state: RunState) -> None:
        state.values["new_key_id"] = self.record.new_key_id
        state.values["new_secret"] = self.record.new_secret
        _delete_new_key(self.target, self.record.user, state)
        state.log.append(
            f"deleted the key {mask_key_id(self.record.new_key_id)} of the interrupted rotation"
        )


def _finish(
    plan: Plan,
    target: RotationTarget,
    caller: Caller,
    record: journal.Journal,
    journal_at: str,
    redactor: Redactor | None,
    timeout: float,
    delete_old: bool,
    key_ids: set[str] | None,
) -> Plan:
    """The profile already uses the interrupted rotation's new key: verify it, retire the
    old key (if it still exists), and forget the journal."""
    plan.steps.append(AdoptKey(target, record, journal_at, redactor, orphan=False))
    plan.steps.append(Verify(target, caller, timeout))
    if key_ids is None or record.old_key_id in key_ids:
        plan.steps.append(SetStatus(target, caller.user, record.old_key_id, timeout))
        if delete_old:
            plan.steps.append(DeleteOld(target, caller.user, record.old_key_id))
    plan.steps.append(ForgetJournal(journal_at))
    return plan


def _handoff_path(folder: str, user: str) -> str:
    """A new file for the new key, named the same each time it is planned (the plan hash
    covers it): ``keydoctor-new-key-<user>.env``, or ``-2``, ``-3`` … when taken."""
    path = os.path.join(folder, f"keydoctor-new-key-{user}.env")
    number = 1
    while os.path.lexists(path):
        number += 1
        path = os.path.join(folder, f"keydoctor-new-key-{user}-{number}.env")
    return path


def _date(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    return str(value)[:10] if value else "?"
