"""Artifacts on the client: the one being built (Artifact), a logged version (LoggedArtifact), uploads, downloads."""

import hashlib
import os
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from tqdm import tqdm
from urllib3 import BaseHTTPResponse

from registry_client.config import cache_dir
from registry_client.errors import ChecksumMismatch, InvalidInput
from registry_client.transport import Transport, q

CHUNK = 1024 * 1024
PROGRESS_MIN_BYTES = 4 * 1024 * 1024
# Parallel transfers: many small files are bound by round trips, not bandwidth.
UPLOAD_WORKERS = 8
DOWNLOAD_WORKERS = 8


def sha256_file(path: str | os.PathLike) -> tuple[str, int]:
    hasher = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            hasher.update(chunk)
            size += len(chunk)
    return hasher.hexdigest(), size


def _progress(total: int, desc: str) -> tqdm:
    # Quiet unless a person is watching and the transfer is big enough to wait for.
    return tqdm(
        total=total,
        desc=desc,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        disable=total < PROGRESS_MIN_BYTES or not sys.stderr.isatty(),
        leave=False,
    )


def _check_name(name: str) -> str:
    path = PurePosixPath(name.replace(os.sep, "/"))
    if path.is_absolute() or any(part in ("..", ".", "") for part in str(path).split("/")):
        raise InvalidInput(f"Invalid file name {name!r} in an artifact: use a relative path without '..'.")
    return str(path)


@dataclass
class LocalFile:
    path: str  # the name inside the artifact
    source: str | None = None  # the local file; None for a reference
    ref: str = ""
    digest: str = ""
    size: int | None = None

    def manifest_entry(self) -> dict:
        if self.ref:
            entry: dict[str, Any] = {"path": self.path, "ref": self.ref}
            if self.digest:
                entry["digest"] = self.digest
            if self.size is not None:
                entry["size"] = self.size
            return entry
        return {"path": self.path, "digest": self.digest, "size": self.size}


class Artifact:
    """An artifact being put together before `run.log_artifact(art)`.

    >>> art = Artifact("nature-ckpt", type="model", metadata={"format": "onnx"})
    >>> art.add_file("model.onnx")
    """

    def __init__(self, name: str, type: str, description: str = "", metadata: dict | None = None):
        self.name = name
        self.type = type
        self.description = description
        self.metadata = dict(metadata or {})
        self._files: dict[str, LocalFile] = {}
        self.logged: LoggedArtifact | None = None

    def add_file(self, local_path: str | os.PathLike, name: str | None = None) -> None:
        if not os.path.isfile(local_path):
            raise InvalidInput(f"Not a file: {local_path}")
        self._add(LocalFile(path=_check_name(name or os.path.basename(local_path)), source=os.fspath(local_path)))

    def add_dir(self, local_path: str | os.PathLike, name: str | None = None) -> None:
        """Every file under the directory, at the artifact's root or under `name/`."""
        root = Path(local_path)
        if not root.is_dir():
            raise InvalidInput(f"Not a directory: {local_path}")
        for file in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = file.relative_to(root).as_posix()
            self._add(LocalFile(path=_check_name(f"{name}/{rel}" if name else rel), source=str(file)))

    def add_reference(self, uri: str, name: str | None = None, digest: str = "", size: int | None = None) -> None:
        """Record a URI (s3://, https://, …) in the manifest without uploading its bytes."""
        default = uri.rstrip("/").rsplit("/", 1)[-1] or "reference"
        self._add(LocalFile(path=_check_name(name or default), ref=uri, digest=digest, size=size))

    def _add(self, file: LocalFile) -> None:
        if file.path in self._files:
            raise InvalidInput(f"The artifact already has a file named {file.path!r}.")
        self._files[file.path] = file

    def files(self) -> list[LocalFile]:
        return list(self._files.values())

    def hashed(self) -> list[LocalFile]:
        """Hash every local file now (files may have changed since they were added)."""
        if not self._files:
            raise InvalidInput(f"The artifact {self.name!r} has no files: add a file, a directory or a reference.")
        for file in self._files.values():
            if file.source:
                file.digest, file.size = sha256_file(file.source)
        return self.files()

    # After logging, the artifact answers like the version it became.
    def __getattr__(self, item: str):
        logged = self.__dict__.get("logged")
        if logged is not None and item in ("version", "digest", "aliases", "index", "ref", "download", "entity"):
            return getattr(logged, item)
        raise AttributeError(item)


