"""The warehouse: one root URI, a local folder or `s3://bucket/prefix`.

Table data is read and written by Polars' own object-store IO. The operations Polars
does not offer (list, delete, rename, put-if-absent) go through obstore, which wraps the
same Rust `object_store` engine, so both see one namespace with one configuration: the
standard AWS variables (`AWS_ENDPOINT_URL`, `AWS_REGION`, credentials,
`AWS_ALLOW_HTTP`).
"""

from __future__ import annotations

import io
import os
import posixpath
import re
from collections.abc import Iterable
from typing import Any

import obstore
import polars as pl
from obstore.exceptions import AlreadyExistsError
from obstore.store import LocalStore, ObjectStore, from_url

from common.errors import InvalidEvent
from common.state import HOST_TAG, pid_alive, temp_name

# Every local write goes to a hidden temporary name beside its target first, then is
# renamed: Hive-style readers (Spark, DuckDB, Polars given a folder) skip names that
# start with "." or "_". The name carries host and pid, so a later run can tell a dead
# writer's debris (obstore may add its own `#<n>` staging suffix to it).
TEMP = re.compile(
    r"^\.(?P<name>.+)\.(?P<host>[^.]+)-(?P<pid>\d+)-[0-9a-f]{32}\.tmp(#\d+)?$"
)


def write_zstd_parquet(df: pl.DataFrame, target: str | io.BytesIO) -> None:
    # zstd's fastest level: encoding dominates a rebuild's time, and on the fact table
    # the files come out the same size as at the default level 3 (within 1%).
    df.write_parquet(target, compression="zstd", compression_level=1)


def is_local_uri(uri: str) -> bool:
    return "://" not in uri or uri.startswith("file://")


def normalize_uri(uri: str) -> str:
    """A local path made absolute with `..` and symlinks resolved; an s3:// URI as
    given once it holds no `.`/`..` segment. Any other scheme is refused."""
    if is_local_uri(uri):
        return os.path.realpath(uri.removeprefix("file://"))
    scheme, _, rest = uri.partition("://")
    if scheme != "s3":
        raise ValueError(f"scheme {scheme}:// is not a source location")
    if any(part in (".", "..") for part in rest.split("/")):
        raise ValueError("a location may not contain . or .. segments")
    return uri.rstrip("/")


class SourceRoots:
    """Where events may point a job's reads (SOURCE_ROOTS, comma-separated; by default
    the warehouse's bronze/): any other location, path trick or URL scheme is an
    invalid event naming the field, so an event cannot make a job read what it
    should not."""

    def __init__(self, roots: list[str]) -> None:
        self.roots = [normalize_uri(r) for r in roots]

    @classmethod
    def from_env(cls, warehouse: Warehouse) -> SourceRoots:
        configured = os.environ.get("SOURCE_ROOTS", "")
        return cls([r for r in configured.split(",") if r] or [warehouse.uri("bronze")])

    def check(self, uri: str, field: str) -> str:
        try:
            target = normalize_uri(uri)
        except ValueError as exc:
            raise InvalidEvent(field, f"{uri}: {exc}") from exc
        sep = os.sep if is_local_uri(target) else "/"
        if not any(target.startswith(root + sep) for root in self.roots):
            raise InvalidEvent(
                field, f"{uri} is outside the source roots {', '.join(self.roots)}"
            )
        return target

    def read(self, uri: str, field: str) -> bytes:
        """Bytes of one object under a source root (FileNotFoundError naming it)."""
        store, name = self._object(uri, field)
        try:
            return bytes(obstore.get(store, name).bytes())
        except FileNotFoundError as exc:
            raise FileNotFoundError(f"no object at {uri}") from exc

    def expand(self, uri: str, field: str, suffix: str) -> list[str]:
        """`uri` if it is one object, else every `suffix` object under it as a
        prefix (sorted); nothing there is FileNotFoundError naming it."""
        location = self.check(uri, field)
        try:
            store, name = self._object(uri, field)
            obstore.head(store, name)
            return [uri]
        except FileNotFoundError:
            pass
        found: list[str] = []
        if not is_local_uri(location) or os.path.isdir(location):
            local = is_local_uri(location)
            store = LocalStore(location) if local else from_url(location)
            for batch in obstore.list(store):
                found += [m["path"] for m in batch if m["path"].endswith(suffix)]
        if not found:
            raise FileNotFoundError(f"no object at {uri}, nor any *{suffix} under it")
        return [f"{uri.rstrip('/')}/{path}" for path in sorted(found)]

    def version(self, uri: str, field: str) -> str:
        """What tells this object's content apart from an earlier one at the same
        location: size and e-tag (S3's, or the local store's inode and mtime)."""
        store, name = self._object(uri, field)
        meta = obstore.head(store, name)
        return f"{meta['size']}-{meta['e_tag']}"

    def _object(self, uri: str, field: str) -> tuple[ObjectStore, str]:
        location = self.check(uri, field)
        if is_local_uri(location):
            if not os.path.isfile(location):
                raise FileNotFoundError(f"no object at {uri}")
            folder, name = os.path.split(location)
            return LocalStore(folder), name
        folder, name = location.rsplit("/", 1)
        return from_url(folder), name


