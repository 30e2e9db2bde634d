"""The JSON API of the artifacts side, through Django's test client with Bearer keys."""

import hashlib
import io
import os
import zipfile

import pytest
from django.test import Client

from artifacts.models import ApiKey, ArtifactVersion, Blob, Run, RunInput

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

COMMIT = "/projects/acme/nature/artifacts"


def commit(api, manifest, name="nature-ckpt", type="model", **extra):
    return api.post(COMMIT, {"name": name, "type": type, "manifest": manifest, **extra})


def test_a_request_without_a_key_is_401_with_a_json_detail(api_as, project):
    response = api_as(None).get("/projects/acme/nature/artifacts")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication required: send 'Authorization: Bearer <API key>'."}


def test_a_revoked_key_is_401_and_changes_nothing(client, key_for, member, project):
    from artifacts.services import api_key_revoke

    raw = key_for(member)
    api_key_revoke(key=ApiKey.objects.get(user=member), user=member)
    response = client.post(
        "/api/v1" + COMMIT,
        data={"name": "x", "type": "model", "manifest": []},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or revoked API key."}
    assert not ArtifactVersion.objects.exists()


def test_a_key_records_when_it_was_used_to_the_minute_and_a_deactivated_user_is_refused(client, key_for, member):
    from datetime import timedelta

    from django.utils import timezone

    raw = key_for(member)
    key = ApiKey.objects.get(user=member)
    assert key.last_used_at is None

    def viewer():
        return client.get("/api/v1/viewer", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert viewer().json()["username"] == member.username
    key.refresh_from_db()
    first = key.last_used_at
    assert first is not None and timezone.now() - first < timedelta(seconds=10)
    assert viewer().status_code == 200
    key.refresh_from_db()
    assert key.last_used_at == first  # not rewritten within the minute
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first - timedelta(seconds=61))
    assert viewer().status_code == 200
    key.refresh_from_db()
    assert key.last_used_at > first

    member.is_active = False
    member.save(update_fields=["is_active"])
    response = viewer()
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or revoked API key."}


def test_missing_blobs_are_listed_in_the_order_asked(api_as, member, upload, project):
    api = api_as(member)
    present = upload(api, b"present")["digest"]
    absent = hashlib.sha256(b"absent").hexdigest()
    response = api.post("/blobs/missing", {"digests": [absent, present, absent]})
    assert response.status_code == 200
    assert response.json() == {"missing": [absent]}


def test_a_blob_whose_bytes_do_not_match_its_digest_is_refused_and_not_stored(api_as, member, project, settings):
    wrong = hashlib.sha256(b"something else").hexdigest()
    response = api_as(member).put(f"/blobs/{wrong}", raw=b"the bytes")
    assert response.status_code == 400
    actual = hashlib.sha256(b"the bytes").hexdigest()
    assert response.json() == {
        "detail": f"Digest mismatch: the bytes received hash to {actual}, not {wrong}. Nothing was stored."
    }
    assert not Blob.objects.exists()
    assert not os.path.exists(settings.BLOB_SPOOL_DIR) or os.listdir(settings.BLOB_SPOOL_DIR) == []


def test_committing_identical_content_twice_returns_the_same_version_with_200(api_as, member, upload, project):
    api = api_as(member)
    entry = upload(api, b"weights-1")
    first = commit(api, [entry], aliases=["best"])
    again = commit(api, [entry])
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["version"] == again.json()["version"] == "v0"
    assert first.json()["aliases"] == ["best", "latest"]
    assert first.json()["manifest"] == [{"path": "model.onnx", "digest": entry["digest"], "size": 9, "ref": ""}]


def test_a_path_escaping_the_root_is_refused_and_nothing_is_logged(api_as, member, upload, project):
    api = api_as(member)
    entry = upload(api, b"weights") | {"path": "../etc/passwd"}
    response = commit(api, [entry])
    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid path '../etc/passwd': '..' would escape the artifact's root."}
    assert not ArtifactVersion.objects.exists()


@pytest.mark.parametrize(
    "body, fragment",
    [
        ('{"name": "x", ', "Cannot parse request body"),
        ('{"name": "x", "type": "model", "manifest": [], "surprise": 1}', "surprise"),
        ('{"name": 3, "type": "model", "manifest": "nope"}', "manifest"),
    ],
)
def test_bad_json_unknown_fields_and_wrong_types_are_4xx_with_a_detail(api_as, member, project, body, fragment):
    response = api_as(member).post(COMMIT, body)
    assert 400 <= response.status_code < 500
    assert fragment in response.json()["detail"]
    assert not ArtifactVersion.objects.exists()


def test_an_oversized_json_body_is_refused_with_4xx(api_as, member, project, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_as(member).post(COMMIT, '{"name": "' + "x" * 2000 + '"}')
    assert 400 <= response.status_code < 500
    assert "detail" in response.json()


def test_an_outsider_gets_404_for_another_teams_private_artifact(api_as, outsider, log_model):
    log_model(b"weights")
    response = api_as(outsider).get("/resolve?ref=acme/nature/nature-ckpt:latest")
    assert response.status_code == 404
    assert response.json() == {"detail": "Entity 'acme' not found."}


def test_an_unknown_reference_is_404_with_its_name(api_as, member, log_model):
    log_model(b"weights")
    response = api_as(member).get("/resolve?ref=acme/nature/nature-ckpt:v7")
    assert response.status_code == 404
    assert response.json() == {"detail": "Artifact acme/nature/nature-ckpt:v7 not found: there is no version v7."}


def test_a_viewer_may_read_but_not_commit(api_as, viewer, member, upload, project):
    entry = upload(api_as(member), b"weights")
    response = commit(api_as(viewer), [entry])
    assert response.status_code == 403
    assert response.json() == {"detail": "Your role in 'acme' is viewer: it may read but not change."}
    assert api_as(viewer).get(COMMIT).status_code == 200


def test_versions_are_paged_newest_first_with_a_cursor(api_as, member, log_model):
    for i in range(5):
        log_model(f"weights-{i}".encode())
    api = api_as(member)
    first = api.get(COMMIT + "/nature-ckpt/versions?limit=2").json()
    assert [v["version"] for v in first["items"]] == ["v4", "v3"]
    second = api.get(COMMIT + f"/nature-ckpt/versions?limit=2&cursor={first['next_cursor']}").json()
    assert [v["version"] for v in second["items"]] == ["v2", "v1"]
    third = api.get(COMMIT + f"/nature-ckpt/versions?limit=2&cursor={second['next_cursor']}").json()
    assert [v["version"] for v in third["items"]] == ["v0"] and third["next_cursor"] is None


def test_an_alias_is_set_moved_and_removed(api_as, member, log_model):
    log_model(b"a")
    log_model(b"b")
    api = api_as(member)
    assert api.put(COMMIT + "/nature-ckpt/aliases/best", {"version": "v0"}).json() == {"alias": "best", "version": "v0"}
    assert api.put(COMMIT + "/nature-ckpt/aliases/best", {"version": "v1"}).status_code == 200
    assert api.get(COMMIT + "/nature-ckpt/versions/best").json()["version"] == "v1"
    assert api.delete(COMMIT + "/nature-ckpt/aliases/best").status_code == 204
    assert api.get(COMMIT + "/nature-ckpt/versions/best").status_code == 404


def test_a_run_is_created_finished_and_records_what_it_used(api_as, member, log_model):
    log_model(b"data", name="digits", type="dataset")
    api = api_as(member)
    run = api.post("/projects/acme/nature/runs", {"job_type": "training", "config": {"lr": 0.01}})
    assert run.status_code == 201
    run_id = run.json()["id"]
    used = api.post(f"/projects/acme/nature/runs/{run_id}/use", {"ref": "digits:latest"})
    assert used.status_code == 200 and used.json()["name"] == "digits"
    finished = api.post(f"/projects/acme/nature/runs/{run_id}/finish", {"state": "failed"})
    assert finished.json()["state"] == "failed"
    assert RunInput.objects.get().run.run_id == run_id
    assert Run.objects.get().state == Run.FAILED


def test_a_file_downloads_whole_and_by_range(api_as, member, log_model):
    log_model(b"0123456789")
    url = COMMIT + "/nature-ckpt/versions/v0/files/model.onnx"
    api = api_as(member)
    whole = api.get(url)
    assert whole.status_code == 200
    assert b"".join(whole.streaming_content) == b"0123456789"
    assert whole["Content-Length"] == "10"
    assert whole["ETag"] == f'"{hashlib.sha256(b"0123456789").hexdigest()}"'
    assert whole["Accept-Ranges"] == "bytes"
    assert whole["Cache-Control"] == "private, max-age=31536000, immutable"
    part = api.get(url, HTTP_RANGE="bytes=2-4")
    assert part.status_code == 206
    assert b"".join(part.streaming_content) == b"234"
    assert part["Content-Range"] == "bytes 2-4/10"
    tail = api.get(url, HTTP_RANGE="bytes=-3")
    assert b"".join(tail.streaming_content) == b"789"
    beyond = api.get(url, HTTP_RANGE="bytes=10-")
    assert beyond.status_code == 416 and beyond["Content-Range"] == "bytes */10"


def test_a_file_path_escaping_the_root_is_refused(api_as, member, log_model):
    log_model(b"weights")
    response = api_as(member).get(COMMIT + "/nature-ckpt/versions/v0/files/a/../../secret")
    assert response.status_code == 400
    assert "would escape" in response.json()["detail"]


def test_a_whole_version_downloads_as_a_zip(api_as, member, upload, project):
    api = api_as(member)
    entries = [upload(api, b"weights", "model.onnx"), upload(api, b"labels", "meta/labels.txt")]
    commit(api, entries)
    response = api.get(COMMIT + "/nature-ckpt/versions/latest/zip")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.read("model.onnx") == b"weights"
    assert archive.read("meta/labels.txt") == b"labels"


def test_a_blob_sent_without_a_content_length_is_refused_with_411(api_as, member):
    from artifacts.models import Blob

    response = api_as(member).put(f"/blobs/{'a' * 64}", raw=b"", CONTENT_LENGTH="")
    assert response.status_code == 411
    assert response.json() == {"detail": "Content-Length is required: send the blob with its length, not chunked."}
    assert not Blob.objects.exists()


def test_an_unknown_api_address_answers_json_404(api_as, member):
    response = api_as(member).get("/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"detail": "No API endpoint at /api/v1/no-such-thing."}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_to_an_unknown_api_address_answers_json_404_not_the_csrf_page(method, key_for, member):
    # A model name with an encoded slash decodes to a path no endpoint has.
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {key_for(member)}")
    response = getattr(client, method)("/api/v1/registry/acme/models/a%2Fb/versions", "{}", "application/json")
    assert response.status_code == 404
    assert response.json() == {"detail": "No API endpoint at /api/v1/registry/acme/models/a/b/versions."}
