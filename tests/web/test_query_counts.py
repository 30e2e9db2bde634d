"""List pages run a fixed number of SQL queries however many rows they show (200+ rows each)."""

import pytest
from django.urls import reverse

from registry.models import RegistryAlias, RegistryEvent, Tag
from tests import factories as f

pytestmark = [pytest.mark.django_db]

MANY = 210


def _fill_runs(project, member):
    versions = f.VersionFactory.create_batch(MANY, collection__project=project)
    runs = f.RunFactory.create_batch(MANY, project=project, created_by=member)
    for run, version in zip(runs, versions, strict=True):
        version.run = run
        version.save(update_fields=["run"])
        run.inputs.create(version=versions[0])
    return versions


def test_the_runs_tab_is_a_fixed_number_of_queries(client_for, member, project, django_assert_max_num_queries):
    _fill_runs(project, member)
    client = client_for(member)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("artifacts:project_runs", args=["acme", "nature"]))
    assert response.content.decode().count('class="state') == 25


def test_the_artifacts_tab_is_a_fixed_number_of_queries(client_for, member, project, django_assert_max_num_queries):
    for collection in f.CollectionFactory.create_batch(MANY, project=project):
        f.VersionFactory.create_batch(2, collection=collection)
    client = client_for(member)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("artifacts:project_artifacts", args=["acme", "nature"]))
    assert response.status_code == 200


def test_the_collection_page_lists_every_version_in_a_fixed_number_of_queries(
    client_for, member, project, django_assert_max_num_queries
):
    collection = f.CollectionFactory(project=project, name="ckpt")
    runs = f.RunFactory.create_batch(3, project=project)
    versions = [f.VersionFactory(collection=collection, index=i, run=runs[i % 3]) for i in range(MANY)]
    for version in versions[::10]:
        version.aliases.create(collection=collection, name=f"best{version.index}")
    client = client_for(member)
    url = reverse("artifacts:collection_detail", args=["acme", "nature", "ckpt"])
    with django_assert_max_num_queries(10):
        response = client.get(url, {"page": 3})
    html = response.content.decode()
    assert html.count("<strong>v") == 25
    assert "<strong>v150</strong>" in html and "best150" in html and runs[150 % 3].run_id in html
    assert f"Page 3 of {-(-MANY // 25)}" in html


def test_the_entity_page_is_a_fixed_number_of_queries(client_for, member, team, django_assert_max_num_queries):
    f.ProjectFactory.create_batch(MANY, entity=team)
    client = client_for(member)
    with django_assert_max_num_queries(10):
        assert client.get("/acme/").status_code == 200


def test_the_files_tab_is_a_fixed_number_of_queries(client_for, member, project, django_assert_max_num_queries):
    version = f.VersionFactory(collection__project=project, collection__name="big", index=0)
    for i in range(MANY):
        f.ManifestEntryFactory(version=version, path=f"dir{i % 7}/file{i:04}.bin")
    client = client_for(member)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("artifacts:version_files", args=["acme", "nature", "big", 0]))
    assert response.content.decode().count(" download>") == 100


def test_the_version_page_is_a_fixed_number_of_queries(client_for, member, project, django_assert_max_num_queries):
    versions = _fill_runs(project, member)
    first = versions[0]
    client = client_for(member)
    with django_assert_max_num_queries(14):
        url = reverse("artifacts:version_detail", args=["acme", "nature", first.collection.name, first.index])
        assert client.get(url).status_code == 200


def _fill_registry(team, project):
    models = f.RegisteredModelFactory.create_batch(MANY, entity=team)
    for model in models:
        version = f.ModelVersionFactory(registered_model=model, artifact_version__collection__project=project)
        RegistryAlias.objects.create(registered_model=model, name="latest", version=version)
        Tag.objects.create(registered_model=model, name="vision")
    return models


def test_the_registry_list_is_a_fixed_number_of_queries(
    client_for, member, team, project, django_assert_max_num_queries
):
    _fill_registry(team, project)
    client = client_for(member)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("registry:model_list", args=["acme"]), {"tag": "vision"})
    assert response.content.decode().count('class="chip tag"') == 25


def test_the_registered_model_page_is_a_fixed_number_of_queries(
    client_for, member, team, project, django_assert_max_num_queries
):
    model = f.RegisteredModelFactory(entity=team, name="Big")
    collection = f.CollectionFactory(project=project)
    links = [
        f.ModelVersionFactory(
            registered_model=model,
            index=i,
            artifact_version=f.VersionFactory(collection=collection, index=i, metadata={"accuracy": i / MANY}),
        )
        for i in range(MANY)
    ]
    for i, link in enumerate(links):
        RegistryAlias.objects.create(registered_model=model, name=f"alias{i}", version=link)
        RegistryEvent.objects.create(
            registered_model=model, kind=RegistryEvent.ALIAS_MOVED, alias=f"alias{i}", to_version=link
        )
    client = client_for(member)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("registry:model_detail", args=["acme", "Big"]))
    html = response.content.decode()
    assert html.count('<tr id="version-v') == 25
    assert "<polyline" in html


def test_home_is_a_fixed_number_of_queries(client_for, member, team, project, django_assert_max_num_queries):
    for model in _fill_registry(team, project):
        RegistryEvent.objects.create(registered_model=model, kind=RegistryEvent.MODEL_CREATED, actor=member)
    client = client_for(member)
    with django_assert_max_num_queries(10):
        assert client.get("/").status_code == 200


def test_card_history_is_a_fixed_number_of_queries(client_for, member, team, django_assert_max_num_queries):
    model = f.RegisteredModelFactory(entity=team, name="Documented")
    for n in range(1, MANY + 1):
        model.card_revisions.create(number=n, body=f"revision {n}", author=member)
    client = client_for(member)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("registry:card_history", args=["acme", "Documented"]), {"a": 1, "b": 2})
    assert response.status_code == 200
