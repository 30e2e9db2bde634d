"""Metadata numbers on the registered model page: columns by preference, readable numbers, a chart that holds."""

import math
import re

import pytest
from django.urls import reverse

from registry.metrics import format_number, metric_chart, metric_keys
from registry.services import model_link

pytestmark = [pytest.mark.embedded]

MODEL = ["acme", "Nature Classifier"]


def numbers_in(svg: dict) -> list[float]:
    values = [svg["width"], svg["height"], svg["right"], svg["bottom"]]
    values += [d[axis] for d in svg["dots"] for axis in ("x", "y")]
    values += [float(part) for pair in svg["polyline"].split() for part in pair.split(",")]
    return values


def test_preferred_keys_come_first_whatever_order_the_metadata_kept():
    meta = {"a_count": 1, "batch": 2, "lr": 0.1, "zeta": 3, "val_accuracy": 0.9, "train_loss": 0.2, "name": "x"}
    assert metric_keys([meta], 4) == ["val_accuracy", "train_loss", "a_count", "batch"]
    assert metric_keys([{"epoch": 3, "f1": 0.5, "auc": 0.7, "flag": True}]) == ["f1", "auc", "epoch"]


@pytest.mark.parametrize(
    "value,text",
    [(0.1 + 0.32, "0.42"), (0.912345, "0.9123"), (12.3456789, "12.3457"), (3, "3"), (2.0, "2"), (1e-7, "1e-07")],
)
def test_numbers_read_with_at_most_four_significant_decimals(value, text):
    assert format_number(value) == text


def test_the_chart_labels_at_most_ten_versions_evenly():
    chart = metric_chart([(i, {"accuracy": i / 30}) for i in range(30)], None)
    labelled = [d["index"] for d in chart["dots"] if d["label"]]
    assert len(chart["dots"]) == 30 and len(labelled) <= 10
    assert labelled == list(range(0, 30, 3))


def test_one_version_is_a_dot_without_an_axis():
    chart = metric_chart([(4, {"accuracy": 0.9})], None)
    assert chart["single"] is True
    assert [(d["x"], d["y"], d["value"]) for d in chart["dots"]] == [(210.0, 110.0, "0.9")]


def test_huge_and_non_finite_values_never_make_nan_in_the_chart():
    rows = [
        (0, {"loss": 1e308}),
        (1, {"loss": -1e308}),
        (2, {"loss": math.inf}),
        (3, {"loss": math.nan}),
        (4, {"loss": 10**400}),
        (5, {"loss": 0.5}),
    ]
    chart = metric_chart(rows, "loss")
    assert [d["index"] for d in chart["dots"]] == [0, 1, 5]
    assert all(math.isfinite(n) for n in numbers_in(chart))
    assert metric_chart([(0, {"loss": math.inf})], None) is None


def test_the_chart_shows_accuracy_first_even_when_named_otherwise():
    chart = metric_chart([(0, {"epoch": 1, "lr": 0.1, "val_accuracy": 0.8}), (1, {"val_accuracy": 0.9})], None)
    assert chart["metric"] == "val_accuracy"


@pytest.mark.django_db
def test_the_versions_table_shows_accuracy_among_many_keys_with_short_numbers(client_for, member, team, log_model):
    meta = {"batch_size": 32, "hidden": 64, "layers": 3, "dropout": 0.5, "seed": 7, "accuracy": 0.1 + 0.32}
    model_link(artifact_version=log_model(b"w", metadata=meta), entity=team, name="Nature Classifier", user=member)
    html = client_for(member).get(reverse("registry:model_detail", args=MODEL)).content.decode()
    table = html.split('id="versions-table"')[1].split("</section>")[0]
    headers = re.findall(r'<th class="num">([^<]+)</th>', table)
    assert headers == ["accuracy", "batch_size", "dropout", "hidden"]
    assert ">0.42<" in table and "0.42000000000000004" not in html


@pytest.mark.django_db
def test_the_model_page_chart_has_no_nan_for_extreme_values(client_for, member, team, log_model):
    for i, value in enumerate([1e308, -1e308, 0.5]):
        version = log_model(f"w{i}".encode(), metadata={"loss": value})
        model_link(artifact_version=version, entity=team, name="Nature Classifier", user=member)
    html = client_for(member).get(reverse("registry:model_detail", args=MODEL)).content.decode()
    svg = html.split("<svg")[1].split("</svg>")[0]
    assert "nan" not in svg.lower() and "inf" not in svg.lower()


@pytest.mark.django_db
def test_a_single_version_chart_draws_no_line(client_for, member, team, log_model):
    version = log_model(b"w", metadata={"accuracy": 0.9})
    model_link(artifact_version=version, entity=team, name="Nature Classifier", user=member)
    html = client_for(member).get(reverse("registry:model_detail", args=MODEL)).content.decode()
    svg = html.split("<svg")[1].split("</svg>")[0]
    assert "<polyline" not in svg and "<line" not in svg and "<circle" in svg


@pytest.mark.django_db
def test_the_version_page_lists_metadata_keys_in_sorted_order(client_for, member, log_model):
    log_model(b"w", metadata={"zeta": 1, "alpha": 2, "mid": {"b": 1, "a": 2}})
    html = client_for(member).get(reverse("artifacts:version_detail", args=["acme", "nature", "nature-ckpt", 0]))
    keys = re.findall(r'<td style="padding-left: [0-9]+em">(?:<strong>)?([a-z]+)', html.content.decode())
    assert keys == ["alpha", "mid", "a", "b", "zeta"]
