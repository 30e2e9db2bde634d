"""The scale fixture writes a consistent registry, and the pages and searches over it stay bounded."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.fixture import BIG_MODEL, model_name
from tests.bench.conftest import TINY


def test_the_scale_fixture_writes_the_counts_it_reports(tiny_registry):
    from artifacts.models import ArtifactVersion, ManifestEntry, Project
    from registry.models import ModelVersion, RegisteredModel

    counts = tiny_registry["counts"]
    assert Project.objects.count() == counts["projects"] == TINY.projects
    assert ArtifactVersion.objects.count() == counts["artifact versions"] == TINY.versions + 1
    assert ManifestEntry.objects.count() == counts["manifest entries"] == TINY.entries
    assert RegisteredModel.objects.count() == counts["registered models"] == TINY.registered_models
    assert ModelVersion.objects.count() == counts["links"] == TINY.links


def test_the_big_model_has_its_versions_and_the_others_share_the_rest(tiny_registry):
    from registry.models import ModelVersion

    assert ModelVersion.objects.filter(registered_model__name=BIG_MODEL).count() == TINY.big_model_links
    others = ModelVersion.objects.exclude(registered_model__name=BIG_MODEL).count()
    assert others == TINY.links - TINY.big_model_links


def test_the_fixture_sequences_continue_after_the_copied_rows(tiny_registry, put_blob):
    from django.contrib.auth import get_user_model

    from artifacts.models import Project
    from artifacts.services import artifact_version_log

    user = get_user_model().objects.get(username="bench")
    version, created = artifact_version_log(
        project=Project.objects.get(name="p000"),
        name="after-fixture",
        type="model",
        entries=[put_blob(b"new bytes", user=user)],
        user=user,
    )
    assert created and version.pk == TINY.versions + 2


def test_the_fixture_api_key_resolves_a_registry_alias(bench_api):
    response = bench_api("/resolve", ref=f"benchco/model-registry/{model_name(1)}:production")
    assert response.status_code == 200, response.content
    assert response.json()["registered_model_version"] == "v0"


def test_searching_registered_models_matches_names_ignoring_case_and_filters_by_tag(bench_api):
    names = [m["name"] for m in bench_api("/registry/benchco/models", q="VISION").json()]
    assert names == [model_name(1)]
    tagged = [m["name"] for m in bench_api("/registry/benchco/models", tag="production-ready").json()]
    assert tagged == sorted(model_name(m) for m in range(TINY.registered_models) if m % 3 == 0)


def test_searching_registered_models_pages_with_limit_and_offset(bench_api):
    everything = [m["name"] for m in bench_api("/registry/benchco/models").json()]
    first = [m["name"] for m in bench_api("/registry/benchco/models", limit=2).json()]
    second = [m["name"] for m in bench_api("/registry/benchco/models", limit=2, offset=2).json()]
    assert first + second == everything[:4]


def test_a_page_of_registered_models_reports_their_tags_aliases_and_version_counts(bench_api):
    (big,) = [m for m in bench_api("/registry/benchco/models").json() if m["name"] == BIG_MODEL]
    assert big["version_count"] == TINY.big_model_links
    assert big["tags"] == ["nature", "production-ready"]
    assert big["aliases"] == {"latest": f"v{TINY.big_model_links - 1}", "production": "v0", "staging": "v2"}


def test_a_bad_paging_value_is_refused_with_a_clear_message(bench_api):
    response = bench_api("/registry/benchco/models", offset=-1)
    assert response.status_code == 422
    assert "offset" in response.json()["detail"]


def test_listing_registered_models_takes_the_same_queries_for_one_or_five(bench_api):
    bench_api("/viewer")  # the key's first use records last_used_at: an extra write, not part of the listing
    with CaptureQueriesContext(connection) as one:
        assert len(bench_api("/registry/benchco/models", limit=1).json()) == 1
    with CaptureQueriesContext(connection) as five:
        assert len(bench_api("/registry/benchco/models", limit=5).json()) == 5
    assert len(five.captured_queries) == len(one.captured_queries)


def test_every_benchmarked_page_renders_within_a_fixed_query_budget(tiny_registry):
    from bench import pages

    for label, stats, queries, status in pages.run(samples=1, log=lambda message: None):
        assert status == 200, label
        assert queries <= 16, f"{label}: {queries} queries"
        assert stats.n == 1


def test_a_reused_fixture_hands_out_only_versions_no_link_points_at(tiny_registry):
    from django.contrib.auth import get_user_model

    from artifacts.models import ArtifactVersion, Entity
    from bench.api_ops import Refs
    from bench.fixture import first_unlinked
    from registry.services import model_link

    refs = Refs(TINY, tiny_registry)
    taken = refs.take_versions(3)
    # A run that stopped midway linked the first two of the three it took.
    user = get_user_model().objects.get(username="bench")
    for vid in (tiny_registry["next_free_version"], tiny_registry["next_free_version"] + 1):
        model_link(
            artifact_version=ArtifactVersion.objects.get(pk=vid),
            entity=Entity.objects.get(name="benchco"),
            name="stopped-run",
            user=user,
        )
    assert first_unlinked(tiny_registry) == tiny_registry["next_free_version"] + 2
    assert Refs(TINY, {**tiny_registry, "next_free_version": first_unlinked(tiny_registry)}).take_versions(1) == [
        taken[2]
    ]


def test_a_fixture_is_reused_only_where_the_database_holds_it(tiny_registry):
    from bench.fixture import holds

    assert holds(tiny_registry)
    # The other scale's fixture, or one built again since (its API key is new), is not this one.
    assert not holds({**tiny_registry, "n_versions": tiny_registry["n_versions"] * 20})
    assert not holds({**tiny_registry, "api_key": "rk_from-an-earlier-build"})
