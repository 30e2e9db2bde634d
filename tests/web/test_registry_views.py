"""The registry pages' writes: Link to Registry, inline aliases, the model card editor, tags, search."""

import json

import pytest
from django.urls import reverse

from registry.markdown import render_markdown
from registry.models import ModelCardRevision, ModelVersion, RegisteredModel, RegistryAlias
from tests.web.conftest import htmx

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

MODEL = ["acme", "Nature Classifier"]
LINK = ["acme", "nature", "nature-ckpt", 0]


def aliases_of(model) -> dict[str, int]:
    return dict(RegistryAlias.objects.filter(registered_model=model).values_list("name", "version__index"))


# --- Link to Registry -------------------------------------------------------------------------


def test_the_link_dialog_opens_as_a_fragment_for_htmx_and_as_a_page_without_it(client_for, member, checkpoint):
    url = reverse("registry:link", args=LINK)
    fragment = htmx(client_for(member), "get", url).content.decode()
    page = client_for(member).get(url).content.decode()
    assert fragment.lstrip().startswith('<div class="modal-backdrop" id="link-dialog">')
    assert "<html" not in fragment
    assert "<html" in page and 'id="link-dialog"' in page


def test_linking_through_htmx_closes_the_dialog_and_tells_the_page(client_for, member, checkpoint):
    response = htmx(
        client_for(member), "post", reverse("registry:link", args=LINK), {"name": "Digits", "aliases": "staging, best"}
    )
    assert response.status_code == 200
    assert response.content == b""
    assert json.loads(response["HX-Trigger"]) == {"versionLinked": {"label": "Digits:v0"}, "closeModal": True}
    model = RegisteredModel.objects.get(name="Digits")
    assert aliases_of(model) == {"latest": 0, "staging": 0, "best": 0}


def test_the_linked_panel_lists_the_new_link_when_asked_again(client_for, member, registered):
    response = htmx(client_for(member), "get", reverse("registry:linked_panel", args=LINK))
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="panel" id="linked-to"')
    assert "Nature Classifier:v0" in html
    assert 'hx-trigger="versionLinked from:body"' in html


