"""Plans of dependent steps, run on the probes' shared transport and classification.

A plan whose questions depend on earlier answers (``keydoctor redshift``: the bucket's
region, then the listing in that region, then the first object it lists) is a
:class:`StepPlan`: each :class:`Step` names the credentials it asks with and, in
``then``, the steps its answer unlocks. :func:`run_plans` runs such plans on the same
:class:`~keydoctor.probes.transport.Transport` and classification as ``check``'s probes
(:mod:`keydoctor.probes.runner`), which never load this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from keydoctor.model import CredentialSource, Location, Secret
from keydoctor.probes import outcome as oc
from keydoctor.probes.clients import StaticKeys
from keydoctor.probes.outcome import ProbeResult
from keydoctor.probes.transport import DEFAULT_TIMEOUT, Target, Transport

About = TypeVar("About")
Asked = tuple[ProbeResult, dict[str, Any] | None]  # the probe and, when AWS said yes, its answer

# Outcomes after which the credentials or the endpoint cannot tell anything more: the
# steps that would follow are not asked. A step that asks with this shell's own
# credentials may go on after its own refusal (see :attr:`Step.stops`).
ENDS_PLAN = frozenset({oc.AUTH_FAILED, oc.UNREACHABLE, oc.NOT_AWS, oc.SERVER_ERROR, oc.PROVIDER})


@dataclass(frozen=True)
class Step(Generic[About]):
    """One question of a plan, asked with one set of credentials.

    ``ask`` puts the question to a transport made for ``keys`` (None: this shell's own
    credentials, as botocore finds them for ``--profile``); ``ask=None`` is a step decided
    without a request (recorded as skipped). ``then`` is the dependency: it reads this
    step's answer, and only once it came, and returns the steps it unlocks (say, the
    listing in the region the bucket's answer named). ``about`` is the caller's own typed
    description of the step, which its verdicts read back.
    """

    name: str
    about: About
    ask: Callable[[Transport], Asked] | None
    keys: StaticKeys | None = None
    then: Callable[[StepAnswer[About]], Sequence[Step[About]]] | None = None
    stops: frozenset[str] = ENDS_PLAN | {oc.REDIRECT}


@dataclass(frozen=True)
class StepAnswer(Generic[About]):
    """A step and what came back, already classified (:func:`keydoctor.probes.access.classify`)."""

    step: Step[About]
    probe: ProbeResult
    # An answer may carry credentials (AssumeRole's): it never shows in a repr.
    answer: dict[str, Any] | None = field(repr=False)


@dataclass(frozen=True)
class StepPlan(Generic[About]):
    """The first steps, and where and how every step of the plan asks."""

    first: tuple[Step[About], ...]
    region: str
    endpoint_url: str | None = None
    profile: str | None = None  # for steps asked with this shell's own credentials
    timeout: float = DEFAULT_TIMEOUT
    method: str = "plan"  # the credential source's name for steps that carry keys


def ask_with(
    name: str, service: str, call: Callable[[Any], dict[str, Any]], region: str | None = None
) -> Callable[[Transport], Asked]:
    """A step's ``ask`` for one client call, judged as every probe is."""

    def ask(transport: Transport) -> Asked:
        probe = ProbeResult(name=name, service=service, operation=name, asked=name)
        return probe, transport.ask(probe, call, region)

    return ask


class _PlanRun(Generic[About]):
    """One plan's transports (one per set of credentials) and its answers in order."""

    def __init__(self, plan: StepPlan[About], pool: ThreadPoolExecutor) -> None:
        self.plan = plan
        self.pool = pool
        self.transports: dict[StaticKeys | None, Transport] = {}
        self.answers: list[StepAnswer[About]] = []

    def transport(self, keys: StaticKeys | None) -> Transport:
        made = self.transports.get(keys)
        if made is None:
            plan = self.plan
            source = None
            if keys is not None:
                source = CredentialSource(
                    method=plan.method,
                    location=Location(kind="aws"),
                    access_key_id=keys.access_key_id,
                    secret_access_key=Secret(keys.secret_access_key),
                    session_token=Secret(keys.session_token) if keys.session_token else None,
                )
            made = Transport(
                Target(
                    region=plan.region,
                    endpoint_url=plan.endpoint_url,
                    profile=plan.profile if keys is None else None,
                    source=source,
                    timeout=plan.timeout,
                )
            )
            self.transports[keys] = made
        return made

    def ask(self, step: Step[About]) -> StepAnswer[About]:
        if step.ask is None:
            probe = ProbeResult(step.name, "", step.name, step.name, outcome=oc.SKIPPED)
            return StepAnswer(step, probe, None)
        probe, answer = step.ask(self.transport(step.keys))
        return StepAnswer(step, probe, answer)

    def run(self, steps: Sequence[Step[About]]) -> None:
        """Ask ``steps`` together; then, each in turn, the steps its answer unlocks."""
        for answer in list(self.pool.map(self.ask, steps)):
            self.answers.append(answer)
            step = answer.step
            if step.then is None or answer.probe.outcome in step.stops:
                continue
            self.run(step.then(answer))


def run_plans(
    plans: Sequence[StepPlan[About]], *, workers: int = 4
) -> list[tuple[StepAnswer[About], ...]]:
    """Run each plan (plans side by side, at most ``workers`` at a time); never raises for
    AWS's sake. Each plan's answers come back in the order its steps were planned."""
    if not plans:
        return []
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="plan") as steps_pool:

        def one(plan: StepPlan[About]) -> tuple[StepAnswer[About], ...]:
            run = _PlanRun(plan, steps_pool)
            run.run(plan.first)
            return tuple(run.answers)

        with ThreadPoolExecutor(max_workers=min(workers, len(plans))) as plans_pool:
            return list(plans_pool.map(one, plans))