@dataclass
class LoggedArtifact:
    """A version on the server: `name`, `version` ("vN"), `digest`, `aliases`, `metadata`; `download()`."""

    entity: str
    project: str
    name: str
    type: str
    version: str
    index: int
    digest: str
    aliases: list[str]
    metadata: dict
    description: str
    size: int
    manifest: list[dict]
    ref: str
    registered_model: str | None = None
    registered_model_version: str | None = None
    _transport: Transport | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict, transport: Transport | None) -> "LoggedArtifact":
        return cls(
            entity=data["entity"],
            project=data["project"],
            name=data["name"],
            type=data["type"],
            version=data["version"],
            index=data["index"],
            digest=data["digest"],
            aliases=list(data.get("aliases", [])),
            metadata=data.get("metadata") or {},
            description=data.get("description", ""),
            size=data.get("size", 0),
            manifest=list(data.get("manifest", [])),
            ref=data["ref"],
            registered_model=data.get("registered_model"),
            registered_model_version=data.get("registered_model_version"),
            _transport=transport,
        )

    @property
    def qualified_name(self) -> str:
        return f"{self.name}:{self.version}"

    def files(self) -> list[dict]:
        """The manifest: dicts with path, digest, size and ref (a reference URI, or "")."""
        return list(self.manifest)

    def download(self, root: str | os.PathLike | None = None, *, cache: bool = True) -> str:
        """Download every uploaded file into `root` (default ./artifacts/<name>-<version>); returns its path.

        With `cache=False` the files stream straight into `root` (verified, then renamed into place) and
        no copy is kept in the cache: for a serving machine that fetches a large model once.
        """
        if self._transport is None:
            raise InvalidInput("This artifact was logged offline: sync it first, then download it.")
        target = Path(root) if root is not None else Path("artifacts") / f"{self.name}-{self.version}"
        download_version(self._transport, self, target, cache=cache)
        return str(target)


# --- uploads ------------------------------------------------------------------------------------


class _Reader:
    """A file read in chunks for an upload, with a length (sent as Content-Length) and progress."""

    def __init__(self, path: str, size: int, bar: tqdm):
        self.fh = open(path, "rb")  # noqa: SIM115 (closed by the upload)
        self.size = size
        self.bar = bar

    def __len__(self) -> int:
        return self.size

    def read(self, n: int = -1) -> bytes:
        chunk = self.fh.read(CHUNK if n is None or n < 0 else max(n, 64 * 1024))
        self.bar.update(len(chunk))
        return chunk

    def close(self) -> None:
        self.fh.close()


def upload_files(transport: Transport, files: list[LocalFile]) -> None:
    """Ask which blobs the server lacks and upload only those, in parallel, streamed."""
    blobs = {f.digest: f for f in files if not f.ref}
    if not blobs:
        return
    missing = transport.json("POST", "/blobs/missing", json={"digests": list(blobs)})["missing"]
    todo = [blobs[d] for d in missing]
    total = sum(f.size or 0 for f in todo)
    with _progress(total, "upload") as bar, ThreadPoolExecutor(max_workers=UPLOAD_WORKERS) as pool:
        for future in [pool.submit(_upload_one, transport, f, bar) for f in todo]:
            future.result()


def _upload_one(transport: Transport, file: LocalFile, bar: tqdm) -> None:
    readers: list[_Reader] = []

    def body() -> _Reader:
        # A file that changed since it was hashed would send fewer or other bytes than announced.
        if os.path.getsize(file.source) != (file.size or 0):
            raise ChecksumMismatch(
                f"{file.source} changed since it was added ({file.size} bytes then, "
                f"{os.path.getsize(file.source)} now); nothing was uploaded for it."
            )
        reader = _Reader(file.source, file.size or 0, bar)
        readers.append(reader)
        return reader

    try:
        transport.request(
            "PUT",
            f"/blobs/{file.digest}",
            data_factory=body,
            headers={"Content-Type": "application/octet-stream"},
        ).close()
    finally:
        for reader in readers:
            reader.close()


def commit_version(
    transport: Transport,
    *,
    entity: str,
    project: str,
    artifact: Artifact,
    files: list[LocalFile],
    aliases: list[str] | None = None,
    run_id: str | None = None,
) -> LoggedArtifact:
    body = {
        "name": artifact.name,
        "type": artifact.type,
        "description": artifact.description,
        "metadata": artifact.metadata,
        "manifest": [f.manifest_entry() for f in files],
        "aliases": list(aliases or []),
        "run_id": run_id,
    }
    data = transport.json("POST", f"/projects/{q(entity)}/{q(project)}/artifacts", json=body)
    return LoggedArtifact.from_json(data, transport)


