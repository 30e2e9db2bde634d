"""The model registry tutorial, end to end, through the public client over HTTP.

1. A `log_datasets` run writes scikit-learn's handwritten digits as image files plus an
   `index.csv` and logs them as the `raw_images` artifact `Digits`.
2. A `training` run uses `Digits:latest`, trains a small classifier for a few epochs,
   exports every epoch's model to ONNX and logs it as a checkpoint; `best` follows the
   highest validation accuracy.
3. The best checkpoint is linked to `<entity>/model-registry/Model Registry Tutorial`
   with the alias `staging`, and the registered model gets a model card.
4. An `inference` run uses `...:staging`, downloads it and measures its test accuracy.

Run it against a registry with REGISTRY_BASE_URL and REGISTRY_API_KEY set (or after
`registry login`):

    python examples/model_registry_tutorial.py --entity acme --project digits --epochs 5

Needs scikit-learn, skl2onnx and onnxruntime besides the client; nothing is downloaded.
"""

import argparse
import atexit
import csv
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

import registry_client as rc

REGISTERED_MODEL = "Model Registry Tutorial"
SEED = 7


def scratch(prefix: str) -> str:
    """A fresh folder for files to log or download: not the working directory, which may be anyone's
    checkout; removed when the tutorial ends."""
    folder = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def write_pgm(path: Path, image: np.ndarray) -> None:
    """An 8x8 digit (values 0-16) as a binary PGM file: a real image format that needs no library."""
    pixels = (image.reshape(8, 8) * (255 / 16)).round().astype(np.uint8)
    path.write_bytes(b"P5\n8 8\n255\n" + pixels.tobytes())


def read_pgm(path: Path) -> np.ndarray:
    data = path.read_bytes()
    header_end = data.index(b"255\n") + 4
    return np.frombuffer(data[header_end:], dtype=np.uint8).astype(np.float32) * (16 / 255)


