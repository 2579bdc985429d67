"""``fixes/rotate.py`` in process: exact plans, titles, notes, refusals and file edits.

``tests/test_fix_rotate.py`` runs ``keydoctor fix rotate-key`` in a subprocess, which a
mutation run cannot see into. These tests call :func:`plan_rotation` and the steps directly,
against one moto server for the whole module (IAM authentication enforced), and pin what
the module states: the order that keeps a working key at every instant (create, write, read
back and verify, deactivate, delete last), the words of every refusal, the file written, and
the rollback of each step. The pure helpers are pinned without a server.

For a mutation run, ``KEYDOCTOR_TEST_MOTO=endpoint,admin-key-id,admin-secret`` names a moto
server started once (with those admin keys, authentication enforced), so that each mutant's
run does not pay for starting one (see docs/mutation.md).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from keydoctor.fixes import journal, rotate
from keydoctor.fixes.plan import FileWrite, FixError, Plan, RunState, Safety, execute
from keydoctor.lab.emulator import Emulator, Keys
from keydoctor.model import Secret
from keydoctor.redact import Redactor, mask_key_id

SELF_ROTATION = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "iam:CreateAccessKey",
                "iam:ListAccessKeys",
                "iam:UpdateAccessKey",
                "iam:DeleteAccessKey",
                "sts:GetCallerIdentity",
            ],
            "Resource": "*",
        }
    ],
}
NO_LIST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "iam:CreateAccessKey",
                "iam:UpdateAccessKey",
                "iam:DeleteAccessKey",
                "sts:GetCallerIdentity",
            ],
            "Resource": "*",
        }
    ],
}
OTHER_ID = "AKIAY34FZKBOKMUTVV7A"
OTHER_SECRET = "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"


@pytest.fixture(scope="module")
def moto() -> Iterator[Emulator]:
    """One moto server for the module, or the one ``KEYDOCTOR_TEST_MOTO`` names."""
    given = os.environ.get("KEYDOCTOR_TEST_MOTO")
    if given:
        endpoint, key_id, secret = given.split(",")
        yield Emulator(endpoint=endpoint, admin=Keys("keydoctor-admin", key_id, secret))
        return
    emulator = Emulator.start_subprocess()
    try:
        emulator.create_admin()
        emulator.enforce_auth()
        yield emulator
    finally:
        emulator.stop()


def new_user(moto: Emulator, policy: dict[str, Any] | None = None) -> Keys:
    return moto.create_user(f"r{uuid.uuid4().hex[:10]}", policy or SELF_ROTATION)


def keys_of(moto: Emulator, user: str) -> dict[str, str]:
    listed = moto.client("iam").list_access_keys(UserName=user)["AccessKeyMetadata"]
    return {k["AccessKeyId"]: k["Status"] for k in listed}


def home_with(tmp_path: Path, credentials: str = "", config: str = "") -> dict[str, str]:
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True, exist_ok=True)
    if credentials:
        (home / ".aws" / "credentials").write_text(credentials)
    if config:
        (home / ".aws" / "config").write_text(config)
    return {"HOME": str(home), "AWS_EC2_METADATA_DISABLED": "true"}


def creds_text(keys: Keys, profile: str = "default", extra: str = "") -> str:
    return (
        "# personal keys\n"
        f"[{profile}]\n"
        f"aws_access_key_id = {keys.access_key_id}\n"
        f"aws_secret_access_key = {keys.secret_access_key}\n"
        f"{extra}"
    )


def plan_for(env: dict[str, str], moto: Emulator, profile: str | None = None, **kw: Any) -> Plan:
    kw.setdefault("verify_seconds", 2.0)
    return rotate.plan_rotation(env, profile, endpoint_url=moto.endpoint, **kw)


def journal_of(env: dict[str, str], profile: str = "default") -> str:
    return journal.journal_path(os.path.join(env["HOME"], ".aws"), profile)


# -- pure parts ---------------------------------------------------------------------------


def test_user_from_arn() -> None:
    assert rotate.user_from_arn("arn:aws:iam::123456789012:user/alice") == "alice"
    assert rotate.user_from_arn("arn:aws:iam::123456789012:user/ops/team/bob") == "bob"
    assert rotate.user_from_arn("arn:aws:iam::123456789012:root") is None
    assert rotate.user_from_arn("arn:aws:sts::123456789012:assumed-role/r/s") is None
    assert rotate.user_from_arn("arn:aws:iam::123456789012:user/") is None
    assert rotate.user_from_arn("user/alice") is None
    assert rotate.user_from_arn("a:b:c:d:user/x") is None  # four colons: not an ARN
    assert rotate.user_from_arn("a:b:c:d:e:user/x:y") == "x:y"


def test_verify_seconds_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(rotate.VERIFY_ENV, raising=False)
    assert rotate._verify_seconds() == 20.0
    monkeypatch.setenv("KEYDOCTOR_VERIFY_SECONDS", "3.5")
    assert rotate._verify_seconds() == 3.5
    monkeypatch.setenv("KEYDOCTOR_VERIFY_SECONDS", "soon")
    assert rotate._verify_seconds() == 20.0
    monkeypatch.setenv("KEYDOCTOR_VERIFY_SECONDS", "")
    assert rotate._verify_seconds() == 20.0


def test_date_of_a_key() -> None:
    assert rotate._date(datetime(2026, 3, 4, 5, 6, 7)) == "2026-03-04"
    assert rotate._date("2026-03-04T05:06:07Z") == "2026-03-04"
    assert rotate._date(None) == "?"
    assert rotate._date("") == "?"


def test_handoff_path_takes_the_next_free_name(tmp_path: Path) -> None:
    folder = str(tmp_path)
    first = os.path.join(folder, "keydoctor-new-key-alice.env")
    assert rotate._handoff_path(folder, "alice") == first
    Path(first).write_text("x")
    second = os.path.join(folder, "keydoctor-new-key-alice-2.env")
    assert rotate._handoff_path(folder, "alice") == second
    Path(second).write_text("x")
    assert rotate._handoff_path(folder, "alice") == os.path.join(
        folder, "keydoctor-new-key-alice-3.env"
    )
    os.symlink(os.path.join(folder, "nowhere"), os.path.join(folder, "keydoctor-new-key-bo.env"))
    assert rotate._handoff_path(folder, "bo").endswith("keydoctor-new-key-bo-2.env")


def test_renders_of_the_new_key() -> None:
    state = RunState(values={"new_key_id": "AKIANEWKEY0000000001", "new_secret": Secret("s3")})
    assert rotate._handoff_render("", state) == (
        "# New AWS access key made by keydoctor fix rotate-key. Put these values where the\n"
        "# old ones are set, then delete this file.\n"
        "AWS_ACCESS_KEY_ID=AKIANEWKEY0000000001\n"
        "AWS_SECRET_ACCESS_KEY=s3\n"
    )
    from keydoctor.fixes import ini

    render = rotate._new_key_render(ini.profile_matcher("credentials", "w"), "[w]")
    before = "[v]\naws_access_key_id = A\n\n[w]\naws_access_key_id = OLD\nregion = x\n"
    assert render(before, state) == (
        "[v]\naws_access_key_id = A\n\n[w]\naws_access_key_id = AKIANEWKEY0000000001\n"
        "region = x\naws_secret_access_key = s3\n"
    )


def test_new_id_of_a_record() -> None:
    assert rotate._new_id(None) is None
    assert rotate._new_id(_record("u", "AKIAOLD", "AKIANEW")) == "AKIANEW"


def _record(user: str, old: str, new: str, secret: str = "sec", **kw: Any) -> journal.Journal:
    fields: dict[str, Any] = {
        "profile": "default",
        "user": user,
        "arn": f"arn:aws:iam::123456789012:user/{user}",
        "old_key_id": old,
        "new_key_id": new,
        "new_secret": Secret(secret),
        "file": None,
        "handoff": None,
        "started": "2026-11-30T10:00:00Z",
    }
    fields.update(kw)
    return journal.Journal(**fields)


# -- refusals without AWS -----------------------------------------------------------------


def test_no_credentials_is_refused(tmp_path: Path, moto: Emulator) -> None:
    plan = plan_for(home_with(tmp_path), moto)
    assert plan.name == "rotate-key" and plan.safety is Safety.UNSAFE
    assert plan.summary == "replace the access key of profile default with a new one"
    assert plan.blocked == "profile default yields no credentials to rotate"
    assert plan.steps == [] and plan.notes == []


def test_a_missing_profile_says_why(tmp_path: Path, moto: Emulator) -> None:
    plan = plan_for(home_with(tmp_path), moto, "ghost")
    assert plan.blocked is not None
    assert plan.blocked.startswith("profile ghost yields no credentials to rotate (")
    assert plan.blocked.endswith(")")


def test_broken_credentials_are_refused(tmp_path: Path, moto: Emulator) -> None:
    """The chain stops at a source that fails, so no winner carries an error: the failure
    is the reason no credentials are there to rotate."""
    env = home_with(tmp_path, f"[default]\naws_access_key_id = {OTHER_ID}\n")
    plan = plan_for(env, moto)
    assert plan.blocked == (
        "profile default yields no credentials to rotate (PartialCredentialsError: "
        "aws_secret_access_key is missing)"
    )


def test_a_role_profile_points_at_its_source(tmp_path: Path, moto: Emulator) -> None:
    config = (
        "[profile base]\nregion = us-east-1\n"
        "[profile ops]\nrole_arn = arn:aws:iam::123456789012:role/ops\nsource_profile = base\n"
    )
    credentials = (
        f"[base]\naws_access_key_id = {OTHER_ID}\naws_secret_access_key = {OTHER_SECRET}\n"
    )
    plan = plan_for(home_with(tmp_path, credentials, config), moto, "ops")
    assert plan.blocked == (
        "profile ops gets credentials from assume-role, not from a stored access key; there "
        "is no key to rotate. Rotate the key of its source profile instead: keydoctor fix "
        "rotate-key --profile base"
    )
    web = (
        "[default]\nrole_arn = arn:aws:iam::123456789012:role/ops\n"
        f"web_identity_token_file = {tmp_path / 'token'}\n"
    )
    (tmp_path / "token").write_text("eyJ0eXAi.x.y")
    plan = plan_for(home_with(tmp_path / "w", config=web), moto)
    assert plan.blocked == (
        "profile default gets credentials from assume-role-with-web-identity, not from a "
        "stored access key; there is no key to rotate."
    )


def test_a_temporary_key_is_refused(tmp_path: Path, moto: Emulator) -> None:
    credentials = (
        "[default]\naws_access_key_id = ASIAY34FZKBOKMUTVV7A\n"
        f"aws_secret_access_key = {OTHER_SECRET}\naws_session_token = IQoJb3JpZ2luX2Vj\n"
    )
    plan = plan_for(home_with(tmp_path, credentials), moto)
    assert plan.blocked == (
        "ASIA…VV7A is a temporary key with a session token; it expires by itself and "
        "cannot be rotated"
    )


def test_keys_of_a_boto_config_are_not_rotated(tmp_path: Path, moto: Emulator) -> None:
    boto = tmp_path / "boto.cfg"
    boto.write_text(
        f"[Credentials]\naws_access_key_id = {OTHER_ID}\naws_secret_access_key = {OTHER_SECRET}\n"
    )
    env = home_with(tmp_path) | {"BOTO_CONFIG": str(boto)}
    plan = plan_for(env, moto)
    assert plan.blocked == "keys from boto-config cannot be rotated by keydoctor"


def test_sts_unreachable_changes_nothing(tmp_path: Path) -> None:
    env = home_with(tmp_path, creds_text(Keys("x", OTHER_ID, OTHER_SECRET)))
    redactor = Redactor()
    plan = rotate.plan_rotation(
        env, None, endpoint_url="http://127.0.0.1:9", redactor=redactor, verify_seconds=1
    )
    assert plan.blocked is not None
    assert plan.blocked.startswith("STS could not be reached (")
    assert plan.blocked.endswith("); nothing was changed. Check the network or --endpoint-url")
    assert plan.blocked.startswith("STS could not be reached (EndpointConnectionError)")
    # The key to be rotated is known to the redactor before anything is asked.
    assert OTHER_SECRET not in redactor.scrub(f"x {OTHER_SECRET} {OTHER_ID}")
    assert OTHER_ID not in redactor.scrub(f"x {OTHER_ID}")


# -- refusals AWS decides -----------------------------------------------------------------


def test_a_key_aws_does_not_know_cannot_sign(tmp_path: Path, moto: Emulator) -> None:
    env = home_with(tmp_path, creds_text(Keys("x", OTHER_ID, OTHER_SECRET)))
    plan = plan_for(env, moto)
    assert plan.blocked == (
        "the current key AKIA…VV7A does not work (InvalidClientTokenId), so it cannot sign "
        "the rotation. Create a new key with other credentials (console or an admin profile) "
        "and write it into the profile"
    )


def test_two_keys_already_is_refused_with_both_listed(tmp_path: Path, moto: Emulator) -> None:
    user = new_user(moto)
    second = moto.client("iam").create_access_key(UserName=user.user)["AccessKey"]
    env = home_with(tmp_path, creds_text(user))
    plan = plan_for(env, moto)
    today = datetime.now().strftime("%Y-%m-%d")
    assert plan.blocked == (
        f"user {user.user} already has 2 access keys, the most IAM allows: "
        f"{mask_key_id(user.access_key_id)} (used by profile default) and "
        f"{mask_key_id(second['AccessKeyId'])} (Active, created {today}). keydoctor will "
        "not choose a key to delete. Delete the other key yourself if nothing uses it any "
        f"more (aws iam delete-access-key --user-name {user.user} --access-key-id <the "
        "other key id>), then run this fix again"
    )
    assert plan.steps == []


# -- plans that run -------------------------------------------------------------------------


def test_credentials_file_plan_in_order(tmp_path: Path, moto: Emulator) -> None:
    user = new_user(moto)
    env = home_with(tmp_path, creds_text(user, extra="region = eu-west-1\n"))
    path = os.path.join(env["HOME"], ".aws", "credentials")
    at = journal_of(env)
    old = mask_key_id(user.access_key_id)
    redactor = Redactor()
    plan = plan_for(env, moto, redactor=redactor, verify_seconds=3.0)
    assert plan.blocked is None
    arn = f"arn:aws:iam::123456789012:user/{user.user}"
    assert [s.title for s in plan.steps] == [
        f"AWS iam:CreateAccessKey UserName={user.user} (signed with the current key {old}); "
        f"the new key is kept in the journal {at} (0600) until the rotation is done",
        f"write {path} (new key for profile default)",
        "AWS sts:GetCallerIdentity with the new key read back from the file (retried for "
        f"up to 3s), expecting {arn}",
        f"AWS iam:UpdateAccessKey UserName={user.user} AccessKeyId={old} Status=Inactive "
        "(signed with the new key)",
        f"remove the rotation journal {at}",
    ]
    assert [s.fingerprint() for s in plan.steps if not isinstance(s, FileWrite)] == [
        f"CreateAccessKey {user.user} signed by {user.access_key_id} at {moto.endpoint}",
        f"verify {arn} from credentials at {moto.endpoint}",
        f"UpdateAccessKey {user.user} {user.access_key_id} Inactive",
        f"forget {at}",
    ]
    status = plan.steps[3]
    assert isinstance(status, rotate.SetStatus) and status.timeout == 3.0
    write = plan.steps[1]
    assert isinstance(write, FileWrite)
    assert write.path == path
    assert write.preview_after == (
        "# personal keys\n[default]\naws_access_key_id = <new access key id>\n"
        "aws_secret_access_key = <new secret access key>\nregion = eu-west-1\n"
    )
    assert plan.notes == [
        "to plan this, keydoctor asked AWS (read-only): sts:GetCallerIdentity, iam:ListAccessKeys",
        f"the old key {old} stays Inactive (reversible); add --delete-old to delete it once "
        "the new one is verified",
        f"the backup of {path} (mode 0600) keeps the old key; delete it once the new key has "
        "served you for a while",
    ]
    outcome = execute(plan)
    assert outcome.error is None and outcome.applied
    listed = keys_of(moto, user.user)
    new_id = next(k for k in listed if k != user.access_key_id)
    assert listed == {user.access_key_id: "Inactive", new_id: "Active"}
    text = Path(path).read_text()
    assert text.startswith(f"# personal keys\n[default]\naws_access_key_id = {new_id}\n")
    assert text.endswith("region = eu-west-1\n")
    assert not os.path.exists(at)
    new = mask_key_id(new_id)
    assert outcome.log[0] == f"created the new key {new}"
    assert outcome.log[2:] == [
        f"verified the new key {new} as {arn} (attempt 1)",
        f"set the old key {old} to Inactive",
        f"removed the rotation journal {at}",
    ]
    assert new_id not in redactor.scrub(f"now {new_id}")


def test_config_file_plan_with_delete_old(tmp_path: Path, moto: Emulator) -> None:
    user = new_user(moto)
    config = (
        "[profile dev]\n"
        f"aws_access_key_id = {user.access_key_id}\n"
        f"aws_secret_access_key = {user.secret_access_key}\n"
    )
    env = home_with(tmp_path, config=config)
    path = os.path.join(env["HOME"], ".aws", "config")
    plan = plan_for(env, moto, "dev", delete_old=True)
    old = mask_key_id(user.access_key_id)
    assert plan.blocked is None
    assert [type(s).__name__ for s in plan.steps] == [
        "CreateKey",
        "FileWrite",
        "Verify",
        "SetStatus",
        "DeleteOld",
        "ForgetJournal",
    ]
    assert plan.steps[4].title == (
        f"AWS iam:DeleteAccessKey UserName={user.user} AccessKeyId={old} (signed with the new "
        "key; cannot be undone, so it is the last step)"
    )
    assert plan.steps[4].fingerprint() == f"DeleteAccessKey {user.user} {user.access_key_id}"
    assert plan.steps[4].reversible is False
    assert not any("stays Inactive" in n for n in plan.notes)
    outcome = execute(plan)
    assert outcome.error is None
    listed = keys_of(moto, user.user)
    assert list(listed.values()) == ["Active"] and user.access_key_id not in listed
    (new_id,) = listed
    assert Path(path).read_text().startswith(f"[profile dev]\naws_access_key_id = {new_id}\n")
    assert f"deleted the old key {old}" in outcome.log


def test_environment_keys_get_a_handoff_file(tmp_path: Path, moto: Emulator) -> None:
    user = new_user(moto)
    env = home_with(tmp_path) | {
        "AWS_ACCESS_KEY_ID": user.access_key_id,
        "AWS_SECRET_ACCESS_KEY": user.secret_access_key,
    }
    handoff = os.path.join(env["HOME"], ".aws", f"keydoctor-new-key-{user.user}.env")
    plan = plan_for(env, moto, verify_seconds=2.0)
    old = mask_key_id(user.access_key_id)
    assert plan.blocked is None
    assert [type(s).__name__ for s in plan.steps] == [
        "CreateKey",
        "FileWrite",
        "Verify",
        "ForgetJournal",
    ]
    write = plan.steps[1]
    assert isinstance(write, FileWrite)
    assert write.path == handoff and write.mode == 0o600
    assert write.title == f"write {handoff} (the new key, readable only by you)"
    assert write.preview_after == (
        "AWS_ACCESS_KEY_ID=<new access key id>\nAWS_SECRET_ACCESS_KEY=<new secret access key>\n"
    )
    assert "read back from memory" in plan.steps[2].title
    assert plan.steps[2].fingerprint().startswith("verify arn:aws:iam::123456789012:user/")
    assert plan.steps[2].fingerprint().endswith(f" from None at {moto.endpoint}")
    assert plan.notes[1:] == [
        "the current key comes from environment variables; keydoctor does not rewrite "
        "them. Where they are set (shell profile, CI secret, .env file), change:",
        f"  AWS_ACCESS_KEY_ID={old}  ->  the AWS_ACCESS_KEY_ID line of {handoff}",
        f"  AWS_SECRET_ACCESS_KEY=<old secret>  ->  the AWS_SECRET_ACCESS_KEY line of {handoff}",
        "then deactivate the old key: aws iam update-access-key --user-name "
        f"{user.user} --access-key-id <old key id> --status Inactive, and delete {handoff}",
    ]
    outcome = execute(plan)
    assert outcome.error is None
    listed = keys_of(moto, user.user)
    assert listed[user.access_key_id] == "Active"  # left for the user to switch
    (new_id,) = [k for k in listed if k != user.access_key_id]
    assert f"AWS_ACCESS_KEY_ID={new_id}\n" in Path(handoff).read_text()
    journal_at = journal_of(env)
    assert plan.steps[0].title.endswith(
        f"the new key is kept in the journal {journal_at} (0600) until the rotation is done"
    )


def test_the_old_key_shadowed_elsewhere_is_noted(tmp_path: Path, moto: Emulator) -> None:
    user = new_user(moto)
    env = home_with(tmp_path, creds_text(user)) | {
        "AWS_ACCESS_KEY_ID": f" {user.access_key_id}",
        "AWS_SECRET_ACCESS_KEY": user.secret_access_key,
    }
    plan = plan_for(env, moto)
    assert plan.blocked is None
    assert plan.notes[-1] == (
        "the old key is also in the shared credentials file "
        f"{env['HOME']}/.aws/credentials [default] (not used now); remove it there after the "
        "rotation, or it will be picked up if the rotated place goes away"
    ) or plan.notes[-1].startswith("the old key is also in ")
    assert plan.notes[-1].endswith(
        "(not used now); remove it there after the rotation, or it will be picked up if the "
        "rotated place goes away"
    )
    other = home_with(tmp_path / "o", creds_text(Keys("x", OTHER_ID, OTHER_SECRET))) | {
        "AWS_ACCESS_KEY_ID": user.access_key_id,
        "AWS_SECRET_ACCESS_KEY": user.secret_access_key,
    }
    plan = plan_for(other, moto)
    assert not any(n.startswith("the old key is also in") for n in plan.notes)


def test_a_key_that_may_not_list_keys_goes_on_with_a_note(tmp_path: Path, moto: Emulator) -> None:
    user = new_user(moto, NO_LIST)
    env = home_with(tmp_path, creds_text(user))
    plan = plan_for(env, moto)
    assert plan.blocked is None
    assert plan.notes[0] == (
        f"the key may not list {user.user}'s keys (iam:ListAccessKeys denied); if the user "
        "already has two keys, the first step fails and nothing changes"
    )
    # A second key made meanwhile: IAM itself refuses the third, and nothing changes.
    moto.client("iam").create_access_key(UserName=user.user)
    before = Path(env["HOME"], ".aws", "credentials").read_text()
    outcome = execute(plan)
    assert outcome.applied is False
    assert outcome.error is not None
    assert (
        f"user {user.user} already has two access keys, the most IAM allows; keydoctor will "
        "not choose a key to delete. List them with aws iam list-access-keys --user-name "
        f"{user.user}, delete the one nothing uses, then run this fix again"
    ) in outcome.error
    assert Path(env["HOME"], ".aws", "credentials").read_text() == before
    assert not os.path.exists(journal_of(env))


# -- failures and their undoing -------------------------------------------------------------


def test_a_failure_after_the_write_undoes_everything(tmp_path: Path, moto: Emulator) -> None:
    user = new_user(moto)
    env = home_with(tmp_path, creds_text(user))
    path = Path(env["HOME"], ".aws", "credentials")
    before = path.read_text()
    plan = plan_for(env, moto)
    old = mask_key_id(user.access_key_id)

    class Fails(rotate.ForgetJournal):
        def run(self, state: RunState) -> None:
            raise FixError("stop here")

    plan.steps[-1] = Fails(journal_of(env))
    outcome = execute(plan)
    assert outcome.applied is False and outcome.rollback_errors == []
    assert keys_of(moto, user.user) == {user.access_key_id: "Active"}
    assert path.read_text() == before
    assert not os.path.exists(journal_of(env))
    new = outcome.log[0].removeprefix("created the new key ")
    assert new.startswith("AKIA…")
    assert outcome.log[-3:] == [
        f"set the old key {old} to Active again",
        f"restored {path} to what it was before this step",
        f"deleted the new key {new} again",
    ]


def test_verify_refuses_a_profile_that_yields_another_key(tmp_path: Path, moto: Emulator) -> None:
    user = new_user(moto)
    env = home_with(tmp_path, creds_text(user))
    plan = plan_for(env, moto)
    verify = plan.steps[2]
    assert isinstance(verify, rotate.Verify)
    state = RunState(values={"new_key_id": OTHER_ID, "new_secret": Secret(OTHER_SECRET)})
    with pytest.raises(FixError) as error:
        verify.run(state)
    assert str(error.value) == (
        f"the profile now yields {mask_key_id(user.access_key_id)}, not the new key AKIA…VV7A"
    )
    Path(env["HOME"], ".aws", "credentials").write_text("[other]\nregion = x\n")
    with pytest.raises(FixError) as error:
        verify.run(state)
    assert str(error.value) == "the profile no longer yields a key after the write"


def test_verify_names_the_code_after_its_attempts(tmp_path: Path, moto: Emulator) -> None:
    user = new_user(moto)
    env = home_with(tmp_path, creds_text(Keys(user.user, OTHER_ID, OTHER_SECRET)))
    target = _target(env, moto, user)
    caller = rotate.Caller("arn:aws:iam::123456789012:user/someone-else", "123456789012", "u")
    verify = rotate.Verify(target, caller, 0.0)
    assert verify.title == (
        "AWS sts:GetCallerIdentity with the new key read back from the file (retried for up "
        f"to 0s), expecting {caller.arn}"
    )
    state = RunState(values={"new_key_id": OTHER_ID, "new_secret": Secret(OTHER_SECRET)})
    with pytest.raises(FixError) as error:
        verify.run(state)
    assert str(error.value) == (
        "the new key AKIA…VV7A did not work after 1 attempt(s): InvalidClientTokenId"
    )
    assert "verified" not in state.values
    # The right key of another user: it works, and is refused for being someone else's.
    env = home_with(tmp_path / "b", creds_text(user))
    other = rotate.Verify(_target(env, moto, user), caller, 0.0)
    state = RunState(
        values={"new_key_id": user.access_key_id, "new_secret": Secret(user.secret_access_key)}
    )
    with pytest.raises(FixError) as error:
        other.run(state)
    real = f"arn:aws:iam::123456789012:user/{user.user}"
    assert str(error.value) == f"the new key belongs to {real}, not to {caller.arn}"


def test_verify_retries_while_the_key_propagates(tmp_path: Path, moto: Emulator) -> None:
    user = new_user(moto)
    env = home_with(tmp_path, creds_text(Keys(user.user, OTHER_ID, OTHER_SECRET)))
    caller = rotate.Caller(f"arn:aws:iam::123456789012:user/{user.user}", "1", user.user)
    verify = rotate.Verify(_target(env, moto, user), caller, 0.5)
    state = RunState(values={"new_key_id": OTHER_ID, "new_secret": Secret(OTHER_SECRET)})
    with pytest.raises(FixError) as error:
        verify.run(state)
    message = str(error.value)
    assert message.startswith("the new key AKIA…VV7A did not work after ")
    attempts = int(message.split("after ")[1].split(" ")[0])
    assert attempts >= 2
    assert message.endswith(" attempt(s): InvalidClientTokenId")
    # Unreachable STS (no code): retried as well, then named by the exception's class.
    target = _target(env, moto, user, endpoint="http://127.0.0.1:9")
    with pytest.raises(FixError) as error:
        rotate.Verify(target, caller, 0.0).run(state)
    assert "did not work after 1 attempt(s): " in str(error.value)
    assert not str(error.value).endswith("None")
    assert str(error.value).endswith(" attempt(s): EndpointConnectionError")


def _target(
    env: dict[str, str], moto: Emulator, user: Keys, endpoint: str | None = None
) -> rotate.RotationTarget:
    from keydoctor.sources.chain import gather, resolve

    winner = resolve(gather(env, None)).winner
    assert winner is not None
    return rotate.RotationTarget(
        "default", winner, endpoint or moto.endpoint, dict(env), "credentials"
    )


def test_delete_old_refuses_before_verification(tmp_path: Path, moto: Emulator) -> None:
    user = new_user(moto)
    env = home_with(tmp_path, creds_text(user))
    step = rotate.DeleteOld(_target(env, moto, user), user.user, user.access_key_id)
    with pytest.raises(FixError) as error:
        step.run(RunState(values={"verified": False}))
    assert str(error.value) == "refusing to delete the old key before the new one is verified"
    assert keys_of(moto, user.user) == {user.access_key_id: "Active"}


def test_set_status_retries_a_key_iam_does_not_know_yet(tmp_path: Path, moto: Emulator) -> None:
    user = new_user(moto)
    env = home_with(tmp_path, creds_text(user))
    step = rotate.SetStatus(_target(env, moto, user), user.user, user.access_key_id, 1.2)
    assert step.timeout == 1.2
    state = RunState(values={"new_key_id": OTHER_ID, "new_secret": Secret(OTHER_SECRET)})
    with pytest.raises(Exception) as error:
        step.run(state)
    assert "InvalidClientTokenId" in str(error.value)
    assert keys_of(moto, user.user) == {user.access_key_id: "Active"}
    default = rotate.SetStatus(_target(env, moto, user), user.user, user.access_key_id)
    assert default.timeout == 20.0


def test_retry_gives_up_on_other_failures_at_once() -> None:
    calls: list[int] = []

    def denied() -> None:
        calls.append(1)
        raise FixError("no code")

    with pytest.raises(FixError):
        rotate._with_new_key_retry(denied, 5.0)
    assert calls == [1]
    assert rotate._with_new_key_retry(lambda: 7, 0.0) == 7


def test_create_key_refuses_a_journal_it_cannot_write(tmp_path: Path, moto: Emulator) -> None:
    user = new_user(moto)
    env = home_with(tmp_path, creds_text(user))
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    at = str(blocked / "journal.json")
    caller = rotate.Caller(f"arn:aws:iam::123456789012:user/{user.user}", "1", user.user)
    step = rotate.CreateKey(_target(env, moto, user), caller, None, at)
    state = RunState()
    with pytest.raises(FixError) as error:
        step.run(state)
    message = str(error.value)
    assert message.startswith(f"could not write the rotation journal {at} (")
    new = mask_key_id(state.values["new_key_id"])
    assert message.endswith(f"); the new key {new} was deleted again and nothing else changed")
    assert "(Not a directory)" in message
    assert keys_of(moto, user.user) == {user.access_key_id: "Active"}
    assert state.log == []


def test_deleting_the_new_key_falls_back_to_itself(tmp_path: Path, moto: Emulator) -> None:
    user = new_user(moto)
    new = moto.client("iam").create_access_key(UserName=user.user)["AccessKey"]
    env = home_with(tmp_path, creds_text(Keys(user.user, OTHER_ID, OTHER_SECRET)))
    target = _target(env, moto, user)  # the "old" key does not work: the new one signs
    state = RunState(
        values={"new_key_id": new["AccessKeyId"], "new_secret": Secret(new["SecretAccessKey"])}
    )
    rotate._delete_new_key(target, user.user, state)
    assert keys_of(moto, user.user) == {user.access_key_id: "Active"}
    good = _target(home_with(tmp_path / "g", creds_text(user)), moto, user)
    rotate._delete_new_key(good, user.user, state)  # already gone, signed by a working key
    assert keys_of(moto, user.user) == {user.access_key_id: "Active"}


def test_deleting_fails_when_no_key_can_sign(tmp_path: Path, moto: Emulator) -> None:
    user = new_user(moto)
    env = home_with(tmp_path, creds_text(Keys(user.user, OTHER_ID, OTHER_SECRET)))
    state = RunState(values={"new_key_id": OTHER_ID, "new_secret": Secret(OTHER_SECRET)})
    with pytest.raises(Exception) as error:
        rotate._delete_new_key(_target(env, moto, user), user.user, state)
    assert "InvalidClientTokenId" in str(error.value)


# -- interrupted rotations --------------------------------------------------------------------


def _interrupt(moto: Emulator, tmp_path: Path, **kw: Any) -> tuple[Keys, dict[str, str], Any]:
    """A rotation stopped right after its journal was written (the new key exists)."""
    user = new_user(moto)
    env = home_with(tmp_path, creds_text(user))
    plan = plan_for(env, moto, **kw)
    state = RunState()
    plan.steps[0].run(state)
    return user, env, state


def test_an_interrupted_rotation_is_finished(tmp_path: Path, moto: Emulator) -> None:
    user, env, state = _interrupt(moto, tmp_path)
    new_id = state.values["new_key_id"]
    record = journal.read(journal_of(env))
    assert isinstance(record, journal.Journal)
    plan = plan_for(env, moto)
    assert plan.blocked is None
    assert [type(s).__name__ for s in plan.steps] == [
        "AdoptKey",
        "FileWrite",
        "Verify",
        "SetStatus",
        "ForgetJournal",
    ]
    assert plan.steps[0].title == (
        f"resume the rotation interrupted on {record.started}: take up its new key "
        f"{mask_key_id(new_id)} from the journal {journal_of(env)} (deleted again if the "
        "rotation cannot be finished)"
    )
    assert plan.steps[0].fingerprint() == f"adopt {new_id} from {journal_of(env)} orphan=True"
    assert plan.notes[0] == (
        f"a rotation of profile default was interrupted on {record.started} after creating "
        f"the key {mask_key_id(new_id)}; this run finishes it (if that fails, the key is "
        "deleted again)"
    )
    outcome = execute(plan)
    assert outcome.error is None
    assert keys_of(moto, user.user) == {user.access_key_id: "Inactive", new_id: "Active"}
    assert outcome.log[0] == (
        f"took up the new key {mask_key_id(new_id)} of the interrupted rotation"
    )


def test_a_resumed_rotation_that_fails_deletes_its_key(tmp_path: Path, moto: Emulator) -> None:
    user, env, state = _interrupt(moto, tmp_path)
    new_id = state.values["new_key_id"]
    plan = plan_for(env, moto)

    class Fails(rotate.ForgetJournal):
        def run(self, state: RunState) -> None:
            raise FixError("stop")

    plan.steps[-1] = Fails(journal_of(env))
    outcome = execute(plan)
    assert outcome.applied is False
    assert keys_of(moto, user.user) == {user.access_key_id: "Active"}
    assert outcome.log[-1] == (
        f"rolled back the interrupted rotation: deleted its new key {mask_key_id(new_id)}"
    )
    assert not os.path.exists(journal_of(env))


def test_the_profile_already_on_the_new_key_is_finished(tmp_path: Path, moto: Emulator) -> None:
    user, env, state = _interrupt(moto, tmp_path)
    new_id, secret = state.values["new_key_id"], state.values["new_secret"].reveal()
    Path(env["HOME"], ".aws", "credentials").write_text(creds_text(Keys(user.user, new_id, secret)))
    redactor = Redactor()
    plan = plan_for(env, moto, delete_old=True, redactor=redactor)
    assert [type(s).__name__ for s in plan.steps] == [
        "AdoptKey",
        "Verify",
        "SetStatus",
        "DeleteOld",
        "ForgetJournal",
    ]
    adopt = plan.steps[0]
    record = journal.read(journal_of(env))
    assert isinstance(record, journal.Journal)
    assert adopt.title == (
        f"resume the rotation interrupted on {record.started}: take up its new key "
        f"{mask_key_id(new_id)} from the journal {journal_of(env)}"
    )
    assert adopt.fingerprint() == f"adopt {new_id} from {journal_of(env)} orphan=False"
    assert new_id not in redactor.scrub(f"k {new_id}")
    assert secret not in redactor.scrub(f"s {secret}")
    status = plan.steps[2]
    assert isinstance(status, rotate.SetStatus) and status.timeout == 2.0
    undo_state = RunState(values=dict(state.values))
    adopt.undo(undo_state)  # the profile uses it: undoing changes nothing
    assert undo_state.log == [] and new_id in keys_of(moto, user.user)
    outcome = execute(plan)
    assert outcome.error is None
    assert keys_of(moto, user.user) == {new_id: "Active"}
    # Old key already gone: nothing to retire but the journal.
    user2, env2, state2 = _interrupt(moto, tmp_path / "b")
    new2 = state2.values["new_key_id"]
    Path(env2["HOME"], ".aws", "credentials").write_text(
        creds_text(Keys(user2.user, new2, state2.values["new_secret"].reveal()))
    )
    moto.client("iam").delete_access_key(UserName=user2.user, AccessKeyId=user2.access_key_id)
    plan = plan_for(env2, moto)
    assert [type(s).__name__ for s in plan.steps] == ["AdoptKey", "Verify", "ForgetJournal"]


def test_a_journal_whose_key_is_gone_starts_afresh(tmp_path: Path, moto: Emulator) -> None:
    user, env, state = _interrupt(moto, tmp_path)
    new_id = state.values["new_key_id"]
    moto.client("iam").delete_access_key(UserName=user.user, AccessKeyId=new_id)
    record = journal.read(journal_of(env))
    assert isinstance(record, journal.Journal)
    plan = plan_for(env, moto)
    assert plan.blocked is None
    assert plan.notes[0] == (
        f"the new key {mask_key_id(new_id)} of the rotation interrupted on {record.started} "
        "no longer exists; the rotation starts afresh"
    )
    assert type(plan.steps[0]).__name__ == "CreateKey"


def test_journals_keydoctor_cannot_place_block(tmp_path: Path, moto: Emulator) -> None:
    user = new_user(moto)
    env = home_with(tmp_path, creds_text(user))
    at = journal_of(env)
    check = (
        f"Check the keys of {user.user} (aws iam list-access-keys --user-name {user.user}), "
        f"then move {at} aside and run this fix again"
    )
    Path(at).write_text("{broken")
    plan = plan_for(env, moto)
    assert plan.blocked == (
        f"the rotation journal {at} cannot be read (JSONDecodeError); keydoctor will not "
        f"guess how far that rotation got. {check}"
    )
    assert plan.steps == []
    journal.write(at, _record(user.user, OTHER_ID, "AKIAY34FZKBOKMUTVV7B"))
    plan = plan_for(env, moto)
    assert plan.blocked == (
        f"the rotation journal {at} (from 2026-11-30T10:00:00Z) is about the keys AKIA…VV7A "
        f"-> AKIA…VV7B of {user.user}, not about profile default's current key "
        f"{mask_key_id(user.access_key_id)}; keydoctor will not guess. {check}"
    )
    journal.write(at, _record("someone", user.access_key_id, "AKIAY34FZKBOKMUTVV7B"))
    assert plan_for(env, moto).blocked is not None
    journal.write(at, _record(user.user, "AKIAY34FZKBOKMUTVV7B", user.access_key_id))
    plan = plan_for(env, moto)  # the profile holds the journal's new key: finish it
    assert plan.blocked is None
    assert type(plan.steps[0]).__name__ == "AdoptKey"


def test_rollback_of_an_interrupted_rotation(tmp_path: Path, moto: Emulator) -> None:
    user, env, state = _interrupt(moto, tmp_path)
    new_id = state.values["new_key_id"]
    at = journal_of(env)
    record = journal.read(at)
    assert isinstance(record, journal.Journal)
    plan = plan_for(env, moto, rollback=True)
    assert plan.summary == "undo the interrupted rotation of profile default"
    assert plan.blocked is None
    assert [type(s).__name__ for s in plan.steps] == ["DeleteOrphan", "ForgetJournal"]
    assert plan.steps[0].title == (
        f"AWS iam:DeleteAccessKey UserName={user.user} AccessKeyId={mask_key_id(new_id)} "
        f"(the key made by the rotation interrupted on {record.started}; signed with the "
        "current key; cannot be undone)"
    )
    assert plan.steps[0].fingerprint() == f"DeleteAccessKey {user.user} {new_id} orphan"
    assert plan.steps[0].reversible is False
    outcome = execute(plan)
    assert outcome.error is None
    assert keys_of(moto, user.user) == {user.access_key_id: "Active"}
    assert outcome.log == [
        f"deleted the key {mask_key_id(new_id)} of the interrupted rotation",
        f"removed the rotation journal {at}",
    ]
    plan = plan_for(env, moto, rollback=True)
    assert plan.blocked == (
        f"no interrupted rotation of profile default to roll back (no journal {at})"
    )


def test_rollback_refusals_and_a_key_already_gone(tmp_path: Path, moto: Emulator) -> None:
    user = new_user(moto)
    env = home_with(tmp_path, creds_text(user))
    at = journal_of(env)
    Path(at).write_text("[]")
    assert plan_for(env, moto, rollback=True).blocked == (
        f"the rotation journal {at} is not a journal this keydoctor understands; check the "
        f"keys of {user.user} (aws iam list-access-keys --user-name {user.user})"
    )
    journal.write(at, _record(user.user, "AKIAY34FZKBOKMUTVV7B", user.access_key_id))
    assert plan_for(env, moto, rollback=True).blocked == (
        "the rotation of 2026-11-30T10:00:00Z cannot be rolled back: the profile already uses "
        "its new key; finish it instead (run without --rollback)"
    )
    journal.write(at, _record(user.user, OTHER_ID, "AKIAY34FZKBOKMUTVV7B"))
    assert plan_for(env, moto, rollback=True).blocked == (
        "the rotation of 2026-11-30T10:00:00Z cannot be rolled back: it is about other keys "
        "than profile default's current key"
    )
    journal.write(at, _record("someone", user.access_key_id, "AKIAY34FZKBOKMUTVV7B"))
    assert plan_for(env, moto, rollback=True).blocked is not None
    journal.write(at, _record(user.user, user.access_key_id, "AKIAY34FZKBOKMUTVV7B"))
    plan = plan_for(env, moto, rollback=True)
    assert plan.blocked is None
    assert plan.notes[-1] == "its new key AKIA…VV7B no longer exists"
    assert [type(s).__name__ for s in plan.steps] == ["ForgetJournal"]


# -- answers moto does not give: replayed (tests/replay_server.py) ------------------------------


def test_a_key_of_the_root_user_is_refused(tmp_path: Path) -> None:
    """Recorded: STS names the account's root user as ``arn:aws:iam::<account>:root``."""
    from replay_server import caller_identity, replaying

    env = home_with(tmp_path, creds_text(Keys("x", OTHER_ID, OTHER_SECRET)))
    answers = {"GetCallerIdentity": caller_identity("arn:aws:iam::123456789012:root")}
    with replaying(answers) as server:
        plan = rotate.plan_rotation(env, None, endpoint_url=server.endpoint, verify_seconds=1)
    assert plan.blocked == (
        "the key belongs to arn:aws:iam::123456789012:root, not to an IAM user; only IAM "
        "user keys can be rotated (root keys: use the console)"
    )


