"""Section 3: a large file up and down through the client, beside `cp` and `sha256sum` of the same file."""

import os
import shutil
import subprocess

from bench.client import Client, file_sha256
from bench.config import TEAM, VAR
from bench.fixture import project_name
from bench.measure import RssSampler, timed

MIB = 1024 * 1024


def make_file(path: str, mib: int) -> None:
    """New random bytes each run: bytes a previous run sent are on the server already and would not be sent."""
    with open(path, "wb") as fh:
        for _ in range(mib):
            fh.write(os.urandom(MIB))


def run(base_url: str, api_key: str, server_pid: int, mib: int, log=print) -> dict:
    VAR.mkdir(parents=True, exist_ok=True)
    src = str(VAR / f"transfer-{mib}.bin")
    src_rc = str(VAR / f"transfer-{mib}-rc.bin")
    copy = str(VAR / "transfer.copy")
    back = str(VAR / "transfer.download")
    make_file(src, mib)
    size_mb = mib * MIB / 1e6
    try:
        cp_s = timed(lambda: subprocess.run(["cp", src, copy], check=True))
        sha_s = timed(lambda: subprocess.run(["sha256sum", src], check=True, capture_output=True))
        client = Client(base_url, api_key)
        name = f"transfer-{mib}mib-{os.getpid()}"
        with RssSampler(server_pid) as up_mem:
            up_s = timed(lambda: client.log_file(entity=TEAM, project=project_name(0), name=name, path=src))
        digest = file_sha256(src)
        with RssSampler(server_pid) as down_mem:
            down_s = timed(
                lambda: client.download(
                    entity=TEAM,
                    project=project_name(0),
                    name=name,
                    selector="latest",
                    path=os.path.basename(src),
                    dest=back,
                    digest=digest,
                )
            )
        # Other bytes of the same size: the same file would be found on the server and not sent again.
        make_file(src_rc, mib)
        real = real_client(base_url, api_key, server_pid, src_rc, name + "-rc")
    finally:
        for path in (copy, back, src, src_rc):
            if os.path.exists(path):
                os.unlink(path)
        shutil.rmtree(VAR / "client-cache", ignore_errors=True)
        shutil.rmtree(VAR / "client-download", ignore_errors=True)
    result = {
        "mib": mib,
        "cp_mbs": size_mb / cp_s,
        "sha_mbs": size_mb / sha_s,
        "ceiling_mbs": size_mb / (cp_s + sha_s),
        "upload_mbs": size_mb / up_s,
        "download_mbs": size_mb / down_s,
        "upload_growth_mib": up_mem.growth_mib,
        "download_growth_mib": down_mem.growth_mib,
        "upload_peak_mib": up_mem.peak_mib,
        "download_peak_mib": down_mem.peak_mib,
        **real,
    }
    log(
        f"    cp {result['cp_mbs']:.0f} MB/s, sha256sum {result['sha_mbs']:.0f} MB/s; "
        f"upload {result['upload_mbs']:.0f} MB/s (+{result['upload_growth_mib']:.0f} MiB), "
        f"download {result['download_mbs']:.0f} MB/s (+{result['download_growth_mib']:.0f} MiB)"
    )
    return result


def real_client(base_url: str, api_key: str, server_pid: int, src: str, name: str) -> dict:
    """The same file through the shared `registry_client` (a run's log_artifact; Api().artifact().download())."""
    os.environ.update(
        REGISTRY_BASE_URL=base_url, REGISTRY_API_KEY=api_key, REGISTRY_CACHE_DIR=str(VAR / "client-cache")
    )
    import registry_client as rc

    size_mb = os.path.getsize(src) / 1e6
    run = rc.init(entity=TEAM, project=project_name(0), job_type="bench")
    artifact = rc.Artifact(name, type="model")
    artifact.add_file(src)
    with RssSampler(server_pid) as up_mem:
        up_s = timed(lambda: run.log_artifact(artifact))
    run.finish()
    # An empty cache, so the download really comes over HTTP (the client may keep what it uploaded).
    shutil.rmtree(VAR / "client-cache", ignore_errors=True)
    with RssSampler(server_pid) as down_mem:
        down_s = timed(
            lambda: rc.Api().artifact(f"{TEAM}/{project_name(0)}/{name}:latest").download(VAR / "client-download")
        )
    return {
        "rc_upload_mbs": size_mb / up_s,
        "rc_download_mbs": size_mb / down_s,
        "rc_upload_growth_mib": up_mem.growth_mib,
        "rc_download_growth_mib": down_mem.growth_mib,
        "rc_upload_peak_mib": up_mem.peak_mib,
        "rc_download_peak_mib": down_mem.peak_mib,
    }
