"""Every pipeline's job graph, declared once: the Prefect flows run it, and the Step
Functions state machines (Amazon States Language) are generated from it.

A pipeline is stages run in order; a stage's jobs run in parallel. A run's input
is one event per job (`events`); the schedules' inputs are named runs of that
input (`RUNS`, the same names and crons as prefect.yaml's deployments). Retries are
Prefect's and Step Functions' alike: only for transient errors (`TransientError`,
what a handler raises for throttling, timeouts, 5xx, a held lease; and Lambda's own
service errors), after RETRY_DELAYS. Any failure left publishes the execution's
input and error to the alerts topic, then fails the execution.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

RETRY_FIRST_SECONDS, RETRY_BACKOFF, RETRY_ATTEMPTS = 20, 3, 3
RETRY_DELAYS = [RETRY_FIRST_SECONDS * RETRY_BACKOFF**i for i in range(RETRY_ATTEMPTS)]
TRANSIENT_ERRORS = [
    "TransientError",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]
# Filled in by Terraform (templatefile): each job's Lambda alias, the alerts topic.
FUNCTION = "${functions.%s}"
ALERTS_TOPIC = "${alerts_topic_arn}"


@dataclass(frozen=True)
class Run:
    """A scheduled run: its cron (UTC) and the events it gives its jobs."""

    cron: str
    events: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Pipeline:
    name: str  # the Prefect flow's and the state machine's
    stages: tuple[tuple[str, ...], ...]
    runs: dict[str, Run]  # deployment / schedule name -> run

    @property
    def jobs(self) -> list[str]:
        return [job for stage in self.stages for job in stage]

    def state_input(self, events: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """The execution input: every job's event ({} unless given)."""
        unknown = set(events) - set(self.jobs)
        if unknown:
            raise ValueError(f"{self.name}: no jobs {sorted(unknown)}")
        return {"events": {job: events.get(job, {}) for job in self.jobs}}


CONGRESS = Pipeline(
    name="congress-gold",
    stages=(
        # one after the other: keys follow first appearance in silver, so the order
        # in which the chambers land must not depend on which Lambda ran faster
        ("ingest_house_ptr",),
        ("ingest_senate_ptr",),
        ("build_dim_members", "build_dim_assets", "build_dim_dates"),
        ("build_fact_transactions",),
        ("compute_trending_stocks",),
    ),
    runs={
        "daily-incremental": Run("0 6 * * *", {"build_fact_transactions": {}}),
        "weekly-rebuild": Run(
            "0 2 * * 0", {"build_fact_transactions": {"rebuild": True}}
        ),
    },
)
TOTESYS = Pipeline(
    name="totesys",
    stages=(("process_totesys_packets",),),
    runs={"every-30-minutes": Run("*/30 * * * *")},
)
# Each new event log starts the job through its S3 notification (terraform); the
# hourly sweep picks up any file a notification missed.
CHARGEBACKS = Pipeline(
    name="chargebacks-checkpoint",
    stages=(("checkpoint_event_log",),),
    runs={"hourly-sweep": Run("0 * * * *")},
)

PIPELINES = {p.name: p for p in (CONGRESS, TOTESYS, CHARGEBACKS)}


def task_branch(job: str) -> dict[str, Any]:
    """One job: its Lambda on the job's event, then a check of the answer (a 400 is
    an answer, not an error, to Lambda: it fails the branch here)."""
    return {
        "StartAt": job,
        "States": {
            job: {
                "Type": "Task",
                "Resource": FUNCTION % job,
                "InputPath": f"$.events.{job}",
                "ResultPath": "$.response",
                "Retry": [
                    {
                        "ErrorEquals": TRANSIENT_ERRORS,
                        "IntervalSeconds": RETRY_FIRST_SECONDS,
                        "BackoffRate": RETRY_BACKOFF,
                        "MaxAttempts": RETRY_ATTEMPTS,
                    }
                ],
                "Next": f"{job} answered",
            },
            f"{job} answered": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Variable": "$.response.statusCode",
                        "NumericEquals": 200,
                        "Next": f"{job} done",
                    }
                ],
                "Default": f"{job} rejected its event",
            },
            f"{job} done": {"Type": "Succeed"},
            f"{job} rejected its event": {
                "Type": "Fail",
                "Error": "InvalidEvent",
                "Cause": f"{job} answered 400: see its log for the field",
            },
        },
    }


def asl(pipeline: Pipeline) -> dict[str, Any]:
    """The state machine: one Parallel state per stage (its input passes through to
    the next stage), a catch on each that alerts, then fails."""
    states: dict[str, Any] = {}
    stages = enumerate(pipeline.stages, start=1)
    names = [f"stage {i}: {', '.join(stage)}" for i, stage in stages]
    for i, stage in enumerate(pipeline.stages):
        nxt = {"Next": names[i + 1]} if i + 1 < len(names) else {"End": True}
        states[names[i]] = {
            "Type": "Parallel",
            "Branches": [task_branch(job) for job in stage],
            "ResultPath": None,
            "Catch": [
                {
                    "ErrorEquals": ["States.ALL"],
                    "ResultPath": "$.error",
                    "Next": "alert",
                }
            ],
            **nxt,
        }
    states["alert"] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sns:publish",
        "Parameters": {
            "TopicArn": ALERTS_TOPIC,
            "Subject": f"{pipeline.name} failed",
            "Message.$": "States.JsonToString($)",
        },
        "ResultPath": None,
        "Next": "failed",
    }
    states["failed"] = {
        "Type": "Fail",
        "Error": "PipelineFailed",
        "Cause": "a job failed: the alert carries its error and the run's input",
    }
    return {
        "Comment": f"{pipeline.name}: generated by common/pipelines.py, do not edit",
        "StartAt": names[0],
        "States": states,
    }


DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]


def aws_cron(cron: str) -> str:
    """A five-field cron (prefect.yaml's) as EventBridge Scheduler writes it: six
    fields, `?` in day-of-month or day-of-week, days of the week by name."""
    minute, hour, dom, month, dow = cron.split()
    minute = minute.replace("*/", "0/")
    hour = hour.replace("*/", "0/")
    if dow == "*":
        dow = "?"
    else:
        dow = ",".join(DAYS[int(d) % 7] for d in dow.split(","))
        dom = "?" if dom == "*" else dom
    return f"cron({minute} {hour} {dom} {month} {dow} *)"


def rendered() -> dict[str, str]:
    """Every generated file (terraform/pipelines/), by name: the state machines and
    each scheduled run's input."""
    files = {}
    for pipeline in PIPELINES.values():
        files[f"{pipeline.name}.asl.json"] = asl(pipeline)
        for name, run in pipeline.runs.items():
            files[f"{pipeline.name}.{name}.json"] = {
                "cron": run.cron,
                "schedule_expression": aws_cron(run.cron),
                "input": pipeline.state_input(run.events),
            }
    return {name: json.dumps(doc, indent=2) + "\n" for name, doc in files.items()}
