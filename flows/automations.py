"""Flow runs whose process died (a killed sender, a machine that went down) are marked Crashed.

Prefect 3 flow runs emit a heartbeat event every PREFECT_FLOWS_HEARTBEAT_FREQUENCY seconds (180 by
default, at least 30). A self-hosted server does nothing about heartbeats that stop until an
automation does; without one, a run whose process was killed stays Running in the UI forever.
`breach setup` installs that automation once per Prefect server (idempotent: the same name is
replaced): after a flow run turns Running, and after each of its heartbeats, it expects another
heartbeat, a final state or a wait (Paused, Suspended: an approval can wait for days with no process)
within `within`, and otherwise sets the run Crashed. Starting from Running too matters: a process
killed before its first heartbeat reached the server would otherwise stay Running forever. Nothing is lost in our own database when that
happens: the next `breach send ID` (or `breach open`) resumes from it (docs/reliability.md).
"""

from __future__ import annotations

from datetime import timedelta

from prefect.automations import Automation
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification
from prefect.settings import get_current_settings

from flows.prefect_api import synchronous

NAME = "breach-notify: mark unresponsive flow runs crashed"
FINAL_EVENTS = ("prefect.flow-run.Completed", "prefect.flow-run.Failed", "prefect.flow-run.Cancelled", "prefect.flow-run.Crashed")
# States in which a run legitimately sends no heartbeats: waiting for an approval (pause keeps the
# process, suspend ends it), being cancelled, or scheduled again (a resumed suspended run).
WAIT_EVENTS = ("prefect.flow-run.Paused", "prefect.flow-run.Suspended", "prefect.flow-run.Cancelling", "prefect.flow-run.Scheduled")
START_EVENTS = ("prefect.flow-run.heartbeat", "prefect.flow-run.Running")
MISSED_HEARTBEATS = 2.5  # a run is given up after this many heartbeat intervals without news


def default_within() -> timedelta:
    """The silence after which a run counts as dead: 2.5 heartbeat intervals (450 s at Prefect's default 180 s)."""
    every = get_current_settings().flows.heartbeat_frequency or 180
    return timedelta(seconds=MISSED_HEARTBEATS * every)


def automation(within: timedelta) -> Automation:
    """The automation itself (Prefect's documented zombie-flow trigger)."""
    return Automation(
        name=NAME,
        description="Installed by `breach setup`: a flow run that stops sending heartbeats is marked Crashed.",
        trigger=EventTrigger(
            after=set(START_EVENTS),
            expect={"prefect.flow-run.heartbeat", *FINAL_EVENTS, *WAIT_EVENTS},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=within,
        ),
        actions=[ChangeFlowRunState(state=StateType.CRASHED,
                                    message="No heartbeat from this flow run's process: marked crashed by breach-notify.")],
    )


def install(within: timedelta | None = None) -> Automation:
    """Create the automation on the current Prefect API, replacing one of the same name."""
    wanted = automation(within or default_within())
    try:
        existing = synchronous(Automation.read(name=NAME))
    except ValueError:  # not there yet
        return synchronous(wanted.create())
    existing.trigger, existing.actions, existing.description, existing.enabled = (wanted.trigger, wanted.actions,
                                                                                   wanted.description, True)
    synchronous(existing.update())
    return existing


def silence_window(installed: Automation) -> timedelta:
    """How long a flow run may stay silent before the automation marks it Crashed."""
    trigger = installed.trigger
    if not isinstance(trigger, EventTrigger) or trigger.within is None:
        raise TypeError(f"automation {installed.name!r} has no event trigger with a time window")
    return trigger.within
