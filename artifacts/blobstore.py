"""Content-addressed blob store on Django's storage API: a blob exists whole and verified, or not at all."""

import hashlib
import os
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.db import IntegrityError, transaction

from artifacts.access import entities_for_user
from artifacts.errors import InvalidInput
from artifacts.models import Blob, BlobHolder, ManifestEntry
from artifacts.validation import validate_digest

CHUNK_SIZE = 1024 * 1024


def blob_path(digest: str) -> str:
    return f"sha256/{digest[:2]}/{digest[2:4]}/{digest}"


def _storage():
    return storages["blobs"]


class _SpooledFile(File):
    """A verified temporary file; FileSystemStorage renames it into place instead of copying."""

    def temporary_file_path(self) -> str:
        return self.name


def blob_put(*, stream: BinaryIO | Iterator[bytes], digest: str, user=None, expected_size: int | None = None) -> Blob:
    """Stream bytes to a spool file while hashing; only a matching digest moves into the store.

    The bytes are read and checked even when the blob is already stored: sending them is how
    `user` proves they have the content, and may from then on name it in their manifests.
    """
    validate_digest(digest)
    # A blob already stored is only hashed (the proof), not written to the spool a second time.
    stored_already = Blob.objects.filter(digest=digest).exists() and blob_exists(digest)
    os.makedirs(settings.BLOB_SPOOL_DIR, exist_ok=True)
    hasher = hashlib.sha256()
    size = 0
    fd, tmp_path = tempfile.mkstemp(dir=settings.BLOB_SPOOL_DIR, prefix="upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in _chunks(stream):
                hasher.update(chunk)
                if not stored_already:
                    out.write(chunk)
                size += len(chunk)
        actual = hasher.hexdigest()
        if actual != digest:
            raise InvalidInput(
                f"Digest mismatch: the bytes received hash to {actual}, not {digest}. Nothing was stored.",
                field="digest",
            )
        if expected_size is not None and expected_size != size:
            raise InvalidInput(f"Size mismatch: received {size} bytes, expected {expected_size}.", field="size")
        if not stored_already:
            with open(tmp_path, "rb") as fh:
                stored = _storage().save(blob_path(digest), _SpooledFile(fh, name=tmp_path))
            if stored != blob_path(digest):  # A storage that renamed instead of overwriting: keep one copy.
                _storage().delete(stored)
    finally:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)
    with transaction.atomic():
        try:
            with transaction.atomic():
                blob, _ = Blob.objects.get_or_create(digest=digest, defaults={"size": size})
        except IntegrityError:
            blob = Blob.objects.get(digest=digest)
        if user is not None:
            BlobHolder.objects.get_or_create(user=user, blob=blob)
    return blob


def blob_open(digest: str) -> BinaryIO:
    return _storage().open(blob_path(digest), "rb")


def blob_exists(digest: str) -> bool:
    return _storage().exists(blob_path(digest))


def blob_size(digest: str) -> int:
    return _storage().size(blob_path(digest))


def blobs_usable(*, user, digests: list[str]) -> set[str]:
    """The digests this user may name in a manifest: blobs they uploaded, or that their entities already use."""
    wanted = list(dict.fromkeys(digests))
    usable: set[str] = set()
    entities = entities_for_user(user)
    for start in range(0, len(wanted), 1000):
        batch = wanted[start : start + 1000]
        usable.update(BlobHolder.objects.filter(user=user, blob_id__in=batch).values_list("blob_id", flat=True))
        rest = [d for d in batch if d not in usable]
        if rest:
            usable.update(
                ManifestEntry.objects.filter(blob_id__in=rest, version__collection__project__entity__in=entities)
                .values_list("blob_id", flat=True)
                .distinct()
            )
    return usable


def blobs_missing(*, user, digests: list[str]) -> list[str]:
    """The digests this user must upload before naming them, in the order asked, without duplicates.

    A blob another team stored counts as missing: the user proves they have the bytes by sending them.
    """
    wanted = list(dict.fromkeys(validate_digest(d) for d in digests))
    usable = blobs_usable(user=user, digests=wanted)
    return [d for d in wanted if d not in usable]


def _chunks(stream) -> Iterator[bytes]:
    if hasattr(stream, "read"):
        while chunk := stream.read(CHUNK_SIZE):
            yield chunk
    else:
        yield from stream


def _drain(stream) -> None:
    for _ in _chunks(stream):
        pass
