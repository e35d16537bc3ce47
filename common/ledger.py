"""One ledger of the source objects each file-picking job has processed.

A job that reads files dropped into bronze/ (House ingest today) records each object
it processed, with its version (size and e-tag), in the job-state store: one entry
per object, so the ledger never outgrows a DynamoDB item. A flow run asks the ledger
which objects under a prefix are new or changed and processes only those, so a file
is ingested once however often it is seen, and dropping a file in bronze/ is all it
takes for it to reach gold by the next run.
"""

from __future__ import annotations

import hashlib

from common.jobs import JobContext
from common.storage import SourceRoots


def entry_key(job: str, uri: str) -> str:
    return f"ledger/{job}/{hashlib.sha256(uri.encode()).hexdigest()[:32]}"


def record(ctx: JobContext, job: str, uri: str, field: str) -> None:
    """Note `uri` as processed by `job` (a fenced commit, like any job state)."""
    version = SourceRoots.from_env(ctx.warehouse).version(uri, field)
    ctx.commit(entry_key(job, uri), {"uri": uri, "version": version})


def processed(ctx: JobContext, job: str, uri: str, field: str = "source_uri") -> bool:
    """`job` has processed the object at `uri` in its current version."""
    seen = ctx.state.get(entry_key(job, uri))
    version = SourceRoots.from_env(ctx.warehouse).version
    return seen is not None and seen["version"] == version(uri, field)


def pending(ctx: JobContext, job: str, prefix: str, suffix: str) -> list[str]:
    """URIs of the objects under the warehouse's `prefix` that `job` has not
    processed in their current version, oldest name first."""
    wh = ctx.warehouse
    uris = [wh.uri(key) for key in wh.keys(prefix, suffix)]
    return [uri for uri in uris if not processed(ctx, job, uri)]
