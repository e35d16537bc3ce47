"""Lambda adapter for ingest_senate_ptr; the job: common/congress/ingest_senate_ptr"""

from common.congress.ingest_senate_ptr import JOB
from common.lambda_handler import lambda_handler_for

lambda_handler = lambda_handler_for(JOB)