def test_a_list_that_fails_otherwise_is_refused(tmp_path: Path) -> None:
    """Recorded: IAM answers ListAccessKeys for a user it does not have with 404
    NoSuchEntity (the IAM API reference's error format)."""
    from replay_server import caller_identity, iam_error, replaying

    env = home_with(tmp_path, creds_text(Keys("x", OTHER_ID, OTHER_SECRET)))
    answers = {
        "GetCallerIdentity": caller_identity("arn:aws:iam::123456789012:user/gone"),
        "ListAccessKeys": iam_error(
            "NoSuchEntity", "The user with name gone cannot be found.", 404
        ),
    }
    with replaying(answers) as server:
        plan = rotate.plan_rotation(env, None, endpoint_url=server.endpoint, verify_seconds=1)
    assert plan.blocked == "iam:ListAccessKeys for gone failed (NoSuchEntity)"


# -- the logs: a key in use from another host ----------------------------------------------------


def test_a_key_used_from_another_host_is_not_rotated(tmp_path: Path, moto: Emulator) -> None:
    from keydoctor.fixes.logcheck import LogCheck
    from test_fix_rotate_logs import OTHER_HOST, trail

    user = new_user(moto)
    env = home_with(tmp_path, creds_text(user))
    old = mask_key_id(user.access_key_id)
    logs = trail(tmp_path / "logs", user.access_key_id, OTHER_HOST, days_ago=2)
    plan = plan_for(env, moto, log_check=LogCheck((str(logs),)))
    assert plan.blocked == (
        f"the logs show {old} used in the last 30 days from another host than this one: "
        f"{OTHER_HOST} (AWS CLI, 3 requests). Deactivating it would cut them off: give them "
        "the new key first (or, if this is this machine behind NAT, name it with "
        "--this-host ADDRESS); --force rotates anyway"
    )
    assert plan.steps == []
    plan = plan_for(env, moto, log_check=LogCheck((str(logs),), force=True))
    assert plan.blocked is None
    assert plan.notes[0] == (
        f"the logs show {old} used in the last 30 days from another host than this one: "
        f"{OTHER_HOST} (AWS CLI, 3 requests) (rotating anyway: --force)"
    )
    plan = plan_for(env, moto, log_check=LogCheck((str(logs),), this_host=(OTHER_HOST,), days=7))
    assert plan.blocked is None
    assert plan.notes[0] == f"the logs show no host but this one using {old} in the last 7 days"


