"""The model registry from the client: links, registered models, their versions and aliases; the `Api` reader."""

from collections.abc import Iterator
from dataclasses import dataclass, field

from registry_client.artifact import LoggedArtifact
from registry_client.errors import InvalidInput
from registry_client.transport import Transport, q

MODEL_REGISTRY = "model-registry"


def parse_target(target: str) -> tuple[str, str]:
    parts = target.strip().split("/")
    if len(parts) != 3 or parts[1].lower() != MODEL_REGISTRY or ":" in target:
        raise InvalidInput(
            f"Malformed registry path {target!r}: expected 'entity/{MODEL_REGISTRY}/Registered Model Name'."
        )
    return parts[0], parts[2]


@dataclass
class Link:
    """A registered model's version: `registered_model`, `version` ("vN"), `aliases`, the `artifact` behind it."""

    registered_model: str
    entity: str
    version: str
    index: int
    aliases: list[str]
    artifact: LoggedArtifact

    @classmethod
    def from_json(cls, data: dict, transport: Transport) -> "Link":
        return cls(
            registered_model=data["registered_model"],
            entity=data["entity"],
            version=data["version"],
            index=data["index"],
            aliases=list(data["aliases"]),
            artifact=LoggedArtifact.from_json(data["artifact"], transport),
        )

    @property
    def ref(self) -> str:
        return f"{self.entity}/{MODEL_REGISTRY}/{self.registered_model}:{self.version}"

    def download(self, root=None) -> str:
        return self.artifact.download(root)


@dataclass
class RegisteredModel:
    entity: str
    name: str
    description: str
    card: str
    tags: list[str]
    aliases: dict[str, str] = field(default_factory=dict)
    version_count: int = 0
    path: str = ""

    @classmethod
    def from_json(cls, data: dict) -> "RegisteredModel":
        keys = ("entity", "name", "description", "card", "tags", "aliases", "version_count", "path")
        return cls(**{k: data[k] for k in keys})


def link(transport: Transport, ref: str, target: str, aliases: list[str] | None = None) -> Link:
    entity, name = parse_target(target)
    data = transport.json(
        "POST",
        f"/registry/{q(entity)}/models/{q(name)}/versions",
        json={"artifact": ref, "aliases": list(aliases or [])},
    )
    return Link.from_json(data, transport)


class Api:
    """Reads (and a few registry edits) without a run.

    >>> api = Api()
    >>> api.registered_models("acme")
    >>> api.artifact("acme/model-registry/Nature Classifier:production").download()
    >>> api.update_registered_model("acme", "Nature Classifier", card="# Nature Classifier\\n...", tags=["onnx"])
    """

    def __init__(self, base_url: str | None = None, api_key: str | None = None, transport: Transport | None = None):
        if transport is None:
            from registry_client.config import load_settings

            transport = Transport(load_settings(base_url, api_key))
        self.transport = transport

    def _model_path(self, entity: str, name: str) -> str:
        return f"/registry/{q(entity)}/models/{q(name)}"

    def viewer(self) -> dict:
        """The user the key belongs to and the entities it can see."""
        return self.transport.json("GET", "/viewer")

    def artifact(self, ref: str) -> LoggedArtifact:
        """Any reference: `entity/project/name:alias|vN` or `entity/model-registry/Name:alias|vN`."""
        return LoggedArtifact.from_json(self.transport.json("GET", "/resolve", params={"ref": ref}), self.transport)

    def artifacts(self, entity: str, project: str) -> list[dict]:
        """The artifacts (collections) of a project: name, type, description, version_count."""
        return self.transport.json("GET", f"/projects/{q(entity)}/{q(project)}/artifacts")

    def artifact_versions(self, entity: str, project: str, name: str) -> Iterator[LoggedArtifact]:
        path = f"/projects/{q(entity)}/{q(project)}/artifacts/{q(name)}/versions"
        for item in self._pages(path):
            yield LoggedArtifact.from_json(item, self.transport)

    def registered_models(
        self, entity: str, tag: str | None = None, query: str | None = None, limit: int = 500, offset: int = 0
    ) -> list[RegisteredModel]:
        """The entity's registered models by name: with `tag`, only those tagged so; with `query`, only those
        whose name contains it, ignoring case. A page of at most `limit` (up to 500), after `offset`."""
        params = {"tag": tag, "q": query, "limit": limit, "offset": offset or None}
        data = self.transport.json("GET", f"/registry/{q(entity)}/models", params=params)
        return [RegisteredModel.from_json(m) for m in data]

    def registered_model(self, entity: str, name: str) -> RegisteredModel:
        return RegisteredModel.from_json(self.transport.json("GET", self._model_path(entity, name)))

    def create_registered_model(
        self, entity: str, name: str, description: str = "", card: str = "", tags: list[str] | None = None
    ) -> RegisteredModel:
        body = {"name": name, "description": description, "card": card, "tags": list(tags or [])}
        return RegisteredModel.from_json(self.transport.json("POST", f"/registry/{q(entity)}/models", json=body))

    def update_registered_model(
        self,
        entity: str,
        name: str,
        *,
        card: str | None = None,
        tags: list[str] | None = None,
        description: str | None = None,
    ) -> RegisteredModel:
        """Change only what is given: the model card (markdown, saved as a new revision), the tags (replaced
        as a whole), the description. Returns the registered model as it now is."""
        body = {k: v for k, v in {"card": card, "tags": tags, "description": description}.items() if v is not None}
        return RegisteredModel.from_json(self.transport.json("PATCH", self._model_path(entity, name), json=body))

    def model_versions(self, entity: str, name: str) -> Iterator[Link]:
        """The registered model's versions, newest first."""
        for item in self._pages(self._model_path(entity, name) + "/versions"):
            yield Link.from_json(item, self.transport)

    def model_version(self, entity: str, name: str, version: str) -> Link:
        """One version of a registered model, by its name (`v3`) or an alias (`production`)."""
        return Link.from_json(
            self.transport.json("GET", self._model_path(entity, name) + f"/versions/{q(version)}"), self.transport
        )

    def aliases(self, entity: str, name: str) -> dict[str, str]:
        """alias → version name (vN) of a registered model."""
        rows = self.transport.json("GET", self._model_path(entity, name) + "/aliases")
        return {row["alias"]: row["version"] for row in rows}

    def set_alias(self, entity: str, name: str, alias: str, version: str) -> None:
        self.transport.json("PUT", self._model_path(entity, name) + f"/aliases/{q(alias)}", json={"version": version})

    def remove_alias(self, entity: str, name: str, alias: str) -> None:
        self.transport.json("DELETE", self._model_path(entity, name) + f"/aliases/{q(alias)}")

    def alias_history(self, entity: str, name: str, alias: str | None = None) -> list[dict]:
        params = {"alias": alias} if alias else None
        return self.transport.json("GET", self._model_path(entity, name) + "/history", params=params)

    def link(self, ref: str, target: str, aliases: list[str] | None = None) -> Link:
        return link(self.transport, ref, target, aliases)

    def _pages(self, path: str) -> Iterator[dict]:
        cursor = None
        while True:
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = self.transport.json("GET", path, params=params)
            yield from page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return
