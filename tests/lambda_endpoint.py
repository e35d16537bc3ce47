"""A small Lambda Invoke API on 127.0.0.1 that runs the Pants-built zips.

moto cannot execute Lambda code without Docker, so this speaks just enough of
`POST /2015-03-31/functions/<name>/invocations` for boto3 (and prefect-aws's
LambdaFunction): the named function's zip runs in a clean interpreter (lambda_zip.py)
and its result, or its error with `X-Amz-Function-Error: Unhandled`, comes back as
the real service returns it.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from tests.lambda_zip import invoke, unpack

PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")


@dataclass
class Endpoint:
    url: str
    calls: list[tuple[str, Any]] = field(default_factory=list)  # (job, event)
    delay_seconds: float = 0.0  # a slow function: the answer comes this much later


@contextmanager
def lambda_endpoint(
    code_root: str, env: dict[str, str], prefix: str
) -> Iterator[Endpoint]:
    """Serve functions `<prefix>-<job>` from their zips; yields the URL and the calls
    received, in order."""
    unpacked: dict[str, str] = {}
    endpoint = Endpoint(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            match = PATH.match(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            name = unquote(match["name"]) if match else ""
            if name.startswith("arn:aws:lambda:"):  # a function ARN, maybe qualified
                name = name.split(":")[6]
            job = name.removeprefix(f"{prefix}-")
            if not match or not name.startswith(f"{prefix}-"):
                return self.reply(
                    404,
                    {"Type": "User", "message": f"Function not found: {name}"},
                    {"x-amzn-ErrorType": "ResourceNotFoundException"},
                )
            event = json.loads(body or b"{}")
            endpoint.calls.append((job, event))
            time.sleep(endpoint.delay_seconds)
            if job not in unpacked:
                unpacked[job] = unpack(job, f"{code_root}/{job}")
            out = invoke(unpacked[job], job, event, env)
            if "result" in out:
                return self.reply(
                    200, out["result"], {"X-Amz-Executed-Version": "$LATEST"}
                )
            error = {"errorType": out["errorType"], "errorMessage": out["errorMessage"]}
            return self.reply(200, error, {"X-Amz-Function-Error": "Unhandled"})

        def reply(self, status: int, payload: object, headers: dict[str, str]) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                for k, v in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a read timeout): nobody to answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # server_close() waits for calls still running, so none outlives the test
    server.daemon_threads = False
    server.block_on_close = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield endpoint
    finally:
        server.shutdown()
        server.server_close()
