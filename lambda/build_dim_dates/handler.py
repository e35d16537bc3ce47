"""Lambda adapter for build_dim_dates; the job: common/congress/build_dimensions.py"""

from common.congress.build_dimensions import DATES_JOB as JOB
from common.lambda_handler import lambda_handler_for

lambda_handler = lambda_handler_for(JOB)