def test_deleting_an_orphan_falls_back_to_the_orphan_itself(tmp_path: Path, moto: Emulator) -> None:
    """The current key may not work any more (deactivated by hand): the orphan, whose
    secret the journal holds, then deletes itself."""
    user = new_user(moto)
    made = moto.client("iam").create_access_key(UserName=user.user)["AccessKey"]
    env = home_with(tmp_path, creds_text(Keys(user.user, OTHER_ID, OTHER_SECRET)))
    record = _record(user.user, OTHER_ID, made["AccessKeyId"], made["SecretAccessKey"])
    step = rotate.DeleteOrphan(_target(env, moto, user), record)
    state = RunState()
    step.run(state)
    assert keys_of(moto, user.user) == {user.access_key_id: "Active"}
    assert state.values["new_key_id"] == made["AccessKeyId"]
    assert state.log == [
        f"deleted the key {mask_key_id(made['AccessKeyId'])} of the interrupted rotation"
    ]


# -- what the plan hands on: journal, redactor, file kind, places and timeouts ---------------

NO_DELETE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "iam:CreateAccessKey",
                "iam:ListAccessKeys",
                "iam:UpdateAccessKey",
                "sts:GetCallerIdentity",
            ],
            "Resource": "*",
        }
    ],
}


def _learned(redactor: Redactor, key_id: str, secret: str) -> bool:
    """Whether the redactor hides these exact values inside longer runs of characters,
    where no pattern of key ids or secrets matches: only values it was given are found
    there."""
    return redactor.scrub(f"a{secret}b Z{key_id}9") == (
        f"a<secret redacted>b Z{mask_key_id(key_id)}9"
    )