# --- downloads ----------------------------------------------------------------------------------


def _cached_blob(digest: str) -> Path:
    return cache_dir() / "blobs" / "sha256" / digest[:2] / digest


def fetch_blob(transport: Transport, artifact: LoggedArtifact, entry: dict, bar: tqdm) -> tuple[Path, bool]:
    """The blob in the local cache, downloading (and verifying) it when absent; and whether it was there
    already (then only its size was checked). Never leaves a partial file in the cache."""
    cached = _cached_blob(entry["digest"])
    if cached.exists() and cached.stat().st_size == entry["size"]:
        bar.update(entry["size"] or 0)
        return cached, True
    cached.parent.mkdir(parents=True, exist_ok=True)
    _fetch(transport, artifact, entry, cached, bar)
    return cached, False


def _copy_hashing(src: Path, dest: str) -> str:
    """Copy src to dest; the sha256 of what was copied."""
    hasher = hashlib.sha256()
    with open(src, "rb") as fin, open(dest, "wb") as fout:
        while chunk := fin.read(CHUNK):
            hasher.update(chunk)
            fout.write(chunk)
    return hasher.hexdigest()


def _fetch(
    transport: Transport, artifact: LoggedArtifact, entry: dict, dest: Path, bar: tqdm, mode: int | None = None
) -> None:
    """Stream one file into a temporary file beside `dest`, check its sha256, then rename it to `dest`.

    A body that breaks off midway is asked for again by the transport; each attempt writes a fresh
    temporary file and removes it when it fails, so only a whole, verified file is ever left.
    """
    digest = entry["digest"]
    path = "/".join(q(p) for p in entry["path"].split("/"))
    url = f"/projects/{q(artifact.entity)}/{q(artifact.project)}/artifacts/{q(artifact.name)}"
    url += f"/versions/{artifact.version}/files/{path}"

    def receive(response: BaseHTTPResponse) -> None:
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".partial-")
        received = 0
        try:
            hasher = hashlib.sha256()
            with os.fdopen(fd, "wb") as out:
                for chunk in response.stream(CHUNK):
                    hasher.update(chunk)
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            if hasher.hexdigest() != digest:
                raise ChecksumMismatch(
                    f"{artifact.ref} {entry['path']}: the bytes received hash to {hasher.hexdigest()}, not {digest}."
                )
            if mode is not None:
                os.chmod(tmp, mode)
            os.replace(tmp, dest)
        except BaseException:
            bar.update(-received)  # a retry counts the file from its start again
            raise
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    transport.request("GET", url, read=receive)


def download_version(transport: Transport, artifact: LoggedArtifact, root: Path, *, cache: bool = True) -> None:
    entries = [e for e in artifact.manifest if not e.get("ref")]
    root.mkdir(parents=True, exist_ok=True)
    real_root = root.resolve()
    targets = []
    for entry in entries:
        target = (root / entry["path"]).resolve()
        if real_root not in target.parents:
            raise InvalidInput(f"The path {entry['path']!r} would escape {root}; nothing written there.")
        targets.append((entry, target))
    total = sum(e.get("size") or 0 for e in entries)
    with _progress(total, f"download {artifact.qualified_name}") as bar, ThreadPoolExecutor(DOWNLOAD_WORKERS) as pool:
        # list() re-raises the first failure; files already placed are whole (each is renamed into place).
        list(pool.map(lambda pair: _place(transport, artifact, pair[0], pair[1], bar, cache), targets))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()


def _place(transport: Transport, artifact: LoggedArtifact, entry: dict, target: Path, bar: tqdm, cache: bool) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if not cache:
        _fetch(transport, artifact, entry, target, bar, mode=_FILE_MODE)
        return
    cached, was_cached = fetch_blob(transport, artifact, entry, bar)
    # Copy (not link) so editing the downloaded file cannot corrupt the cache; rename so it is whole or absent.
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
    os.close(fd)
    try:
        if not was_cached:
            shutil.copyfile(cached, tmp)  # verified as it arrived, a moment ago
        elif _copy_hashing(cached, tmp) != entry["digest"]:
            # The cached file changed on disk since it was verified (a disk error, an edit): fetch it again.
            cached.unlink(missing_ok=True)
            bar.update(-(entry["size"] or 0))
            cached, _ = fetch_blob(transport, artifact, entry, bar)
            shutil.copyfile(cached, tmp)
        os.chmod(tmp, _FILE_MODE)  # mkstemp makes 0600; a downloaded file gets the usual mode
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
