"""Streamed, immutable downloads of blobs with Range and ETag: one response for the API and the pages."""

import re
from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from artifacts.blobstore import CHUNK_SIZE, blob_open

# A blob never changes under its digest: browsers and proxies may keep it for a year.
IMMUTABLE = "private, max-age=31536000, immutable"

_RANGE_RE = re.compile(r"bytes=(\d*)-(\d*)")


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """(start, end inclusive) of a single-range header; None when the header is ignored; raises on 416."""
    match = _RANGE_RE.fullmatch(header.strip())
    if not match or (not match.group(1) and not match.group(2)):
        return None  # RFC 9110: an unparsable or multi-range header may be ignored (we answer 200 whole)
    first, last = match.group(1), match.group(2)
    if first:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
        if start >= size or (last and int(last) < start):
            raise _Unsatisfiable()
    else:
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise _Unsatisfiable()
        start, end = max(0, size - suffix), size - 1
    return start, end


class _Unsatisfiable(Exception):
    pass


def _read_range(digest: str, start: int, length: int) -> Iterator[bytes]:
    with blob_open(digest) as fh:
        fh.seek(start)
        remaining = length
        while remaining > 0:
            chunk = fh.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk


def blob_response(request: HttpRequest, *, digest: str, size: int, filename: str) -> HttpResponse:
    """A streamed, immutable download of a blob with Range support."""
    etag = f'"{digest}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
        response["ETag"] = etag
        return response
    status, start, length = 200, 0, size
    header = request.headers.get("Range")
    if header and request.headers.get("If-Range", etag) == etag:
        try:
            span = _byte_range(header, size)
        except _Unsatisfiable:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        if span is not None:
            start, end = span
            status, length = 206, end - start + 1
    if request.method == "HEAD":
        response = HttpResponse(status=status)
    else:
        response = StreamingHttpResponse(_read_range(digest, start, length), status=status)
    response["Content-Type"] = "application/octet-stream"
    response["Content-Length"] = str(length)
    response["ETag"] = etag
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = IMMUTABLE
    response["Content-Disposition"] = content_disposition_header(True, filename)
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{start + length - 1}/{size}"
    return response