def test_the_lineage_graph_registered_as_column_is_asked_again_after_a_link(client_for, member, registered):
    page = client_for(member).get(reverse("artifacts:version_detail", args=LINK)).content.decode()
    panel_url = reverse("registry:linked_panel", args=LINK)
    assert f'id="registered-as" hx-get="{panel_url}?part=registered-as" hx-trigger="versionLinked from:body"' in page
    response = htmx(client_for(member), "get", reverse("registry:linked_panel", args=LINK), {"part": "registered-as"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="lineage-part" id="registered-as"')
    assert "Registered as" in html and "Nature Classifier:v0" in html


def test_linking_without_javascript_redirects_to_the_version_page(client_for, member, checkpoint):
    response = client_for(member).post(reverse("registry:link", args=LINK), {"name": "Digits", "aliases": ""})
    assert response.status_code == 302
    assert response["Location"] == reverse("artifacts:version_detail", args=LINK)
    assert ModelVersion.objects.filter(registered_model__name="Digits", artifact_version=checkpoint).exists()


def test_linking_into_an_existing_model_adds_a_version(client_for, member, registered, log_model):
    third = log_model(b"weights-3")
    args = ["acme", "nature", "nature-ckpt", third.index]
    htmx(client_for(member), "post", reverse("registry:link", args=args), {"name": "nature classifier"})
    assert list(registered.versions.values_list("index", flat=True).order_by("index")) == [0, 1, 2]


@pytest.mark.parametrize(
    "data,message",
    [
        ({"name": "Digits", "aliases": "latest"}, "kept by the server"),
        ({"name": "Digits", "aliases": "bad alias!"}, "Invalid alias"),
        ({"name": "a/b", "aliases": ""}, "may not contain"),
        ({"name": "", "aliases": ""}, "required"),
    ],
)
def test_bad_link_input_stays_in_the_dialog_and_links_nothing(client_for, member, checkpoint, data, message):
    url = reverse("registry:link", args=LINK)
    response = htmx(client_for(member), "post", url, data)
    assert response.status_code == 200
    assert "HX-Trigger" not in response
    assert 'id="link-dialog"' in response.content.decode()
    assert message in response.content.decode()
    plain = client_for(member).post(url, data)
    assert plain.status_code == 400
    assert message in plain.content.decode()
    assert not ModelVersion.objects.exists()


def test_linking_a_dataset_is_refused_inside_the_dialog(client_for, member, log_model):
    dataset = log_model(b"rows", name="digits", type="dataset")
    url = reverse("registry:link", args=["acme", "nature", "digits", dataset.index])
    response = htmx(client_for(member), "post", url, {"name": "Digits"})
    assert "Only artifacts of type &#x27;model&#x27; can be linked" in response.content.decode()
    assert not RegisteredModel.objects.exists()


def test_a_viewer_may_neither_open_the_link_form_nor_post_it(client_for, viewer, checkpoint):
    url = reverse("registry:link", args=LINK)
    assert client_for(viewer).get(url).status_code == 403
    assert htmx(client_for(viewer), "get", url).status_code == 403
    response = htmx(client_for(viewer), "post", url, {"name": "Digits"})
    assert response.status_code == 403
    assert "may read but not change" in response.content.decode()
    assert not RegisteredModel.objects.exists()


def test_too_many_alias_characters_are_reported_in_the_dialog_and_on_the_plain_page(client_for, member, checkpoint):
    url = reverse("registry:link", args=LINK)
    data = {"name": "Digits", "aliases": "a" * 1001}
    dialog = htmx(client_for(member), "post", url, data)
    assert dialog.status_code == 200
    assert "at most 1000 characters" in dialog.content.decode()
    plain = client_for(member).post(url, data)
    assert plain.status_code == 400
    assert "<html" in plain.content.decode() and "at most 1000 characters" in plain.content.decode()
    assert not RegisteredModel.objects.exists()


def test_an_outsider_cannot_even_open_the_dialog(client_for, outsider, checkpoint):
    assert htmx(client_for(outsider), "get", reverse("registry:link", args=LINK)).status_code == 404


# --- aliases ----------------------------------------------------------------------------------


def test_adding_an_alias_inline_returns_the_versions_table(client_for, member, registered):
    response = htmx(client_for(member), "post", reverse("registry:alias_add", args=[*MODEL, 1]), {"alias": "candidate"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="versions-table"')
    assert "<html" not in html
    assert aliases_of(registered)["candidate"] == 1


def test_alias_changes_tell_the_alias_history_panel_to_refresh(client_for, member, registered):
    client = client_for(member)
    page = client.get(reverse("registry:model_detail", args=MODEL)).content.decode()
    assert (
        'id="alias-history" hx-get="{}" hx-trigger="aliasesChanged from:body"'.format(
            reverse("registry:alias_history", args=MODEL)
        )
        in page
    )
    added = htmx(client, "post", reverse("registry:alias_add", args=[*MODEL, 1]), {"alias": "candidate"})
    assert json.loads(added["HX-Trigger"]) == {"aliasesChanged": True}
    removed = htmx(client, "post", reverse("registry:alias_remove", args=[*MODEL, "candidate"]))
    assert json.loads(removed["HX-Trigger"]) == {"aliasesChanged": True}
    refused = htmx(client, "post", reverse("registry:alias_add", args=[*MODEL, 1]), {"alias": "latest"})
    assert "HX-Trigger" not in refused
    panel = htmx(client, "get", reverse("registry:alias_history", args=MODEL)).content.decode()
    assert panel.lstrip().startswith('<section class="panel" id="alias-history"')
    assert "removed from v1" in panel and "<html" not in panel
    assert client.get(reverse("registry:alias_history", args=MODEL)).status_code == 302


def test_an_outsider_cannot_read_the_alias_history(client_for, outsider, registered):
    assert htmx(client_for(outsider), "get", reverse("registry:alias_history", args=MODEL)).status_code == 404


def test_moving_an_alias_from_another_version_asks_first(client_for, member, registered):
    url = reverse("registry:alias_add", args=[*MODEL, 1])
    response = htmx(client_for(member), "post", url, {"alias": "staging"})
    assert "<strong>staging</strong> is on v0. Move it to v1?" in response.content.decode()
    assert aliases_of(registered)["staging"] == 0

    response = htmx(client_for(member), "post", url, {"alias": "staging", "confirm": "on"})
    html = response.content.decode()
    assert aliases_of(registered)["staging"] == 1
    # The whole table comes back, so the row that lost the alias is updated too.
    v0_row = html.split('id="version-v0"')[1]
    assert "Remove alias staging" not in v0_row


def test_adding_an_alias_without_javascript_redirects(client_for, member, registered):
    response = client_for(member).post(reverse("registry:alias_add", args=[*MODEL, 1]), {"alias": "candidate"})
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:model_detail", args=MODEL)


@pytest.mark.parametrize(
    "alias,message", [("latest", "kept by the server"), ("v3", "version name"), ("a b", "Invalid")]
)
def test_a_bad_alias_shows_an_error_in_its_row_and_changes_nothing(client_for, member, registered, alias, message):
    before = aliases_of(registered)
    url = reverse("registry:alias_add", args=[*MODEL, 1])
    response = htmx(client_for(member), "post", url, {"alias": alias, "confirm": "on"})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert client_for(member).post(url, {"alias": alias, "confirm": "on"}).status_code == 400
    assert aliases_of(registered) == before


@pytest.mark.parametrize(
    "alias,message",
    [
        ("a" * 150, "use 1 to 128 letters"),
        ("a" * 250, "This alias is too long (250 characters)."),
        ("", "Type an alias"),
    ],
)
def test_a_long_or_empty_alias_is_told_the_real_reason(client_for, member, registered, alias, message):
    url = reverse("registry:alias_add", args=[*MODEL, 1])
    assert message in htmx(client_for(member), "post", url, {"alias": alias}).content.decode()
    assert message in client_for(member).post(url, {"alias": alias}).content.decode()


@pytest.mark.parametrize(
    "tag,message",
    [("t" * 100, "1 to 64 characters"), ("t" * 250, "This tag is too long (250 characters)."), ("", "Type a tag")],
)
def test_a_long_or_empty_tag_is_told_the_real_reason(client_for, member, registered, tag, message):
    url = reverse("registry:tag_add", args=MODEL)
    assert message in htmx(client_for(member), "post", url, {"tag": tag}).content.decode()
    assert not registered.tags.exists()


def test_alias_changes_without_javascript_return_to_the_page_of_the_versions_table(client_for, member, team, log_model):
    from registry.services import model_link

    for i in range(30):
        model_link(artifact_version=log_model(f"w{i}".encode()), entity=team, name="Nature Classifier", user=member)
    client = client_for(member)
    page_two = reverse("registry:model_detail", args=MODEL) + "?page=2"
    assert 'name="page" value="2"' in client.get(page_two).content.decode()
    added = client.post(reverse("registry:alias_add", args=[*MODEL, 2]), {"alias": "old", "page": "2"})
    assert added["Location"] == page_two
    removed = client.post(reverse("registry:alias_remove", args=[*MODEL, "old"]), {"page": "2"})
    assert removed["Location"] == page_two
    odd = client.post(reverse("registry:alias_add", args=[*MODEL, 2]), {"alias": "old", "page": "2&x=//evil"})
    assert odd["Location"] == reverse("registry:model_detail", args=MODEL)


def test_an_alias_on_a_missing_version_is_a_404(client_for, member, registered):
    assert client_for(member).post(reverse("registry:alias_add", args=[*MODEL, 9]), {"alias": "x"}).status_code == 404


def test_removing_an_alias_chip_removes_it(client_for, member, registered):
    response = htmx(client_for(member), "post", reverse("registry:alias_remove", args=[*MODEL, "staging"]))
    assert response.status_code == 200
    assert "staging" not in aliases_of(registered)
    assert client_for(member).post(reverse("registry:alias_remove", args=[*MODEL, "nope"])).status_code == 400


def test_latest_cannot_be_removed(client_for, member, registered):
    response = htmx(client_for(member), "post", reverse("registry:alias_remove", args=[*MODEL, "latest"]))
    assert "kept by the server" in response.content.decode()
    assert aliases_of(registered)["latest"] == 1


def test_protected_aliases_are_for_admins(client_for, member, admin, registered, settings):
    settings.REGISTRY_PROTECTED_ALIASES = ["production"]
    url = reverse("registry:alias_add", args=[*MODEL, 1])
    response = htmx(client_for(member), "post", url, {"alias": "production"})
    assert "only admins" in response.content.decode()
    assert "production" not in aliases_of(registered)
    htmx(client_for(admin), "post", url, {"alias": "production"})
    assert aliases_of(registered)["production"] == 1


# --- model card -------------------------------------------------------------------------------


def test_the_card_editor_opens_in_place_and_saves_a_revision(client_for, member, registered):
    edit = reverse("registry:card_edit", args=MODEL)
    editor = htmx(client_for(member), "get", edit).content.decode()
    assert editor.lstrip().startswith('<section id="model-card"') and "<textarea" in editor
    response = htmx(client_for(member), "post", edit, {"body": "# Digits\n\nSmall and fast."})
    html = response.content.decode()
    assert "<h1>Digits</h1>" in html and "<textarea" not in html
    assert ModelCardRevision.objects.filter(registered_model=registered).count() == 1


def test_saving_the_card_without_javascript_redirects(client_for, member, registered):
    response = client_for(member).post(reverse("registry:card_edit", args=MODEL), {"body": "Plain."})
    assert response.status_code == 302
    registered.refresh_from_db()
    assert registered.card == "Plain."


def test_cancel_returns_the_card_unchanged(client_for, member, registered):
    response = htmx(client_for(member), "get", reverse("registry:card", args=MODEL))
    assert 'id="edit-card"' in response.content.decode()
    assert client_for(member).get(reverse("registry:card", args=MODEL)).status_code == 302


def test_a_card_too_long_is_refused_with_a_message(client_for, member, registered):
    response = htmx(client_for(member), "post", reverse("registry:card_edit", args=MODEL), {"body": "x" * 200_001})
    assert "longer than 200000 characters" in response.content.decode()
    assert (
        client_for(member).post(reverse("registry:card_edit", args=MODEL), {"body": "x" * 200_001}).status_code == 400
    )
    assert not ModelCardRevision.objects.exists()


def test_preview_without_javascript_shows_the_editor_with_the_rendering_and_saves_nothing(
    client_for, member, registered
):
    url = reverse("registry:card_edit", args=MODEL)
    response = client_for(member).post(url, {"body": "# Draft\n\n*soon*", "preview": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<textarea" in html and "# Draft" in html
    assert '<div id="card-preview" class="panel card-body">' in html and "<em>soon</em>" in html
    assert 'type="submit" name="preview"' in html
    assert not ModelCardRevision.objects.exists()


def test_the_preview_is_rendered_and_sanitised(client_for, member, registered):
    body = "**bold** <script>alert(1)</script> <a href='javascript:alert(2)' onclick='x()'>link</a>"
    html = htmx(
        client_for(member), "post", reverse("registry:card_preview", args=MODEL), {"body": body}
    ).content.decode()
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "javascript:" not in html and "onclick" not in html
    assert not ModelCardRevision.objects.exists()


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        "[x](javascript:alert(1))",
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<svg onload="alert(1)"></svg>',
        '<iframe src="https://evil.example"></iframe>',
        '<p style="background:url(javascript:alert(1))">x</p>',
    ],
)
def test_no_script_handler_or_javascript_link_survives_the_markdown(markdown):
    html = render_markdown(markdown).lower()
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html
    assert "onload" not in html and "<iframe" not in html


def test_card_history_shows_a_diff_between_two_revisions(client_for, member, registered):
    from registry.services import model_card_save

    model_card_save(registered_model=registered, body="line one\nline two", user=member)
    model_card_save(registered_model=registered, body="line one\nline 2", user=member)
    url = reverse("registry:card_history", args=MODEL)
    html = client_for(member).get(url, {"a": 1, "b": 2}).content.decode()
    assert '<div class="del">-line two</div>' in html
    assert '<div class="add">+line 2</div>' in html
    assert client_for(member).get(url, {"a": 1, "b": 7}).status_code == 404
    assert client_for(member).get(url, {"a": "x", "b": 2}).status_code == 400


@pytest.mark.parametrize("number", ["²", "٣", "1" * 40, "-1", " 1"])
def test_card_history_refuses_revision_numbers_that_are_not_plain_digits(client_for, member, registered, number):
    from registry.services import model_card_save

    model_card_save(registered_model=registered, body="line one", user=member)
    response = client_for(member).get(reverse("registry:card_history", args=MODEL), {"a": number, "b": 1})
    assert response.status_code == 400
    assert "Choose two revision numbers." in response.content.decode()


# --- tags -------------------------------------------------------------------------------------


def test_tags_are_added_and_removed_inline(client_for, member, registered):
    response = htmx(client_for(member), "post", reverse("registry:tag_add", args=MODEL), {"tag": "vision"})
    assert response.content.decode().lstrip().startswith('<section id="model-tags"')
    assert list(registered.tags.values_list("name", flat=True)) == ["vision"]
    response = client_for(member).post(reverse("registry:tag_remove", args=[*MODEL, "vision"]))
    assert response.status_code == 302
    assert not registered.tags.exists()


def test_a_bad_tag_is_refused_with_a_message(client_for, member, registered):
    response = htmx(client_for(member), "post", reverse("registry:tag_add", args=MODEL), {"tag": "a/b"})
    assert "Invalid tag" in response.content.decode()
    assert client_for(member).post(reverse("registry:tag_add", args=MODEL), {"tag": "a/b"}).status_code == 400
    assert htmx(client_for(member), "post", reverse("registry:tag_remove", args=[*MODEL, "nope"])).status_code == 200
    assert not registered.tags.exists()


# --- the registry list and home ---------------------------------------------------------------


def test_the_registry_list_searches_by_name_and_filters_by_tag(client_for, member, registered, team):
    from registry.services import model_tag_add, registered_model_create

    registered_model_create(entity=team, name="Speech Model", user=member, tags=["audio"])
    model_tag_add(registered_model=registered, tag="vision", user=member)
    url = reverse("registry:model_list", args=["acme"])
    client = client_for(member)
    assert "Speech Model" in client.get(url).content.decode()
    by_name = client.get(url, {"q": "nature"}).content.decode()
    assert "Nature Classifier" in by_name and "Speech Model" not in by_name
    by_tag = client.get(url, {"tag": "audio"}).content.decode()
    assert "Speech Model" in by_tag and "Nature Classifier</strong>" not in by_tag


def test_home_lists_the_users_entities_and_recent_activity(client_for, member, registered, outsider):
    html = client_for(member).get("/").content.decode()
    assert "acme" in html and "bob" in html and "Nature Classifier" in html
    assert "Nature Classifier" not in client_for(outsider).get("/").content.decode()
