"""A 200 MB upload and download keep the server's peak memory growth under 50 MB, measured, not guessed.

pytest-django's live server runs in a thread of this process, so this process's peak RSS (VmHWM, reset
through /proc/self/clear_refs) bounds the server's growth; the client runs here too, so it is held to it as well.
"""

import hashlib
import os
from pathlib import Path

import pytest

import registry_client as rc
from artifacts.models import Blob

pytestmark = pytest.mark.django_db(transaction=True)

SIZE = 200 * 1024 * 1024
LIMIT = 50 * 1024 * 1024


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"{field} missing from /proc/self/status")


def _peak_growth(action) -> int:
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak to the current RSS
    before = _status("VmRSS")
    assert _status("VmHWM") - before < 4 * 1024 * 1024, "the peak did not reset"
    action()
    return _status("VmHWM") - before


def test_a_200_mb_upload_and_download_keep_memory_growth_under_50_mb(client_env, project, member, tmp_path):
    client_env(member)
    big = tmp_path / "big.bin"
    hasher = hashlib.sha256()
    with open(big, "wb") as fh:
        block = os.urandom(1024 * 1024)
        for i in range(SIZE // len(block)):
            chunk = i.to_bytes(8, "big") + block[8:]  # distinct blocks, cheap to make
            hasher.update(chunk)
            fh.write(chunk)
    digest = hasher.hexdigest()
    run = rc.init(entity="acme", project="nature", job_type="training")
    art = rc.Artifact("big", type="model")
    art.add_file(big)

    uploaded = {}
    upload_growth = _peak_growth(lambda: uploaded.update(logged=run.log_artifact(art)))
    assert Blob.objects.get(digest=digest).size == SIZE

    downloaded = {}
    download_growth = _peak_growth(lambda: downloaded.update(root=uploaded["logged"].download(root="out")))
    out = Path(downloaded["root"]) / "big.bin"
    assert out.stat().st_size == SIZE

    assert upload_growth < LIMIT, f"upload grew the peak RSS by {upload_growth / 2**20:.1f} MB"
    assert download_growth < LIMIT, f"download grew the peak RSS by {download_growth / 2**20:.1f} MB"
