"""Every file of a local warehouse with its bytes: what a call must leave unchanged."""

from __future__ import annotations

import os
from pathlib import Path

from common.storage import Warehouse


def objects(wh: Warehouse, state: bool = True) -> dict[str, bytes]:
    """By path under the root; without job state and leases when `state` is False
    (a refused call may still have taken, and released, a lease)."""
    return {
        os.path.relpath(os.path.join(d, f), wh.root): Path(d, f).read_bytes()
        for d, _, files in os.walk(wh.root)
        for f in files
        if state or "_state" not in os.path.relpath(d, wh.root).split(os.sep)
    }
