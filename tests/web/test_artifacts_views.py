"""The artifacts pages: sign-in, API keys, team members, project tabs, the version page, files and downloads."""

import pytest
from django.urls import reverse

from artifacts.models import ApiKey, Membership
from tests.web.conftest import htmx

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

VERSION = ["acme", "nature", "nature-ckpt", 0]


def test_signing_in_and_out_works_through_the_forms(client, member):
    response = client.post(reverse("artifacts:login"), {"username": "bob", "password": "pw-for-tests-1"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.post(reverse("artifacts:logout")).status_code == 302
    assert client.get("/").status_code == 302


def test_a_wrong_password_shows_an_error(client, member):
    response = client.post(reverse("artifacts:login"), {"username": "bob", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_a_new_api_key_is_shown_once_in_full(client_for, member):
    client = client_for(member)
    response = htmx(client, "post", reverse("artifacts:profile"), {"name": "laptop"})
    html = response.content.decode()
    key = ApiKey.objects.get(user=member)
    raw = html.split('<code id="new-api-key">')[1].split("</code>")[0]
    assert raw.startswith(key.prefix) and len(raw) > 40
    assert 'data-copy="new-api-key"' in html
    assert raw not in client.get(reverse("artifacts:profile")).content.decode()


def test_a_key_made_without_javascript_is_shown_once_after_a_redirect(client_for, member):
    client = client_for(member)
    response = client.post(reverse("artifacts:profile"), {"name": "laptop"})
    assert response.status_code == 302
    assert response["Location"] == reverse("artifacts:profile")
    key = ApiKey.objects.get(user=member)
    html = client.get(reverse("artifacts:profile")).content.decode()
    raw = html.split('<code id="new-api-key">')[1].split("</code>")[0]
    assert raw.startswith(key.prefix) and len(raw) > 40
    again = client.get(reverse("artifacts:profile")).content.decode()
    assert raw not in again and 'id="new-api-key"' not in again
    assert ApiKey.objects.filter(user=member).count() == 1


def test_a_key_name_too_long_is_refused(client_for, member):
    response = client_for(member).post(reverse("artifacts:profile"), {"name": "x" * 101})
    assert "at most 100 characters" in response.content.decode()
    assert not ApiKey.objects.exists()


def test_revoking_a_key_works_and_only_for_its_owner(client_for, member, outsider):
    from artifacts.services import api_key_create

    key, _ = api_key_create(user=member, name="ci")
    url = reverse("artifacts:api_key_revoke", args=[key.pk])
    assert client_for(outsider).post(url).status_code == 404
    assert client_for(member).post(url).status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_an_admin_adds_changes_and_removes_members(client_for, admin, outsider, team):
    client = client_for(admin)
    url = reverse("artifacts:team_settings", args=["acme"])
    assert client.post(url, {"username": "mallory", "role": "viewer"}).status_code == 302
    assert Membership.objects.get(entity=team, user=outsider).role == "viewer"
    assert client.post(url, {"username": "ghost", "role": "viewer"}).status_code == 400
    assert client.post(url, {"username": "mallory", "role": "owner"}).status_code == 400
    assert client.post(reverse("artifacts:member_remove", args=["acme", outsider.pk])).status_code == 302
    assert not Membership.objects.filter(entity=team, user=outsider).exists()


def test_the_last_admin_cannot_be_demoted(client_for, admin, team):
    response = client_for(admin).post(
        reverse("artifacts:team_settings", args=["acme"]), {"username": "alice", "role": "member"}
    )
    assert response.status_code == 400
    assert "must keep at least one admin" in response.content.decode()
    assert Membership.objects.get(entity=team, user=admin).role == "admin"


def test_members_cannot_change_members(client_for, member, outsider, team):
    response = client_for(member).post(
        reverse("artifacts:team_settings", args=["acme"]), {"username": "mallory", "role": "admin"}
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(user=outsider).exists()


def test_the_entity_page_links_the_model_registry_and_integrations_for_admins(client_for, admin, member, project):
    admin_page = client_for(admin).get("/acme/").content.decode()
    member_page = client_for(member).get("/acme/").content.decode()
    assert 'href="/acme/model-registry/"' in admin_page and 'href="/acme/model-registry/"' in member_page
    assert 'href="/acme/integrations/"' in admin_page
    assert 'href="/acme/integrations/"' not in member_page
    assert "nature" in member_page


def test_the_runs_tab_shows_what_each_run_logged_and_used(client_for, member, project, put_blob):
    from artifacts.services import artifact_version_log, run_create, run_use_version

    run = run_create(project=project, user=member, job_type="training", config={"lr": 0.25})
    data, _ = artifact_version_log(
        project=project, name="digits", type="dataset", entries=[put_blob(b"d")], user=member
    )
    run_use_version(run=run, version=data, user=member)
    artifact_version_log(project=project, name="ckpt", type="model", entries=[put_blob(b"w")], user=member, run=run)
    html = client_for(member).get(reverse("artifacts:project_runs", args=["acme", "nature"])).content.decode()
    assert "training" in html and "lr=0.25" in html
    assert "ckpt:v0" in html and "digits:v0" in html
    run_html = client_for(member).get(reverse("artifacts:run_detail", args=["acme", "nature", run.run_id])).content
    assert b"ckpt:v0" in run_html and b"digits:v0" in run_html


def test_the_artifacts_tab_groups_by_type_then_collection_newest_first(client_for, member, log_model):
    log_model(b"a")
    log_model(b"b")
    log_model(b"rows", name="digits", type="dataset")
    html = client_for(member).get(reverse("artifacts:project_artifacts", args=["acme", "nature"])).content.decode()
    assert html.index("<h2>dataset</h2>") < html.index("<h2>model</h2>")
    assert html.index("nature-ckpt:v1") < html.index("nature-ckpt:v0")


def test_the_version_page_shows_facts_nested_metadata_lineage_and_links(client_for, member, registered, checkpoint):
    html = client_for(member).get(reverse("artifacts:version_detail", args=VERSION)).content.decode()
    assert "nature-ckpt:v0" in html
    assert f"sha256:{checkpoint.digest}" in html
    assert "<strong>layers</strong>" in html and "<strong>hidden</strong>" in html and "[0]" in html
    assert "Nature Classifier:v0" in html
    assert 'id="lineage"' in html


def test_the_files_tab_shows_a_tree_and_downloads_stream_the_bytes(client_for, member, project, put_blob):
    from artifacts.services import artifact_version_log

    entries = [put_blob(b"weights", "model.onnx"), put_blob(b'{"a": 1}', "config/labels.json")]
    entries.append({"path": "data/train.csv", "ref": "s3://bucket/train.csv", "size": 10})
    artifact_version_log(project=project, name="nature-ckpt", type="model", entries=entries, user=member)
    client = client_for(member)
    html = client.get(reverse("artifacts:version_files", args=VERSION)).content.decode()
    assert "config/" in html and "labels.json" in html and "s3://bucket/train.csv" in html
    response = client.get(reverse("artifacts:file_download", args=[*VERSION, "config/labels.json"]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b'{"a": 1}'
    assert 'attachment; filename="labels.json"' in response["Content-Disposition"]
    assert client.get(reverse("artifacts:file_download", args=[*VERSION, "data/train.csv"])).status_code == 404
    assert client.get(reverse("artifacts:file_download", args=[*VERSION, "missing.bin"])).status_code == 404


def test_a_page_number_out_of_range_shows_the_last_page(client_for, member, project):
    response = client_for(member).get(reverse("artifacts:project_runs", args=["acme", "nature"]), {"page": "999"})
    assert response.status_code == 200
    assert (
        client_for(member).get(reverse("artifacts:project_runs", args=["acme", "nature"]), {"page": "x"}).status_code
        == 200
    )


def test_anyone_signed_in_can_make_a_team_and_becomes_its_admin(client_for, outsider, team):
    client = client_for(outsider)
    response = client.post(reverse("artifacts:team_new"), {"name": "umbrella", "description": ""})
    assert response.status_code == 302 and response["Location"] == "/umbrella/"
    assert Membership.objects.get(entity__name="umbrella", user=outsider).role == "admin"
    taken = client.post(reverse("artifacts:team_new"), {"name": "ACME"})
    assert taken.status_code == 400 and "already taken" in taken.content.decode()
    assert client.post(reverse("artifacts:team_new"), {"name": "bad name"}).status_code == 400


def test_error_pages_say_what_is_missing_in_the_sites_look(client_for, outsider, project):
    response = client_for(outsider).get("/acme/nature/")
    assert response.status_code == 404
    assert "Model registry" in response.content.decode()


def test_older_versions_are_reachable_from_the_artifacts_tab_and_the_version_page(client_for, member, log_model):
    for i in range(7):
        log_model(f"weights-{i}".encode())
    client = client_for(member)
    collection_url = reverse("artifacts:collection_detail", args=["acme", "nature", "nature-ckpt"])
    tab = client.get(reverse("artifacts:project_artifacts", args=["acme", "nature"])).content.decode()
    assert f'<a href="{collection_url}">and 2 older…</a>' in tab
    version_page = client.get(reverse("artifacts:version_detail", args=["acme", "nature", "nature-ckpt", 0]))
    assert f'<a href="{collection_url}">nature-ckpt</a>' in version_page.content.decode()
    listing = client.get(collection_url).content.decode()
    assert all(f"<strong>v{i}</strong>" in listing for i in range(7))
    assert client.get(reverse("artifacts:collection_detail", args=["acme", "nature", "nope"])).status_code == 404
