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


@pytest.fixture
def wide_model(log_model, project, member, team, put_blob):
    """A registered model whose checkpoints carry many numbers, logged by a run that used a dataset."""
    from artifacts.services import artifact_version_log, run_create, run_use_version
    from registry.services import model_link

    dataset = log_model(b"digits-dataset", name="digits", type="dataset")
    training = run_create(project=project, user=member, job_type="training")
    run_use_version(run=training, version=dataset, user=member)
    for epoch in range(3):
        version, _ = artifact_version_log(
            project=project,
            name="nature-ckpt",
            type="model",
            entries=[put_blob(f"weights-{epoch}".encode())],
            metadata={
                "val_accuracy": 0.9 + epoch / 100,
                "train_loss": 0.3 - epoch / 10,
                "f1_macro": 0.88,
                "epoch": epoch,
                "batch_size": 32,
                "learning_rate": 0.001,
            },
            run=training,
            aliases=["best"] if epoch == 2 else None,
            user=member,
        )
        model_link(artifact_version=version, entity=team, name="Nature Classifier", aliases=["staging"], user=member)
    run_use_version(run=run_create(project=project, user=member, job_type="evaluation"), version=version, user=member)
    return version


@pytest.mark.parametrize("width", [1280, 390])
def test_the_pages_stay_readable_on_a_phone_and_a_desktop(
    page, live_server, sign_in, make_user, admin, team, wide_model, screenshot_path, width
):
    from artifacts.models import Membership
    from artifacts.services import membership_set

    # A long name is what pushed "Sign out" onto a second line.
    long_name = make_user("maximilian-alexander-longname")
    membership_set(team=team, user=long_name, role=Membership.MEMBER, actor=admin)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, long_name.username)
    page.goto(f"{live_server.url}/acme/nature/artifacts/nature-ckpt/v2/")
    brand, sign_out = page.locator(".topbar .brand").bounding_box(), page.locator(".topbar button").bounding_box()
    assert abs(brand["y"] - sign_out["y"]) < 8, "the header keeps one line"
    arrows = page.locator("#lineage .arrow")
    columns = page.locator("#lineage .col")
    boxes = [columns.nth(n).bounding_box() for n in range(columns.count())]
    assert len(boxes) == 5 and arrows.count() == 4
    page.screenshot(path=screenshot_path(f"version-{width}.png"), full_page=True)
    for before, after in zip(boxes, boxes[1:], strict=False):
        if width < 600:
            assert after["y"] >= before["y"] + before["height"], "the lineage stacks on a phone"
        else:
            assert after["x"] >= before["x"] + before["width"], "the lineage reads left to right on a desktop"

    page.goto(live_server.url + MODEL_URL)
    row = page.locator("#version-v2")
    expect(row).to_contain_text("bob")
    who = row.locator(".linked-by").bounding_box()
    assert who["x"] + who["width"] <= width, "who linked a version is visible without scrolling"
    page.screenshot(path=screenshot_path(f"registered-model-{width}.png"), full_page=True)
