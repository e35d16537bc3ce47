"""Lambda adapter for build_fact_transactions (logic: common/congress/)."""

from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from common.congress.build_fact_transactions import JOB
from common.jobs import handle_event
from common.observability import SERVICE, logger, metrics

tracer = Tracer(service=SERVICE)


@logger.inject_lambda_context(log_event=True)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_event(JOB, event)
