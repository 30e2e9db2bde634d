"""The content-addressed blob store: verified while streamed, whole or not at all."""

import hashlib
import io
import os

import pytest
from django.conf import settings

from artifacts.blobstore import blob_exists, blob_open, blob_put, blob_size, blobs_missing
from artifacts.errors import InvalidInput
from artifacts.models import Blob

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def spool_files():
    return os.listdir(settings.BLOB_SPOOL_DIR) if os.path.isdir(settings.BLOB_SPOOL_DIR) else []


def test_a_blob_is_stored_under_its_digest_and_reads_back():
    data = os.urandom(3 * 1024 * 1024 + 17)
    digest = hashlib.sha256(data).hexdigest()
    blob = blob_put(stream=io.BytesIO(data), digest=digest)
    assert (blob.digest, blob.size) == (digest, len(data))
    assert blob_exists(digest) and blob_size(digest) == len(data)
    with blob_open(digest) as fh:
        assert fh.read() == data
    assert spool_files() == []


def test_wrong_bytes_are_refused_and_nothing_is_left_behind():
    claimed = hashlib.sha256(b"what the client says").hexdigest()
    with pytest.raises(InvalidInput, match=f"^Digest mismatch: the bytes received hash to .*, not {claimed}"):
        blob_put(stream=io.BytesIO(b"what actually arrived"), digest=claimed)
    assert not blob_exists(claimed)
    assert not Blob.objects.filter(digest=claimed).exists()
    assert spool_files() == []


def test_a_size_mismatch_is_refused():
    data = b"abc"
    with pytest.raises(InvalidInput, match="Size mismatch: received 3 bytes, expected 4."):
        blob_put(stream=io.BytesIO(data), digest=hashlib.sha256(data).hexdigest(), expected_size=4)
    assert not Blob.objects.exists()


def test_a_malformed_digest_is_refused():
    with pytest.raises(InvalidInput, match="Invalid sha256 digest 'ABC'"):
        blob_put(stream=io.BytesIO(b"x"), digest="ABC")


def test_putting_a_blob_twice_keeps_one_copy():
    data = b"same bytes"
    digest = hashlib.sha256(data).hexdigest()
    blob_put(stream=io.BytesIO(data), digest=digest)
    blob_put(stream=iter([b"same ", b"bytes"]), digest=digest)
    assert Blob.objects.filter(digest=digest).count() == 1
    folder = os.path.join(settings.BLOB_ROOT, "sha256", digest[:2], digest[2:4])
    assert os.listdir(folder) == [digest]


def test_missing_lists_only_what_the_user_lacks_in_order(member):
    have = hashlib.sha256(b"have").hexdigest()
    blob_put(stream=io.BytesIO(b"have"), digest=have, user=member)
    lack_a, lack_b = "a" * 64, "b" * 64
    assert blobs_missing(user=member, digests=[lack_b, have, lack_a, lack_b]) == [lack_b, lack_a]


def test_a_blob_another_team_stored_counts_as_missing_until_its_bytes_are_sent(member, outsider):
    secret = b"acme's private weights"
    digest = hashlib.sha256(secret).hexdigest()
    blob_put(stream=io.BytesIO(secret), digest=digest, user=member)
    assert blobs_missing(user=outsider, digests=[digest]) == [digest]
    with pytest.raises(InvalidInput):
        blob_put(stream=io.BytesIO(b"a guess"), digest=digest, user=outsider)
    assert blobs_missing(user=outsider, digests=[digest]) == [digest]
    blob_put(stream=io.BytesIO(secret), digest=digest, user=outsider)
    assert blobs_missing(user=outsider, digests=[digest]) == []


def test_team_members_may_use_the_blobs_their_team_already_uses(project, member, admin, put_blob):
    from artifacts.services import artifact_version_log

    entry = put_blob(b"shared weights", user=member)
    artifact_version_log(project=project, name="m", type="model", entries=[entry], user=member)
    assert blobs_missing(user=admin, digests=[entry["digest"]]) == []
