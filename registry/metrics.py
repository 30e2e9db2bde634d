"""Numbers from version metadata on the registered model page: which keys to show, how they read, the chart."""

import math

# Keys a reader looks for first, matched anywhere in the key (`val_accuracy`, `train_loss`); the rest follow by name.
PREFERRED = ("accuracy", "loss", "f1", "auc", "precision", "recall", "epoch")
CHART_LABELS = 10


def as_number(value) -> float | None:
    """A finite float for a JSON number, None for anything else (booleans, strings, ±inf, ints past float)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def metric_rank(key: str) -> tuple[int, str]:
    lowered = key.lower()
    for rank, word in enumerate(PREFERRED):
        if word in lowered:
            return rank, key
    return len(PREFERRED), key


def metric_keys(metadatas, limit: int | None = None) -> list[str]:
    """The numeric keys of these metadata objects, the preferred ones first (JSONB does not keep key order)."""
    keys = {key for meta in metadatas for key, value in (meta or {}).items() if as_number(value) is not None}
    return sorted(keys, key=metric_rank)[:limit]


def format_number(value) -> str:
    """Up to four significant decimals: 0.42000000000000004 reads 0.42, 0.912345 reads 0.9123."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    if abs(value) < 1 or abs(value) >= 1e15:
        return f"{value:.4g}"
    return f"{value:.4f}".rstrip("0").rstrip(".")


def metric_chart(rows: list[tuple[int, dict]], metric: str | None) -> dict | None:
    """An inline-SVG line of one numeric key over (version index, metadata) rows, oldest first.

    Values that are not finite numbers are left out; every coordinate is a finite number.
    """
    keys = sorted(metric_keys(meta for _, meta in rows))
    if not keys:
        return None
    if metric not in keys:
        metric = min(keys, key=metric_rank)
    points = [(index, n) for index, meta in rows if (n := as_number((meta or {}).get(metric))) is not None]
    width, height, pad = 420, 220, 44
    low, high = min(v for _, v in points), max(v for _, v in points)
    # Halves first: high - low overflows for values near ±1.8e308.
    span = high / 2 - low / 2
    first, last = points[0][0], points[-1][0]

    def xy(index: int, value: float) -> tuple[float, float]:
        x = pad + (index - first) / (last - first) * (width - 2 * pad) if last != first else width / 2
        share = (value / 2 - low / 2) / span if span else 0.5
        y = height - pad - share * (height - 2 * pad)
        return round(x, 1), round(y, 1)

    every = math.ceil(len(points) / CHART_LABELS)
    dots = [
        {"x": x, "y": y, "index": i, "value": format_number(v), "label": n % every == 0}
        for n, (i, v) in enumerate(points)
        for x, y in [xy(i, v)]
    ]
    return {
        "metric": metric,
        "keys": keys,
        "width": width,
        "height": height,
        "pad": pad,
        "right": width - pad / 2,
        "bottom": height - pad,
        "low": format_number(low),
        "high": format_number(high),
        # One version is a dot with its value, not a line between two equal axis labels.
        "single": len(points) == 1,
        "polyline": " ".join(f"{d['x']},{d['y']}" for d in dots),
        "dots": dots,
    }
