"""Lambda adapter: MSK batches, answered with their partial batch response."""

import os

from common.chargebacks.update_consolidation import handle
from common.lambda_handler import batch_handler_for

if os.environ.get("CHARGEBACKS_TABLE"):
    # Every call talks to DynamoDB: boto3 loads in the init phase (as the table jobs'
    # handlers do); the client is made by the first call and kept by the container.
    import boto3  # noqa: F401

lambda_handler = batch_handler_for(handle)
