"""Plans of dependent steps (probes.plans.run_plans) against the real moto server.

A step's ``then`` reads its answer and names the steps it unlocks: here, the bucket's
region is read first and the listing is asked in the region that answer named. A step
whose answer ends the plan (keys refused) leaves its dependants unasked.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from keydoctor.lab.emulator import Emulator
from keydoctor.probes import outcome as oc
from keydoctor.probes import s3 as s3_probes
from keydoctor.probes.clients import StaticKeys
from keydoctor.probes.plans import Asked, Step, StepAnswer, StepPlan, ask_with, run_plans
from keydoctor.probes.transport import Transport

READ = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": "*"}
    ],
}


def _region_then_list(bucket: str, keys: StaticKeys) -> Step[str]:
    def region(transport: Transport) -> Asked:
        return s3_probes.bucket_region(transport, bucket), None

    def then(answer: StepAnswer[str]) -> Sequence[Step[str]]:
        found = str(answer.probe.data["region"])
        listing = ask_with("list", "s3", lambda c: c.list_objects_v2(Bucket=bucket), found)
        return (Step("list", found, listing, keys),)

    return Step("bucket region", "", region, keys, then)


def test_a_step_is_asked_in_the_region_its_dependency_named(moto_server: Emulator) -> None:
    bucket = f"plan-{uuid.uuid4().hex[:8]}"
    moto_server.create_bucket(bucket, "eu-central-1")
    user = moto_server.create_user(f"plan-{uuid.uuid4().hex[:8]}", READ)
    keys = StaticKeys(user.access_key_id, user.secret_access_key)
    plan = StepPlan(
        (_region_then_list(bucket, keys),), region="us-east-1", endpoint_url=moto_server.endpoint
    )
    (answers,) = run_plans([plan])
    assert [a.step.name for a in answers] == ["bucket region", "list"]
    assert answers[0].probe.data["region"] == "eu-central-1"
    listing = answers[1]
    assert listing.step.about == "eu-central-1"
    assert listing.probe.outcome == oc.OK and listing.answer is not None
    assert listing.answer["Name"] == bucket


def test_refused_keys_end_the_plan(moto_server: Emulator) -> None:
    asked: list[str] = []

    def then(answer: StepAnswer[None]) -> Sequence[Step[None]]:
        asked.append(answer.step.name)  # must not run: the keys were refused
        return ()

    unknown = StaticKeys("AKIA" + "Q" * 16, "x" * 40)
    identity = ask_with("identity", "sts", lambda c: c.get_caller_identity())
    first: Step[None] = Step("identity", None, identity, unknown, then)
    skipped: Step[None] = Step("put", None, None)
    plans = [
        StepPlan((first,), region="us-east-1", endpoint_url=moto_server.endpoint),
        StepPlan((skipped,), region="us-east-1", endpoint_url=moto_server.endpoint),
    ]
    refused, nothing_asked = run_plans(plans)
    assert [a.probe.outcome for a in refused] == [oc.AUTH_FAILED]
    assert refused[0].answer is None and asked == []
    assert [(a.step.name, a.probe.outcome) for a in nothing_asked] == [("put", oc.SKIPPED)]


def test_no_plan_no_thread() -> None:
    empty: list[StepPlan[Any]] = []
    assert run_plans(empty) == []
