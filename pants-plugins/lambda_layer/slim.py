"""Turn a flat `python/` install into a lean, reproducible Lambda layer zip.

    python slim.py <flat dir> <out.zip> <strip> [distribution to leave out ...]

Run by the `python_lambda_layer` rule with the Lambda's Python (3.11) and
PYTHONHASHSEED=0. Prints what it did, one line each (Pants logs them).
"""

import compileall
import os
import py_compile
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

# Only type checkers read these; nothing imports them at run time.
TYPING_ONLY = re.compile(r"^(types-.*|.*-stubs|mypy-boto3-.*|boto3-stubs)$")
EPOCH = (1980, 1, 1, 0, 0, 0)  # zip's earliest date: the same bytes on every build


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def dist_name(info: Path) -> str:
    for line in (info / "METADATA").read_text(encoding="utf-8").splitlines():
        if line.startswith("Name:"):
            return canonical(line.split(":", 1)[1].strip())
    raise ValueError(f"{info}: METADATA has no Name")


def remove_distribution(root: Path, info: Path) -> None:
    """Every file its RECORD lists (so a namespace shared with others survives)."""
    for row in (info / "RECORD").read_text(encoding="utf-8").splitlines():
        path = root / row.split(",")[0]
        if path.is_file() or path.is_symlink():
            path.unlink()
    shutil.rmtree(info, ignore_errors=True)


def prune_empty_dirs(root: Path) -> None:
    for dirpath, _, _ in sorted(os.walk(root), reverse=True):
        if dirpath != str(root) and not os.listdir(dirpath):
            os.rmdir(dirpath)


def main(flat: str, out: str, strip: str, *exclude: str) -> None:
    root = Path(flat, "python")
    unwanted = {canonical(n) for n in exclude}
    removed = []
    for info in sorted(root.glob("*.dist-info")):
        name = dist_name(info)
        if name in unwanted or TYPING_ONLY.match(name):
            remove_distribution(root, info)
            removed.append(name)
    missing = unwanted - set(removed)
    if missing:  # a stale name in BUILD would silently ship what it meant to drop
        raise SystemExit(f"exclude names no distribution here: {sorted(missing)}")
    # console scripts (their shebangs point into the build sandbox), tests, stubs
    shutil.rmtree(root / "bin", ignore_errors=True)
    for path in sorted(root.rglob("*")):
        if path.is_dir() and path.name in ("tests", "__pycache__"):
            shutil.rmtree(path)
        elif path.suffix == ".pyi" and path.exists():
            path.unlink()
    prune_empty_dirs(root)
    libraries = sorted(root.rglob("*.so*"))
    for lib in libraries:
        subprocess.run([strip, "--strip-unneeded", str(lib)], check=True)
    # Lambda mounts /opt read-only: without bytecode every cold start compiles.
    # unchecked-hash .pyc stay valid whatever the unpacked files' mtimes.
    compiled = compileall.compile_dir(
        str(root),
        ddir="/opt/python",
        quiet=2,
        workers=1,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    files = sorted(p for p in root.rglob("*") if p.is_file())
    size = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in files:
            info = zipfile.ZipInfo(str(path.relative_to(flat)), EPOCH)
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = path.read_bytes()
            size += len(data)
            zf.writestr(info, data)
    print(f"    Unzipped: {size / 1e6:.1f} MB in {len(files)} files")
    print(f"    Stripped: {len(libraries)} shared libraries")
    print(f"    Left out: {', '.join(removed) or 'nothing'}")
    if not compiled:
        print("    Some modules did not compile (they ship as source only)")


if __name__ == "__main__":
    main(*sys.argv[1:])
