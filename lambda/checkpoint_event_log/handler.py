"""Lambda adapter: the job is JOB, from its module in common/."""

from common.chargebacks.checkpoint_event_log import JOB
from common.lambda_handler import lambda_handler_for

lambda_handler = lambda_handler_for(JOB)
