"""Lambda adapter: the job is JOB, from its module in common/."""

from common.congress.ingest_house_ptr import JOB
from common.lambda_handler import lambda_handler_for

lambda_handler = lambda_handler_for(JOB)
