"""Where the client finds its server and key: environment first, then the file `registry login` writes."""

import json
import os
from dataclasses import dataclass
from pathlib import Path

from registry_client.errors import NotAuthenticated


def config_dir() -> Path:
    return Path(os.environ.get("REGISTRY_CONFIG_DIR") or Path.home() / ".config" / "registry")


def cache_dir() -> Path:
    return Path(os.environ.get("REGISTRY_CACHE_DIR") or Path.home() / ".cache" / "registry")


@dataclass(frozen=True)
class Settings:
    base_url: str
    api_key: str


def _stored() -> dict:
    path = config_dir() / "config.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise NotAuthenticated(f"Cannot read {path}: {exc}. Run 'registry login --host URL' again.") from exc


def load_settings(base_url: str | None = None, api_key: str | None = None) -> Settings:
    stored = _stored()
    base_url = base_url or os.environ.get("REGISTRY_BASE_URL") or stored.get("base_url")
    api_key = api_key or os.environ.get("REGISTRY_API_KEY") or stored.get("api_key")
    if not base_url:
        raise NotAuthenticated("No registry server: set REGISTRY_BASE_URL or run 'registry login --host URL'.")
    if not api_key:
        raise NotAuthenticated("No API key: set REGISTRY_API_KEY or run 'registry login --host URL'.")
    return Settings(base_url=base_url.rstrip("/"), api_key=api_key)


def save_login(base_url: str, api_key: str) -> Path:
    """Store the server and key in config.json, readable by the user only (mode 0600)."""
    directory = config_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / "config.json"
    tmp = directory / "config.json.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"base_url": base_url.rstrip("/"), "api_key": api_key}, fh)
    os.chmod(tmp, 0o600)  # the umask or an older file must not widen it
    os.replace(tmp, path)
    return path
