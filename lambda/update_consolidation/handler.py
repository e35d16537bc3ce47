"""Lambda adapter: MSK batches, answered with their partial batch response."""

import os

from common.chargebacks.update_consolidation import container_store, handle
from common.lambda_handler import batch_handler_for

if os.environ.get("CHARGEBACKS_TABLE"):
    container_store()  # the DynamoDB client at init, not in the first call

lambda_handler = batch_handler_for(handle)
