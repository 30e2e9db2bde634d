"""What a tester found in a real browser: failed requests, stale panels, double dialogs, narrow screens."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MODEL_URL = "/acme/model-registry/Nature%20Classifier/"


@pytest.fixture
def linked(log_model, team, member):
    from registry.services import model_link

    versions = [log_model(f"weights-{i}".encode(), metadata={"accuracy": 0.8 + i / 100}) for i in range(3)]
    for version in versions:
        link, _ = model_link(artifact_version=version, entity=team, name="Nature Classifier", user=member)
    return link.registered_model


def test_a_refused_htmx_write_says_why_in_a_banner(page, live_server, sign_in, admin, member, team, linked):
    from artifacts.models import Membership
    from artifacts.services import membership_set

    sign_in(page, "bob")
    page.goto(live_server.url + MODEL_URL)
    expect(page.locator("#problem")).to_be_hidden()
    membership_set(team=team, user=member, role=Membership.VIEWER, actor=admin)
    page.fill("[aria-label='Add alias to v1']", "candidate")
    page.press("[aria-label='Add alias to v1']", "Enter")
    expect(page.locator("#problem")).to_be_visible()
    expect(page.locator("#problem")).to_contain_text("You no longer have permission")
    expect(page.locator("#problem")).to_contain_text("may read but not change")
    page.click("[data-close-problem]")
    expect(page.locator("#problem")).to_be_hidden()


def test_a_double_click_opens_one_link_dialog(page, live_server, sign_in, member, log_model):
    log_model(b"weights-a")
    sign_in(page, "bob")
    page.goto(f"{live_server.url}/acme/nature/artifacts/nature-ckpt/v0/")
    page.dblclick("#link-to-registry")
    expect(page.locator("#link-dialog")).to_have_count(1)
    page.wait_for_timeout(300)
    expect(page.locator("#link-dialog")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(page.locator("#link-dialog")).to_have_count(0)
    page.click("#link-to-registry")
    expect(page.locator("#link-dialog")).to_have_count(1)


def test_linking_refreshes_the_lineage_and_alias_edits_refresh_the_alias_history(
    page, live_server, sign_in, member, log_model
):
    log_model(b"weights-a")
    sign_in(page, "bob")
    page.goto(f"{live_server.url}/acme/nature/artifacts/nature-ckpt/v0/")
    page.click("#link-to-registry")
    page.fill("#link-name", "Nature Classifier")
    page.click("#link-dialog button[type=submit]")
    expect(page.locator("#lineage")).to_contain_text("Registered as")
    expect(page.locator("#lineage")).to_contain_text("Nature Classifier:v0")

    page.goto(live_server.url + MODEL_URL)
    expect(page.locator("#alias-history")).to_contain_text("No alias moves yet")
    page.fill("[aria-label='Add alias to v0']", "candidate")
    page.press("[aria-label='Add alias to v0']", "Enter")
    expect(page.locator("#alias-history")).to_contain_text("candidate")
    expect(page.locator("#alias-history")).to_contain_text("set on v0")
