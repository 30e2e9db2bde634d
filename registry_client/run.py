"""Runs: `init()` online or offline, logging, using and linking artifacts; `sync()` of offline runs."""

import json
import os
import secrets
import shutil
from pathlib import Path

from registry_client.artifact import Artifact, LocalFile, LoggedArtifact, commit_version, upload_files
from registry_client.errors import InvalidInput, RegistryError
from registry_client.registry import Link, link
from registry_client.transport import Transport, q

ONLINE, OFFLINE = "online", "offline"


def new_run_id() -> str:
    # The client picks the id, so creating a run is idempotent: a retried or synced create returns the same run.
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


def _split_project(entity: str | None, project: str) -> tuple[str, str]:
    if "/" in project:
        entity, project = project.split("/", 1)
    if not entity:
        raise InvalidInput("Name the entity: init(entity='acme', project='nature') or project='acme/nature'.")
    return entity, project


class Run:
    """A training run. Use it as a context manager: it finishes `failed` if the block raises."""

    def __init__(
        self,
        *,
        entity: str,
        project: str,
        job_type: str = "",
        config: dict | None = None,
        name: str = "",
        mode: str = ONLINE,
        transport: Transport | None = None,
        offline_dir: str | os.PathLike | None = None,
        run_id: str | None = None,
    ):
        if mode not in (ONLINE, OFFLINE):
            raise InvalidInput(f"Unknown mode {mode!r}: use 'online' or 'offline'.")
        self.entity, self.project = entity, project
        self.job_type, self.config, self.name, self.mode = job_type, dict(config or {}), name, mode
        self.id = run_id or new_run_id()
        self.state = "running"
        self._logged: list[LoggedArtifact | None] = []
        if mode == OFFLINE:
            base = Path(offline_dir or os.environ.get("REGISTRY_OFFLINE_DIR") or "registry-offline")
            self.dir = base / f"run-{self.id}"
            (self.dir / "blobs").mkdir(parents=True, exist_ok=True)
            self._transport = None
            meta = {"entity": entity, "project": project, "job_type": job_type, "config": self.config, "name": name}
            (self.dir / "run.json").write_text(json.dumps({"run_id": self.id, **meta}, indent=2))
            self.url = None
            return
        self._transport = transport or Transport()
        data = self._transport.json(
            "POST",
            f"/projects/{q(entity)}/{q(project)}/runs",
            json={"job_type": job_type, "config": self.config, "name": name, "run_id": self.id},
        )
        self.id = data["id"]
        self.url = f"{self._transport.base_url}/api/v1/projects/{q(entity)}/{q(project)}/runs/{self.id}"

    # --- offline journal ---------------------------------------------------------------------

    def _journal(self, event: dict) -> None:
        with open(self.dir / "events.jsonl", "a") as fh:
            fh.write(json.dumps(event) + "\n")

    # --- the API of a run --------------------------------------------------------------------

    def log_artifact(self, artifact: Artifact, aliases: list[str] | None = None) -> LoggedArtifact | Artifact:
        """Upload what the server lacks, then commit the version. Identical content returns the existing version."""
        files = artifact.hashed()
        if self.mode == OFFLINE:
            for f in files:
                if f.source and not (self.dir / "blobs" / f.digest).exists():
                    tmp = self.dir / "blobs" / f".{f.digest}.tmp"
                    shutil.copyfile(f.source, tmp)
                    os.replace(tmp, self.dir / "blobs" / f.digest)
            self._journal(
                {
                    "kind": "log",
                    "index": len(self._logged),
                    "name": artifact.name,
                    "type": artifact.type,
                    "description": artifact.description,
                    "metadata": artifact.metadata,
                    "aliases": list(aliases or []),
                    "manifest": [f.manifest_entry() for f in files],
                }
            )
            artifact._offline_index = len(self._logged)
            self._logged.append(None)
            return artifact
        logged = commit_version_with_upload(
            self._transport, self.entity, self.project, artifact, files, aliases, self.id
        )
        artifact.logged = logged
        self._logged.append(logged)
        return logged

    def use_artifact(self, ref: str, type: str | None = None) -> LoggedArtifact:
        """Record that this run used a version (`name:alias`, `entity/project/name:v3`,
        `entity/model-registry/Name:alias`) and return it; call `.download()` on it."""
        if self.mode == OFFLINE:
            raise InvalidInput("An offline run cannot fetch artifacts; use an online run to download.")
        if type is not None:
            found = self._transport.json(
                "GET", "/resolve", params={"ref": ref, "entity": self.entity, "project": self.project}
            )
            if found["type"] != type:
                raise InvalidInput(f"{ref} has type {found['type']!r}, not {type!r}.")
        data = self._transport.json(
            "POST", f"/projects/{q(self.entity)}/{q(self.project)}/runs/{self.id}/use", json={"ref": ref}
        )
        return LoggedArtifact.from_json(data, self._transport)

    def link_artifact(
        self, artifact: Artifact | LoggedArtifact | str, target: str, aliases: list[str] | None = None
    ) -> Link | None:
        """Link a logged version into `entity/model-registry/Name` (created when missing)."""
        if self.mode == OFFLINE:
            index = getattr(artifact, "_offline_index", None)
            if index is None and not isinstance(artifact, str):
                raise InvalidInput("Log the artifact in this run before linking it.")
            self._journal(
                {
                    "kind": "link",
                    "log_index": index,
                    "ref": artifact if index is None else None,
                    "target": target,
                    "aliases": list(aliases or []),
                }
            )
            return None
        return link(self._transport, _ref_of(artifact, self), target, aliases)

    def finish(self, state: str = "finished") -> None:
        if self.state != "running":
            return
        if self.mode == OFFLINE:
            self._journal({"kind": "finish", "state": state})
        else:
            self._transport.json(
                "POST", f"/projects/{q(self.entity)}/{q(self.project)}/runs/{self.id}/finish", json={"state": state}
            )
        self.state = state

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.finish("failed" if exc_type is not None else "finished")