def test_the_redactor_learns_only_given_values() -> None:
    assert not _learned(Redactor(), OTHER_ID, OTHER_SECRET)
    assert _learned(Redactor([OTHER_SECRET], [OTHER_ID]), OTHER_ID, OTHER_SECRET)


def test_the_journal_records_a_file_rotation(tmp_path: Path, moto: Emulator) -> None:
    """Written in UTC whatever the local zone, with the file the new key goes into."""
    import re
    import time
    from datetime import UTC

    user = new_user(moto)
    env = home_with(tmp_path, creds_text(user))
    path = os.path.join(env["HOME"], ".aws", "credentials")
    redactor = Redactor()
    plan = plan_for(env, moto, redactor=redactor)
    assert _learned(redactor, user.access_key_id, user.secret_access_key)
    create = plan.steps[0]
    assert isinstance(create, rotate.CreateKey) and create.handoff is None
    zone = os.environ.get("TZ")
    os.environ["TZ"] = "EST+5"
    time.tzset()
    try:
        before = datetime.now(UTC).replace(microsecond=0)
        state = RunState()
        create.run(state)
        after = datetime.now(UTC)
    finally:
        if zone is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = zone
        time.tzset()
    new_id, secret = state.values["new_key_id"], state.values["new_secret"].reveal()
    assert _learned(redactor, new_id, secret)
    record = journal.read(journal_of(env))
    assert isinstance(record, journal.Journal)
    assert record == journal.Journal(
        profile="default",
        user=user.user,
        arn=f"arn:aws:iam::123456789012:user/{user.user}",
        old_key_id=user.access_key_id,
        new_key_id=new_id,
        new_secret=record.new_secret,
        file=path,
        handoff=None,
        started=record.started,
    )
    assert record.new_secret.reveal() == secret
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record.started)
    started = datetime.strptime(record.started, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before <= started <= after


def test_the_journal_records_an_environment_rotation(tmp_path: Path, moto: Emulator) -> None:
    user = new_user(moto)
    env = home_with(tmp_path) | {
        "AWS_ACCESS_KEY_ID": user.access_key_id,
        "AWS_SECRET_ACCESS_KEY": user.secret_access_key,
    }
    handoff = os.path.join(env["HOME"], ".aws", f"keydoctor-new-key-{user.user}.env")
    plan = plan_for(env, moto)
    create = plan.steps[0]
    assert isinstance(create, rotate.CreateKey) and create.handoff == handoff
    state = RunState()
    create.run(state)
    record = journal.read(journal_of(env))
    assert isinstance(record, journal.Journal)
    assert (record.file, record.handoff) == (None, handoff)
    assert record.new_key_id == state.values["new_key_id"]


def test_an_environment_rotation_resumes_with_its_handoff_file(
    tmp_path: Path, moto: Emulator
) -> None:
    """The journal names the hand-off file: a resumed rotation writes that one (not a
    ``-2`` beside it) if it is missing, and leaves it as it is if it was written."""
    user = new_user(moto)
    env = home_with(tmp_path) | {
        "AWS_ACCESS_KEY_ID": user.access_key_id,
        "AWS_SECRET_ACCESS_KEY": user.secret_access_key,
    }
    handoff = os.path.join(env["HOME"], ".aws", f"keydoctor-new-key-{user.user}.env")
    first = plan_for(env, moto)
    state = RunState()
    first.steps[0].run(state)  # killed after the key was made, before the file
    resumed = plan_for(env, moto)
    assert [type(s).__name__ for s in resumed.steps] == [
        "AdoptKey",
        "FileWrite",
        "Verify",
        "ForgetJournal",
    ]
    write = resumed.steps[1]
    assert isinstance(write, FileWrite) and write.path == handoff
    first.steps[1].run(state)  # killed after the hand-off file was written
    text = Path(handoff).read_text()
    resumed = plan_for(env, moto)
    assert [type(s).__name__ for s in resumed.steps] == ["AdoptKey", "Verify", "ForgetJournal"]
    assert resumed.notes[-1] == (
        "then deactivate the old key: aws iam update-access-key --user-name "
        f"{user.user} --access-key-id <old key id> --status Inactive, and delete {handoff}"
    )
    outcome = execute(resumed)
    assert outcome.error is None
    assert Path(handoff).read_text() == text
    assert f"AWS_ACCESS_KEY_ID={state.values['new_key_id']}\n" in text


def test_a_config_profile_is_verified_from_the_config_file(tmp_path: Path, moto: Emulator) -> None:
    user = new_user(moto)
    config = (
        "[profile dev]\n"
        f"aws_access_key_id = {user.access_key_id}\n"
        f"aws_secret_access_key = {user.secret_access_key}\n"
    )
    plan = plan_for(home_with(tmp_path, config=config), moto, "dev")
    verify = plan.steps[2]
    assert isinstance(verify, rotate.Verify)
    arn = f"arn:aws:iam::123456789012:user/{user.user}"
    assert verify.fingerprint() == f"verify {arn} from config at {moto.endpoint}"


def test_a_named_credentials_profile_elsewhere(
    tmp_path: Path, moto: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A credentials file named by AWS_SHARED_CREDENTIALS_FILE through a link: the journal
    goes beside the real file, the key is replaced in the profile's own section, and the
    verify window comes from KEYDOCTOR_VERIFY_SECONDS when none is given."""
    user = new_user(moto)
    real = tmp_path / "real"
    real.mkdir()
    (real / "creds").write_text(
        "[other]\nregion = x\n\n" + creds_text(user, "dev").removeprefix("# personal keys\n")
    )
    link = tmp_path / "link"
    link.mkdir()
    os.symlink(real / "creds", link / "creds")
    env = home_with(tmp_path) | {"AWS_SHARED_CREDENTIALS_FILE": str(link / "creds")}
    monkeypatch.setenv(rotate.VERIFY_ENV, "3.5")
    plan = rotate.plan_rotation(env, "dev", endpoint_url=moto.endpoint)
    assert plan.blocked is None
    at = journal.journal_path(str(real), "dev")
    assert plan.steps[0].title.endswith(
        f"the new key is kept in the journal {at} (0600) until the rotation is done"
    )
    write = plan.steps[1]
    assert isinstance(write, FileWrite)
    assert write.preview_after == (
        "[other]\nregion = x\n\n[dev]\naws_access_key_id = <new access key id>\n"
        "aws_secret_access_key = <new secret access key>\n"
    )
    assert "(retried for up to 3.5s)" in plan.steps[2].title
    status = plan.steps[3]
    assert isinstance(status, rotate.SetStatus) and status.timeout == 3.5


def test_without_home_in_the_environment(
    tmp_path: Path, moto: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No HOME among the variables given: the user's home folder is asked of the system."""
    user = new_user(moto)
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    env = {
        "AWS_ACCESS_KEY_ID": user.access_key_id,
        "AWS_SECRET_ACCESS_KEY": user.secret_access_key,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    plan = plan_for(env, moto)
    assert plan.blocked is None
    write = plan.steps[1]
    assert isinstance(write, FileWrite)
    assert write.path == str(home / ".aws" / f"keydoctor-new-key-{user.user}.env")
    at = journal.journal_path(str(home / ".aws"), "default")
    assert plan.steps[0].title.endswith(f"the journal {at} (0600) until the rotation is done")


def test_a_key_that_may_not_list_keys_resumes_and_rolls_back(
    tmp_path: Path, moto: Emulator
) -> None:
    """Without ListAccessKeys keydoctor cannot know which keys still exist: it assumes the
    journal's keys do (resume, delete the orphan, retire the old key), never that they
    are gone."""
    user = new_user(moto, NO_LIST)
    env = home_with(tmp_path, creds_text(user))
    state = RunState()
    plan_for(env, moto).steps[0].run(state)
    new_id, secret = state.values["new_key_id"], state.values["new_secret"].reveal()
    redactor = Redactor()
    plan = plan_for(env, moto, redactor=redactor)
    assert [type(s).__name__ for s in plan.steps] == [
        "AdoptKey",
        "FileWrite",
        "Verify",
        "SetStatus",
        "ForgetJournal",
    ]
    assert _learned(redactor, new_id, secret)
    plan = plan_for(env, moto, rollback=True)
    assert [type(s).__name__ for s in plan.steps] == ["DeleteOrphan", "ForgetJournal"]
    Path(env["HOME"], ".aws", "credentials").write_text(creds_text(Keys(user.user, new_id, secret)))
    plan = plan_for(env, moto)
    assert [type(s).__name__ for s in plan.steps] == [
        "AdoptKey",
        "Verify",
        "SetStatus",
        "ForgetJournal",
    ]


def test_a_journal_that_cannot_be_written_nor_the_key_deleted(
    tmp_path: Path, moto: Emulator
) -> None:
    user = new_user(moto, NO_DELETE)
    env = home_with(tmp_path, creds_text(user))
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    at = str(blocked / "journal.json")
    caller = rotate.Caller(f"arn:aws:iam::123456789012:user/{user.user}", "1", user.user)
    state = RunState()
    with pytest.raises(FixError) as error:
        rotate.CreateKey(_target(env, moto, user), caller, None, at).run(state)
    new_id = state.values["new_key_id"]
    assert str(error.value) == (
        f"could not write the rotation journal {at} (Not a directory), nor delete the new "
        f"key {mask_key_id(new_id)} again: delete it in the IAM console (user {user.user}); "
        "nothing else changed"
    )
    assert keys_of(moto, user.user) == {user.access_key_id: "Active", new_id: "Active"}


def test_a_journal_write_failing_without_an_os_reason(tmp_path: Path, moto: Emulator) -> None:
    """A path the system refuses before any call (a NUL byte) fails with a ValueError,
    which has no ``strerror``: the message names its class."""
    user = new_user(moto)
    env = home_with(tmp_path, creds_text(user))
    at = str(tmp_path / "jour\0nal.json")
    caller = rotate.Caller(f"arn:aws:iam::123456789012:user/{user.user}", "1", user.user)
    state = RunState()
    with pytest.raises(FixError) as error:
        rotate.CreateKey(_target(env, moto, user), caller, None, at).run(state)
    assert str(error.value) == (
        f"could not write the rotation journal {at} (ValueError); the new key "
        f"{mask_key_id(state.values['new_key_id'])} was deleted again and nothing else changed"
    )
    assert keys_of(moto, user.user) == {user.access_key_id: "Active"}


def test_an_unreadable_list_of_keys_is_refused(tmp_path: Path) -> None:
    """Replayed: a network page (text, status 200) where IAM's answer should be, as a
    captive portal gives; botocore cannot parse it and gives no error code."""
    from replay_server import Answer, caller_identity, replaying

    env = home_with(tmp_path, creds_text(Keys("x", OTHER_ID, OTHER_SECRET)))
    answers = {
        "GetCallerIdentity": caller_identity("arn:aws:iam::123456789012:user/gone"),
        "ListAccessKeys": Answer(
            200, "Sign in to use this network", {"Content-Type": "text/plain"}
        ),
    }
    with replaying(answers) as server:
        plan = rotate.plan_rotation(env, None, endpoint_url=server.endpoint, verify_seconds=1)
    assert plan.blocked == "iam:ListAccessKeys for gone failed (ResponseParserError)"
