"""The main job in a real browser: link a checkpoint, move aliases, edit the model card."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CARD = """# Nature Classifier

Classifies 8×8 digit images. Trained on scikit-learn's digits.

| metric | value |
|---|---|
| accuracy | 0.97 |

<script>alert("card script ran")</script>
<details open ontoggle="alert('card handler ran')"><summary>Limits</summary>Digits only, no letters.</details>

<a href="javascript:alert('link ran')">Evaluation report</a>
"""


@pytest.fixture
def checkpoints(log_model, project, member, put_blob):
    from artifacts.services import artifact_version_log, run_create, run_use_version

    dataset = log_model(b"digits-dataset", name="digits", type="dataset", metadata={"rows": 1797})
    training = run_create(project=project, user=member, job_type="training", config={"lr": 0.01, "epochs": 3})
    run_use_version(run=training, version=dataset, user=member)
    versions = []
    for epoch, accuracy in enumerate([0.88, 0.94, 0.97]):
        version, _ = artifact_version_log(
            project=project,
            name="nature-ckpt",
            type="model",
            entries=[put_blob(f"weights-{epoch}".encode()), put_blob(b"{}", path="config/labels.json")],
            metadata={"accuracy": accuracy, "epoch": epoch, "format": "onnx", "hyper": {"hidden": [64], "lr": 0.01}},
            run=training,
            user=member,
        )
        versions.append(version)
    evaluation = run_create(project=project, user=member, job_type="evaluation")
    run_use_version(run=evaluation, version=versions[0], user=member)
    return dataset, versions


def test_a_member_links_a_checkpoint_moves_an_alias_and_edits_the_card(
    page, live_server, sign_in, member, team, checkpoints, screenshot_path
):
    from registry.services import model_link

    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _, versions = checkpoints
    sign_in(page, "bob")

    page.goto(f"{live_server.url}/acme/nature/artifacts/nature-ckpt/v0/")
    page.evaluate("window.notReloaded = true")
    page.click("#link-to-registry")
    page.fill("#link-name", "Nature Classifier")
    page.fill("#link-aliases", "staging")
    page.click("#link-dialog button[type=submit]")
    expect(page.locator("#linked-to")).to_contain_text("Nature Classifier:v0")
    expect(page.locator("#link-dialog")).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True
    page.reload()
    expect(page.locator("#lineage")).to_contain_text("Nature Classifier:v0")
    page.screenshot(path=screenshot_path("artifact-version.png"), full_page=True)

    for version in versions[1:]:
        model_link(artifact_version=version, entity=team, name="Nature Classifier", user=member)
    page.click("#linked-to a")
    expect(page.locator("h1")).to_have_text("Nature Classifier")
    expect(page.locator("#version-v0")).to_contain_text("staging")

    page.fill("[aria-label='Add alias to v2']", "production")
    page.press("[aria-label='Add alias to v2']", "Enter")
    expect(page.locator("#version-v2 .chip", has_text="production")).to_be_visible()

    page.click("#edit-card")
    page.fill("#card-body", CARD)
    page.click("text=Preview")
    expect(page.locator("#card-preview")).to_contain_text("Classifies 8×8 digit images")
    expect(page.locator("#card-body")).to_have_count(1)
    page.click("#model-card button:has-text('Save')")
    expect(page.locator("#card-body")).to_have_count(0)
    expect(page.locator("#model-card > .card-body")).to_contain_text("Classifies 8×8 digit images")
    expect(page.locator("#model-card > .card-body table")).to_be_visible()
    page.reload()
    expect(page.locator("#model-card .card-body")).to_contain_text("Trained on scikit-learn's digits")
    expect(page.locator("#metadata-chart polyline")).to_have_count(1)
    page.screenshot(path=screenshot_path("registered-model.png"), full_page=True)
    page.click("#model-card .card-body a:has-text('Evaluation report')")
    assert dialogs == []


def test_a_viewer_sees_no_edit_controls(page, live_server, sign_in, member, viewer, team, checkpoints):
    from registry.services import model_card_save, model_link

    _, versions = checkpoints
    link, _ = model_link(artifact_version=versions[0], entity=team, name="Nature Classifier", user=member)
    model_card_save(registered_model=link.registered_model, body="Read me.", user=member)
    sign_in(page, "carol")

    page.goto(f"{live_server.url}/acme/model-registry/Nature%20Classifier/")
    expect(page.locator("#model-card")).to_contain_text("Read me.")
    expect(page.locator("#edit-card")).to_have_count(0)
    expect(page.locator("[aria-label^='Add alias']")).to_have_count(0)
    expect(page.locator("[aria-label^='Remove alias']")).to_have_count(0)
    expect(page.locator("[aria-label='Add tag']")).to_have_count(0)
    page.goto(f"{live_server.url}/acme/nature/artifacts/nature-ckpt/v0/")
    expect(page.locator("h1")).to_have_text("nature-ckpt:v0")
    expect(page.locator("#link-to-registry")).to_have_count(0)
