"""The layer rule's last step (pants-plugins/lambda_layer/slim.py) on a small flat
install: same bytes whatever the files' times and creation order, and only what a
Lambda loads."""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.shared_data import BUILDROOT

SLIM = Path(BUILDROOT, "pants-plugins", "lambda_layer", "slim.py")


def dist(root: Path, name: str, files: dict[str, str]) -> None:
    """A distribution as pip installs it: its files and a dist-info listing them."""
    info = root / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\n")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    record = [*files, f"{info.name}/METADATA", f"{info.name}/RECORD"]
    (info / "RECORD").write_text("".join(f"{r},,\n" for r in record))


def shared_library() -> str:
    """An extension module of this interpreter's standard library."""
    for name in ("_json", "_ctypes", "_decimal"):
        path = getattr(importlib.import_module(name), "__file__", "") or ""
        if path.endswith(".so"):
            return path
    raise AssertionError("no standard-library extension module is a shared library")


def flat_install(dest: Path, reverse: bool) -> Path:
    root = dest / "python"
    dists = [
        ("fastlib", {"fastlib/__init__.py": "SETS = {'a', 'b', 'c'}\n"}),
        ("fastlib-tests", {"fastlib/tests/test_it.py": "def test(): pass\n"}),
        ("types-fastlib", {"fastlib-stubs/__init__.pyi": "SETS: set[str]\n"}),
        ("sdk", {"sdk/__init__.py": "X = 1\n"}),
    ]
    for name, files in reversed(dists) if reverse else dists:
        dist(root, name, files)
    (root / "bin").mkdir()
    (root / "bin" / "tool").write_text("#!/tmp/sandbox/python\n")
    # a real shared library, with the symbol table strip removes
    shutil.copy(shared_library(), root / "fastlib" / "_speedups.so")
    return dest


def slim(flat: Path, out: Path) -> subprocess.CompletedProcess[str]:
    strip = shutil.which("strip") or "/usr/bin/strip"
    return subprocess.run(
        [sys.executable, str(SLIM), str(flat), str(out), strip, "sdk"],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "0", "PATH": os.environ.get("PATH", "")},
    )


def test_same_bytes_twice_and_only_what_lambda_loads(tmp_path):
    one = flat_install(tmp_path / "one", reverse=False)
    two = flat_install(tmp_path / "two", reverse=True)
    for i, path in enumerate(sorted((two / "python").rglob("*"))):
        os.utime(path, (1_000_000 + i, 1_000_000 + i))  # other times, other order
    first, second = tmp_path / "one.zip", tmp_path / "two.zip"
    printed = slim(one, first).stdout
    slim(two, second)
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (first, second)]
    assert digest[0] == digest[1]
    assert "Left out: sdk, types-fastlib" in printed
    with zipfile.ZipFile(first) as zf:
        names = set(zf.namelist())
        pyc = zf.read("python/fastlib/__pycache__/__init__.cpython-311.pyc")
        lib = zf.read("python/fastlib/_speedups.so")
    assert names == {
        "python/fastlib/__init__.py",
        "python/fastlib/__pycache__/__init__.cpython-311.pyc",
        "python/fastlib/_speedups.so",
        "python/fastlib-1.0.dist-info/METADATA",
        "python/fastlib-1.0.dist-info/RECORD",
        "python/fastlib_tests-1.0.dist-info/METADATA",
        "python/fastlib_tests-1.0.dist-info/RECORD",
    }
    assert int.from_bytes(pyc[4:8], "little") == 0b01  # PEP 552: unchecked hash
    original = Path(shared_library()).read_bytes()
    assert b".symtab" in original and b".symtab" not in lib and len(lib) < len(original)
