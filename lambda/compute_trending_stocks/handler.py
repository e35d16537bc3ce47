"""Lambda adapter: the job is JOB, from its module in common/."""

from common.congress.compute_trending_stocks import JOB
from common.lambda_handler import lambda_handler_for

lambda_handler = lambda_handler_for(JOB)
