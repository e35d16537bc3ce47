"""The objects an S3 "object created" notification names, in the three shapes that
reach a Lambda: S3's own event, EventBridge's, and S3's event inside SQS messages
(Powertools Parser models for each)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.parser.models import (
    S3EventNotificationEventBridgeModel,
    S3Model,
    SqsModel,
)


def _from_s3_event(event: dict[str, Any]) -> list[str]:
    if event.get("Event") == "s3:TestEvent":  # sent once when a queue is subscribed
        return []
    # keys arrive URL-encoded (a space is "+")
    uris = []
    for record in S3Model.model_validate(event).Records:
        if record.s3.object is None:  # not an object event
            raise ValueError("an S3 notification without s3.object")
        uris.append(f"s3://{record.s3.bucket.name}/{unquote_plus(record.s3.object.key)}")
    return uris


def object_uris(event: dict[str, Any]) -> list[str] | None:
    """The s3:// URIs an S3 notification names, or None if `event` is not one."""
    if event.get("source") == "aws.s3":
        detail = S3EventNotificationEventBridgeModel.model_validate(event).detail
        return [f"s3://{detail.bucket.name}/{detail.object.key}"]
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        return None
    source = records[0].get("eventSource") if isinstance(records[0], dict) else None
    if source == "aws:s3":
        return _from_s3_event(event)
    if source == "aws:sqs":
        return [
            uri
            for message in SqsModel.model_validate(event).Records
            for uri in _from_s3_event(json.loads(str(message.body)))
        ]
    return None