def log_dataset(args) -> None:
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(SEED)
    splits = rng.choice(["train", "validation", "test"], size=len(digits.target), p=[0.6, 0.2, 0.2])
    with rc.init(entity=args.entity, project=args.project, job_type="log_datasets") as run:
        folder = Path(scratch("digits-"))
        (folder / "images").mkdir()
        with open(folder / "index.csv", "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["path", "label", "split"])
            for i, (image, label) in enumerate(zip(digits.data, digits.target, strict=True)):
                name = f"images/{i:04d}.pgm"
                write_pgm(folder / name, image)
                writer.writerow([name, int(label), splits[i]])
        dataset = rc.Artifact(
            "Digits",
            type="raw_images",
            description="scikit-learn's handwritten digits: 1,797 8x8 grey images in 10 classes, "
            "as PGM files with index.csv (path, label, split).",
            metadata={"images": len(digits.target), "classes": 10, "width": 8, "height": 8, "format": "pgm"},
        )
        dataset.add_dir(folder)
        logged = run.log_artifact(dataset)
        print(f"logged dataset Digits:{logged.version} ({len(digits.target)} images)")


def load_split(root: Path):
    rows = list(csv.DictReader(open(root / "index.csv")))
    out = {}
    for split in ("train", "validation", "test"):
        chosen = [r for r in rows if r["split"] == split]
        x = np.stack([read_pgm(root / r["path"]) for r in chosen])
        y = np.array([int(r["label"]) for r in chosen])
        out[split] = (x, y)
    return out


def train(args) -> str:
    """Train, checkpoint every epoch, link the best; returns the registered model reference."""
    import onnxruntime  # noqa: F401 - fail early when the inference dependency is missing
    from skl2onnx import to_onnx
    from sklearn.metrics import log_loss
    from sklearn.neural_network import MLPClassifier

    config = {"epochs": args.epochs, "batch_size": 64, "hidden_layer_sizes": [64], "learning_rate_init": 0.01}
    with rc.init(entity=args.entity, project=args.project, job_type="training", config=config) as run:
        dataset = run.use_artifact("Digits:latest", type="raw_images")
        data = load_split(Path(dataset.download(root=scratch("digits-"))))
        x_train, y_train = data["train"]
        x_val, y_val = data["validation"]
        classes = np.arange(10)
        clf = MLPClassifier(hidden_layer_sizes=(64,), learning_rate_init=0.01, random_state=SEED)
        rng = np.random.default_rng(SEED)
        best_accuracy, best = -1.0, None
        for epoch in range(1, args.epochs + 1):
            order = rng.permutation(len(x_train))
            for start in range(0, len(order), config["batch_size"]):
                batch = order[start : start + config["batch_size"]]
                clf.partial_fit(x_train[batch], y_train[batch], classes=classes)
            accuracy = float(clf.score(x_val, y_val))
            loss = float(log_loss(y_val, clf.predict_proba(x_val), labels=classes))
            onnx_model = to_onnx(clf, x_train[:1].astype(np.float32), options={id(clf): {"zipmap": False}})
            folder = Path(scratch("ckpt-"))
            (folder / "model.onnx").write_bytes(onnx_model.SerializeToString())
            checkpoint = rc.Artifact(
                f"digits-{run.id}",
                type="model",
                description=f"MLP digit classifier after epoch {epoch}.",
                metadata={
                    "format": "onnx",
                    "num_classes": 10,
                    "input_size": [1, 64],
                    "index_to_class": {str(i): str(i) for i in range(10)},
                    "val_accuracy": round(accuracy, 4),
                    "val_loss": round(loss, 4),
                    "epoch": epoch,
                },
            )
            checkpoint.add_file(folder / "model.onnx")
            aliases = ["latest"]
            if accuracy > best_accuracy:
                best_accuracy, aliases = accuracy, ["best", "latest"]
            logged = run.log_artifact(checkpoint, aliases=aliases)
            if "best" in aliases:
                best = logged
            print(f"epoch {epoch}: val_accuracy={accuracy:.4f} val_loss={loss:.4f} -> {logged.name}:{logged.version}")

        target = f"{args.entity}/model-registry/{REGISTERED_MODEL}"
        link = run.link_artifact(best, target, aliases=["staging"])
        print(f"linked {best.name}:{best.version} to {REGISTERED_MODEL}:{link.version} as staging")
    rc.Api().update_registered_model(
        args.entity,
        REGISTERED_MODEL,
        card=model_card(best_accuracy, args),
        tags=["digits", "onnx", "tutorial"],
    )
    return f"{target}:staging"


def model_card(accuracy: float, args) -> str:
    return f"""# Model Registry Tutorial

A small multi-layer perceptron (one hidden layer of 64 units) that reads an 8x8 grey image
of a handwritten digit and says which digit it is.

## Training
- Data: the `Digits` artifact of `{args.entity}/{args.project}` (60% train, 20% validation, 20% test).
- {args.epochs} epochs of mini-batch training; every epoch's model is exported to ONNX and logged.
- Best validation accuracy: **{accuracy:.3f}**.

## Use
```python
import registry_client as rc
model = rc.Api().artifact("{args.entity}/model-registry/{REGISTERED_MODEL}:staging")
path = model.download()  # model.onnx inside, checksums verified
```
Input `float32[1, 64]` (pixel values 0-16), output the class label and probabilities.
"""


def infer(args, reference: str) -> float:
    import onnxruntime as ort

    with rc.init(entity=args.entity, project=args.project, job_type="inference") as run:
        model = run.use_artifact(reference, type="model")
        model_dir = Path(model.download(root=scratch("model-")))
        dataset = run.use_artifact("Digits:latest", type="raw_images")
        x_test, y_test = load_split(Path(dataset.download(root=scratch("digits-"))))["test"]
        session = ort.InferenceSession(str(model_dir / "model.onnx"), providers=["CPUExecutionProvider"])
        labels = session.run(None, {session.get_inputs()[0].name: x_test.astype(np.float32)})[0]
        accuracy = float((labels == y_test).mean())
        print(f"inference on {len(y_test)} held-out test images: accuracy {accuracy:.4f}")
    return accuracy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entity", default=os.environ.get("REGISTRY_ENTITY", "acme"))
    parser.add_argument("--project", default="digits")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--base-url", help="The registry's address (default: REGISTRY_BASE_URL).")
    args = parser.parse_args(argv)
    if args.base_url:
        os.environ["REGISTRY_BASE_URL"] = args.base_url
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")

    log_dataset(args)
    reference = train(args)
    infer(args, reference)
    base = os.environ.get("REGISTRY_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    print()
    print("Now look in the browser:")
    print(f"  the registered model: {base}/{args.entity}/model-registry/{REGISTERED_MODEL.replace(' ', '%20')}/")
    print(f"  the project's artifacts: {base}/{args.entity}/{args.project}/artifacts/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
