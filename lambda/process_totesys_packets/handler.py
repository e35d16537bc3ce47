"""Lambda adapter: the job is JOB, from its module in common/."""

from common.lambda_handler import lambda_handler_for
from common.totesys.process_totesys_packets import JOB

lambda_handler = lambda_handler_for(JOB)
