"""Lambda adapter for process_totesys_packets; the job: common/totesys/."""

from common.lambda_handler import lambda_handler_for
from common.totesys.process_packets import JOB

lambda_handler = lambda_handler_for(JOB)
