"""The installed `registry` command, run as a subprocess against the live server: output and exit codes."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from registry.models import ModelVersion

pytestmark = pytest.mark.django_db(transaction=True)

REGISTRY = str(Path(sys.executable).with_name("registry"))


def registry(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([REGISTRY, *args], capture_output=True, text=True, input=stdin, timeout=120, env=os.environ)


def test_login_checks_the_key_and_stores_it_readable_by_the_user_only(
    client_env, project, member, tmp_path, monkeypatch
):
    key = client_env(member)
    monkeypatch.delenv("REGISTRY_API_KEY")
    url = os.environ["REGISTRY_BASE_URL"]
    result = registry("login", "--host", url, "--key", key)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Logged in to {url} as bob;")
    config = tmp_path / "config" / "config.json"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert json.loads(config.read_text()) == {"base_url": url, "api_key": key}
    # Later commands need no environment: the stored key is used.
    assert registry("artifact", "ls", "acme/nature").returncode == 0


def test_login_with_a_wrong_key_fails_with_exit_3_and_stores_nothing(client_env, member, tmp_path, monkeypatch):
    client_env(member)
    monkeypatch.delenv("REGISTRY_API_KEY")
    result = registry("login", "--host", os.environ["REGISTRY_BASE_URL"], "--key", "rk_not-a-key")
    assert result.returncode == 3
    assert result.stderr.strip() == "registry: error: Invalid or revoked API key."
    assert not (tmp_path / "config" / "config.json").exists()


def test_put_ls_link_and_get_round_trip_the_bytes(client_env, project, member, write, tmp_path):
    client_env(member)
    model_dir = Path(write("model/model.onnx", b"onnx bytes")).parent
    write("model/labels.txt", b"0\n1\n")
    put = registry(
        "artifact",
        "put",
        str(model_dir),
        "--project",
        "acme/nature",
        "--name",
        "ckpt",
        "--type",
        "model",
        "--alias",
        "best",
    )
    assert put.returncode == 0, put.stderr
    assert put.stdout.strip() == "acme/nature/ckpt:v0"
    ls = registry("artifact", "ls", "acme/nature")
    assert ls.stdout.splitlines() == ["ckpt\tmodel\t1"]
    linked = registry("link", "acme/nature/ckpt:best", "acme/model-registry/Nature Classifier", "--alias", "staging")
    assert linked.stdout.strip() == "acme/model-registry/Nature Classifier:v0"
    got = registry("artifact", "get", "acme/model-registry/Nature Classifier:staging", "--root", str(tmp_path / "out"))
    assert got.returncode == 0 and got.stdout.strip() == str(tmp_path / "out")
    assert (tmp_path / "out" / "model.onnx").read_bytes() == b"onnx bytes"
    assert (tmp_path / "out" / "labels.txt").read_bytes() == b"0\n1\n"


def test_an_unknown_reference_exits_5_with_the_servers_message(client_env, member, project):
    client_env(member)
    result = registry("artifact", "get", "acme/nature/nothing:latest")
    assert result.returncode == 5
    assert result.stderr.strip() == "registry: error: Artifact acme/nature/nothing not found."


def test_a_viewer_linking_exits_4_and_nothing_is_linked(client_env, viewer, log_model):
    log_model(b"weights")
    client_env(viewer)
    result = registry("link", "acme/nature/nature-ckpt:v0", "acme/model-registry/Nature Classifier")
    assert result.returncode == 4
    assert "viewer: it may read but not change" in result.stderr
    assert not ModelVersion.objects.exists()


def test_sync_uploads_an_offline_run(client_env, project, member, write, tmp_path):
    import registry_client as rc

    client_env(member)
    run = rc.init(entity="acme", project="nature", mode="offline", dir=tmp_path / "offline")
    art = rc.Artifact("ckpt", type="model")
    art.add_file(write("model.onnx", b"offline"))
    run.log_artifact(art)
    run.finish()
    result = registry("sync", str(tmp_path / "offline"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"synced run {run.id}"
    assert rc.Api().artifact("acme/nature/ckpt:latest").version == "v0"


def test_the_client_imports_without_django():
    code = "import sys, registry_client; assert 'django' not in sys.modules, 'django was imported'"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60).returncode == 0


@pytest.mark.parametrize(
    "base_url, problem",
    [
        ("{host}", "it must start with http:// or https://"),
        ("ftp://{host}", "it must start with http:// or https://"),
        ("http://[::1", "Invalid IPv6 URL"),
    ],
)
def test_a_base_url_the_client_cannot_use_is_a_clear_error_with_exit_2(
    client_env, member, monkeypatch, base_url, problem
):
    client_env(member)
    base_url = base_url.format(host=urlsplit(os.environ["REGISTRY_BASE_URL"]).netloc)
    monkeypatch.setenv("REGISTRY_BASE_URL", base_url)
    result = registry("artifact", "ls", "acme/nature")
    assert result.returncode == 2
    assert result.stderr == (
        f"registry: error: Cannot use {base_url!r} as the registry's address: {problem}. "
        "Check REGISTRY_BASE_URL (an address such as https://registry.example.com).\n"
    )


def test_login_to_a_host_without_a_scheme_names_the_host_option_and_stores_nothing(
    client_env, member, tmp_path, monkeypatch
):
    key = client_env(member)
    monkeypatch.delenv("REGISTRY_BASE_URL")
    monkeypatch.delenv("REGISTRY_API_KEY")
    result = registry("login", "--host", "127.0.0.1:8000", "--key", key)
    assert result.returncode == 2
    assert result.stderr == (
        "registry: error: Cannot use '127.0.0.1:8000' as the registry's address: it must start with http:// or "
        "https://. Check --host (an address such as https://registry.example.com).\n"
    )
    assert not (tmp_path / "config" / "config.json").exists()


def test_a_download_that_keeps_breaking_off_exits_7_and_leaves_no_file(
    client_env, member, log_model, breaking_registry, monkeypatch, tmp_path
):
    log_model(os.urandom(64 * 1024))
    client_env(member)
    monkeypatch.setenv("REGISTRY_BASE_URL", breaking_registry.url)
    breaking_registry.breaks = 100
    result = registry("artifact", "get", "acme/nature/nature-ckpt:v0", "--root", str(tmp_path / "out"))
    assert result.returncode == 7
    assert result.stderr.startswith(
        f"registry: error: The registry at {breaking_registry.url} broke off its answer to GET /projects/acme/"
        "nature/artifacts/nature-ckpt/versions/v0/files/model.onnx midway, 5 times: "
    )
    assert [p for folder in ("out", "cache") for p in (tmp_path / folder).rglob("*") if p.is_file()] == []


def test_a_proxy_refusing_the_credentials_exits_3_without_printing_the_password(
    client_env, member, monkeypatch, refusing_proxy
):
    proxy, credentials = refusing_proxy
    client_env(member)
    monkeypatch.setenv("HTTP_PROXY", proxy.replace("http://", "http://ci-bot:hunter2@"))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    result = registry("artifact", "ls", "acme/nature")
    assert result.returncode == 3
    assert "refused the credentials (HTTP 407 Proxy Authentication Required)" in result.stderr
    assert "check the user:password in HTTP_PROXY" in result.stderr
    assert "hunter2" not in result.stderr


def test_getting_into_a_folder_that_cannot_be_made_is_exit_2(client_env, project, member, write):
    client_env(member)
    assert (
        registry(
            "artifact", "put", write("m.bin", b"w"), "--project", "acme/nature", "--name", "m", "--type", "model"
        ).returncode
        == 0
    )
    result = registry("artifact", "get", "acme/nature/m:v0", "--root", "/proc/not-here")
    assert result.returncode == 2 and result.stderr.startswith("registry: error:")
    assert "Traceback" not in result.stderr


def test_downloaded_files_get_the_usual_mode_not_0600(client_env, project, member, write, tmp_path):
    client_env(member)
    registry("artifact", "put", write("m.bin", b"w"), "--project", "acme/nature", "--name", "m", "--type", "model")
    assert registry("artifact", "get", "acme/nature/m:v0", "--root", str(tmp_path / "out")).returncode == 0
    mode = stat.S_IMODE((tmp_path / "out" / "m.bin").stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask
