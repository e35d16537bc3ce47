"""Lambda adapter for compute_trending_stocks; the job: common/congress/."""

from common.congress.trending_stocks import JOB
from common.lambda_handler import lambda_handler_for

lambda_handler = lambda_handler_for(JOB)
