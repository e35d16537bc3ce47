"""prefect.yaml's deployments as Python objects, for `cli.py serve` (one definition)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from prefect.events import DeploymentEventTrigger
from prefect.flows import load_flow_from_entrypoint
from prefect.schedules import Cron


def from_prefect_yaml(path: Path = Path("prefect.yaml")) -> list[Any]:
    spec = yaml.safe_load(path.read_text())
    deployments = []
    for d in spec["deployments"]:
        flow: Any = load_flow_from_entrypoint(d["entrypoint"])
        deployments.append(
            flow.to_deployment(
                name=d["name"],
                description=d.get("description"),
                tags=d.get("tags"),
                parameters=d.get("parameters", {}),
                schedules=[
                    Cron(s["cron"], timezone=s.get("timezone"))
                    for s in d.get("schedules", [])
                ],
                triggers=[DeploymentEventTrigger(**t) for t in d.get("triggers", [])],
            )
        )
    return deployments
