"""factory_boy factories for rows that need no rules (fixtures for pages and query counts)."""

import hashlib

import factory
from django.contrib.auth import get_user_model

from artifacts import models as am
from registry import models as rm


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw-for-tests-1")


class EntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.Entity

    name = factory.Sequence(lambda n: f"team{n}")
    kind = am.Entity.TEAM


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.Project

    entity = factory.SubFactory(EntityFactory)
    name = factory.Sequence(lambda n: f"project{n}")


class RunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.Run

    project = factory.SubFactory(ProjectFactory)
    job_type = "training"
    config = factory.LazyFunction(lambda: {"lr": 0.01})


class BlobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.Blob

    digest = factory.Sequence(lambda n: hashlib.sha256(f"blob{n}".encode()).hexdigest())
    size = 1024


class CollectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.ArtifactCollection

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"ckpt{n}")
    type = "model"


class VersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.ArtifactVersion

    collection = factory.SubFactory(CollectionFactory)
    index = factory.Sequence(lambda n: n)
    digest = factory.Sequence(lambda n: hashlib.sha256(f"version{n}".encode()).hexdigest())
    metadata = factory.LazyFunction(lambda: {"accuracy": 0.9})
    size = 1024
    file_count = 1


class ManifestEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.ManifestEntry

    version = factory.SubFactory(VersionFactory)
    path = factory.Sequence(lambda n: f"files/f{n}.bin")
    blob = factory.SubFactory(BlobFactory)
    digest = factory.LazyAttribute(lambda e: e.blob.digest)
    size = 1024


class RegisteredModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.RegisteredModel

    entity = factory.SubFactory(EntityFactory)
    name = factory.Sequence(lambda n: f"Model {n}")


class ModelVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.ModelVersion

    registered_model = factory.SubFactory(RegisteredModelFactory)
    index = factory.Sequence(lambda n: n)
    artifact_version = factory.SubFactory(VersionFactory)
