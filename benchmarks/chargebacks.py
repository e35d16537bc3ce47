"""The chargebacks jobs at size, as Lambda runs them (their Pants-built zips in a
clean interpreter, tests/lambda_zip.py).

  ./pants package lambda::
  python benchmarks/chargebacks.py [--events 1000000] [--messages 100] [--per-date 1000]

1. checkpoint_event_log on about --events generated events (a month of event logs):
   handler seconds, events per second, peak RSS; then a second run adding one more
   day (the incremental cost).
2. update_consolidation on one MSK batch of --messages messages, each a partition
   date of --per-date chargebacks, against DynamoDB on moto's server (127.0.0.1):
   chargebacks stamped per second, and the replay of the same batch (all skipped).
Prints figures; asserts nothing (README: "Chargebacks at size").
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import logging
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def checkpoint(events: int, root: str) -> None:
    from common.chargebacks import generate
    from common.storage import Warehouse
    from tests.lambda_zip import invoke, unpack

    per_day = max(1, round(events / 3.3 / 30))  # ~3.3 events per chargeback
    start = dt.date(2024, 3, 1)
    wh = Warehouse(os.path.join(root, "wh"))
    records = generate.chargebacks(start, start + dt.timedelta(days=29), per_day)
    logs = generate.event_logs(records)
    last = max(logs, key=lambda k: len(logs[k]))  # held back: a busy day, later
    for key, text in logs.items():
        if key != last:
            wh.put_if_absent(key, text.encode())
    lines = sum(t.count("\n") for t in logs.values())
    code = unpack("checkpoint_event_log", os.path.join(root, "code"))
    env = {"WAREHOUSE_URI": wh.root}
    for label in ("month", "increment"):
        if label == "increment":
            wh.put_if_absent(last, logs[last].encode())
        out = invoke(code, "checkpoint_event_log", {}, env)
        body = json.loads(out["result"]["body"])
        logs_out = [json.loads(x) for x in out["logs"].splitlines() if x[:1] == "{"]
        done = [r for r in logs_out if r.get("message") == "job finished"]
        secs = done[0]["seconds"]
        n = body["events_processed"]
        print(
            f"checkpoint {label}: {n:,} events ({lines:,} generated) in {secs:.1f} s "
            f"handler time, {n / secs:,.0f} events/s, peak RSS "
            f"{out['max_rss_kb'] / 1024:,.0f} MB, checkpoint "
            f"{body['checkpoint_rows']:,} rows, {body['output_file_size'] / 1e6:.1f} MB"
        )


def consolidation(messages: int, per_date: int, root: str) -> None:
    from common.chargebacks import generate
    from common.chargebacks.store import DynamoStore
    from tests import lambda_zip
    from tests.aws_server import moto_server
    from tests.test_update_consolidation import create_chargebacks_table

    start = dt.date(2024, 1, 1)
    end = start + dt.timedelta(days=messages - 1)
    with moto_server() as aws:
        create_chargebacks_table("chargebacks")
        began = time.perf_counter()
        DynamoStore("chargebacks").put(generate.chargebacks(start, end, per_date))
        print(f"loaded {messages * per_date:,} chargebacks into moto in "
              f"{time.perf_counter() - began:.0f} s")
        sample = os.path.join(
            os.path.dirname(__file__), "..", "lambda", "update_consolidation"
        )
        with open(os.path.join(sample, "event.json")) as f:
            event = json.load(f)
        (topic, records), = event["records"].items()
        event["records"] = {topic: [
            {**records[0], "offset": n,
             "value": base64.b64encode(json.dumps(m).encode()).decode()}
            for n, m in enumerate(generate.consolidation_events(start, end))
        ]}
        code = lambda_zip.unpack("update_consolidation", os.path.join(root, "code-u"))
        env = {**aws, "CHARGEBACKS_TABLE": "chargebacks"}
        for label in ("first delivery", "replay"):
            began = time.perf_counter()
            # the handler's own deadline (900 s, as deployed) bounds it
            run = lambda_zip.start(code, "update_consolidation", event, env)
            out = lambda_zip.result(run, timeout=3000)
            secs = time.perf_counter() - began
            assert out["result"] == {"batchItemFailures": []}, out
            logs = [json.loads(x) for x in out["logs"].splitlines() if x[:1] == "{"]
            updated = sum(r["chargebacks_updated"] for r in logs
                          if r.get("message") == "consolidation applied")
            print(f"update_consolidation {label}: {messages} messages, "
                  f"{updated:,} stamped, {messages * per_date / secs:,.0f} "
                  f"chargebacks/s ({secs:.1f} s wall, peak RSS "
                  f"{out['max_rss_kb'] / 1024:,.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--per-date", type=int, default=1_000)
    parser.add_argument("--only", choices=["checkpoint", "consolidation"])
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request lines
    with tempfile.TemporaryDirectory() as root:
        if args.only != "consolidation":
            checkpoint(args.events, root)
        if args.only != "checkpoint":
            consolidation(args.messages, args.per_date, root)


if __name__ == "__main__":
    main()
