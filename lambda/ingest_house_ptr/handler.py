"""Lambda adapter for ingest_house_ptr; the job: common/congress/ingest_house_ptr.py"""

from common.congress.ingest_house_ptr import JOB
from common.lambda_handler import lambda_handler_for

lambda_handler = lambda_handler_for(JOB)