def _ref_of(artifact: Artifact | LoggedArtifact | str, run: Run | None = None) -> str:
    if isinstance(artifact, str):
        if run is not None and artifact.count("/") == 0:
            return f"{run.entity}/{run.project}/{artifact}"
        return artifact
    if isinstance(artifact, Artifact):
        if artifact.logged is None:
            raise InvalidInput(f"Log the artifact {artifact.name!r} before linking it.")
        return artifact.logged.ref
    return artifact.ref


def commit_version_with_upload(
    transport: Transport,
    entity: str,
    project: str,
    artifact: Artifact,
    files: list,
    aliases: list[str] | None,
    run_id: str | None,
) -> LoggedArtifact:
    upload_files(transport, files)
    return commit_version(
        transport, entity=entity, project=project, artifact=artifact, files=files, aliases=aliases, run_id=run_id
    )


def init(
    entity: str | None = None,
    project: str = "",
    job_type: str = "",
    config: dict | None = None,
    name: str = "",
    mode: str | None = None,
    dir: str | os.PathLike | None = None,
) -> Run:
    """Start a run. `mode="offline"` (or REGISTRY_MODE=offline) writes it under `dir` for `registry sync`."""
    entity, project = _split_project(entity, project)
    mode = mode or os.environ.get("REGISTRY_MODE") or ONLINE
    return Run(entity=entity, project=project, job_type=job_type, config=config, name=name, mode=mode, offline_dir=dir)


def sync(directory: str | os.PathLike, transport: Transport | None = None) -> list[str]:
    """Upload offline runs found in `directory` (one run's folder or a folder of them). Safe to repeat:
    every step is idempotent, so the result is the same as if the run had been online. Returns the run ids."""
    directory = Path(directory)
    run_dirs = [directory] if (directory / "run.json").exists() else sorted(directory.glob("run-*/"))
    run_dirs = [d for d in run_dirs if (d / "run.json").exists()]
    if not run_dirs:
        raise InvalidInput(f"No offline run in {directory} (expected run.json).")
    transport = transport or Transport()
    synced = []
    for run_dir in run_dirs:
        synced.append(_sync_one(run_dir, transport))
    return synced


def _sync_one(run_dir: Path, transport: Transport) -> str:
    meta = json.loads((run_dir / "run.json").read_text())
    run = Run(
        entity=meta["entity"],
        project=meta["project"],
        job_type=meta["job_type"],
        config=meta["config"],
        name=meta["name"],
        transport=transport,
        run_id=meta["run_id"],
    )
    events_path = run_dir / "events.jsonl"
    events = [json.loads(line) for line in events_path.read_text().splitlines() if line] if events_path.exists() else []
    logged: dict[int, LoggedArtifact] = {}
    for event in events:
        if event["kind"] == "log":
            artifact = Artifact(event["name"], event["type"], event["description"], event["metadata"])
            files = []
            for entry in event["manifest"]:
                source = None if entry.get("ref") else str(run_dir / "blobs" / entry["digest"])
                files.append(
                    LocalFile(
                        path=entry["path"],
                        source=source,
                        ref=entry.get("ref", ""),
                        digest=entry.get("digest", ""),
                        size=entry.get("size"),
                    )
                )
            logged[event["index"]] = commit_version_with_upload(
                transport, run.entity, run.project, artifact, files, event["aliases"], run.id
            )
        elif event["kind"] == "link":
            ref = logged[event["log_index"]].ref if event["log_index"] is not None else event["ref"]
            link(transport, _ref_of(ref, run), event["target"], event["aliases"])
        elif event["kind"] == "finish":
            run.finish(event["state"])
        else:
            raise RegistryError(f"Unknown event {event['kind']!r} in {events_path}.")
    return run.id


__all__ = ["Run", "init", "sync"]