class Warehouse:
    def __init__(self, uri: str) -> None:
        self.is_local = "://" not in uri or uri.startswith("file://")
        if self.is_local:
            root = os.path.abspath(uri.removeprefix("file://"))
            os.makedirs(root, exist_ok=True)
            self.root = root
            self.store: ObjectStore = LocalStore(root)
        else:
            self.root = uri.rstrip("/")
            self.store = from_url(self.root)

    def __repr__(self) -> str:
        return f"Warehouse({self.root!r})"

    def uri(self, key: str) -> str:
        """The address Polars reads and writes for `key` (a '/'-separated key)."""
        return f"{self.root}/{key}"

    # -- object operations (obstore) -------------------------------------------
    def keys(self, prefix: str, suffix: str = "") -> list[str]:
        keys: list[str] = []
        for batch in obstore.list(self.store, prefix=prefix.rstrip("/") + "/"):
            keys.extend(m["path"] for m in batch if m["path"].endswith(suffix))
        return sorted(keys)

    def exists(self, key: str) -> bool:
        try:
            obstore.head(self.store, key)
        except FileNotFoundError:
            return False
        return True

    def size(self, key: str) -> int:
        """The object's size in bytes, from its metadata (nothing is read)."""
        return int(obstore.head(self.store, key)["size"])

    def delete(self, keys: Iterable[str]) -> int:
        keys = list(keys)
        if keys:
            obstore.delete(self.store, keys)
        return len(keys)

    def rename(self, key: str, to: str) -> None:
        """Move an object: locally an atomic rename, on S3 a copy, then a delete."""
        if self.is_local:
            self._make_folder(to)
        obstore.rename(self.store, key, to)

    def read_bytes(self, key: str) -> bytes:
        return bytes(obstore.get(self.store, key).bytes())

    def put_if_absent(self, key: str, data: bytes) -> None:
        """Create `key` or raise FileExistsError naming it; never overwrites."""
        try:
            if self.is_local:  # a hidden temp, then obstore's rename-if-not-exists
                tmp = self._temp(key)
                obstore.put(self.store, tmp, data)
                try:
                    obstore.rename(self.store, tmp, key, overwrite=False)
                finally:
                    if os.path.exists(os.path.join(self.root, tmp)):
                        obstore.delete(self.store, tmp)
            else:
                obstore.put(self.store, key, data, mode="create")
        except (FileExistsError, AlreadyExistsError) as exc:
            raise FileExistsError(f"object already exists: {self.uri(key)}") from exc

    def _temp(self, key: str) -> str:
        self._make_folder(key)
        folder, name = posixpath.split(key)
        return posixpath.join(folder, temp_name(name))

    def _make_folder(self, key: str) -> None:
        """Locally, the folder a key's file goes in."""
        os.makedirs(os.path.join(self.root, posixpath.dirname(key)), exist_ok=True)

    def sweep_orphans(self) -> int:
        """Delete temporary files that crashed local writers left behind (a live
        writer's, on this machine or another, are kept). S3 needs none: a PUT or a
        multipart upload is invisible until complete."""
        if not self.is_local:
            return 0
        orphans = [
            os.path.join(folder, name)
            for folder, _, files in os.walk(self.root)
            for name in files
            if (temp := TEMP.match(name))
            and temp["host"] == HOST_TAG
            and not pid_alive(int(temp["pid"]))
        ]
        for path in orphans:
            os.remove(path)
        return len(orphans)

    # -- table data (Polars) ----------------------------------------------------
    def scan_parquet(self, keys: list[str], **kwargs: Any) -> pl.LazyFrame:
        return pl.scan_parquet([self.uri(k) for k in keys], **kwargs)

    def write_parquet(self, df: pl.DataFrame, key: str) -> None:
        """Write `df` whole at `key`: readers never see a half-written object."""
        if self.is_local:
            # A local file grows while Polars writes it; an S3 PUT (or multipart upload)
            # only becomes visible once complete. So locally: temp name + atomic rename.
            tmp = self._temp(key)
            write_zstd_parquet(df, self.uri(tmp))
            obstore.rename(self.store, tmp, key)
        else:
            write_zstd_parquet(df, self.uri(key))

    def write_ipc(self, df: pl.DataFrame, key: str) -> None:
        """Write `df` whole at `key` as uncompressed Arrow IPC."""
        if self.is_local:  # straight to a temp file: no copy of the bytes in memory
            tmp = self._temp(key)
            df.write_ipc(self.uri(tmp))
            obstore.rename(self.store, tmp, key)
        else:  # one PUT
            obstore.put(self.store, key, df.write_ipc(None).getbuffer())

    def read_ipc(self, key: str) -> pl.DataFrame:
        if self.is_local:
            return pl.scan_ipc(self.uri(key)).collect()  # memory-mapped
        # One GET: Polars' own cloud IPC scan stages files in a temp directory it
        # derives from $HOME, which Lambda does not set.
        return pl.read_ipc(self.read_bytes(key))

    def create_parquet(self, df: pl.DataFrame, key: str) -> bool:
        """Write `df` at `key` only if nothing is there yet (put-if-absent). An object
        already there with the same rows (a rerun's) counts as done: False. Any other
        object there raises FileExistsError naming it; nothing is overwritten."""
        buf = io.BytesIO()
        write_zstd_parquet(df, buf)
        try:
            self.put_if_absent(key, buf.getvalue())
        except FileExistsError:
            if not self._same_rows(key, buf.getvalue(), df):
                raise
            return False
        return True

    def _same_rows(self, key: str, data: bytes, df: pl.DataFrame) -> bool:
        there = self.read_bytes(key)
        if there == data:
            return True
        try:  # same rows in other bytes: written by another version of the writer
            return pl.read_parquet(there).equals(df)
        except pl.exceptions.PolarsError:
            return False  # not even Parquet: someone else's object
