"""The `registry` command: login, artifact put/get/ls, link, sync. Exit 0 on success; errors go to stderr.

Exit codes: 1 other error, 2 bad input or usage, 3 not authenticated, 4 permission denied, 5 not found,
6 conflict, 7 server unreachable, 8 server error, 9 checksum mismatch.
"""

import argparse
import getpass
import os
import sys

from registry_client.artifact import Artifact
from registry_client.config import Settings, load_settings, save_login
from registry_client.errors import InvalidInput, RegistryError
from registry_client.registry import Api
from registry_client.run import commit_version_with_upload, sync
from registry_client.transport import Transport, check_base_url


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="registry", description="Model registry command line.")
    sub = parser.add_subparsers(dest="command", required=True)

    login = sub.add_parser("login", help="store the server URL and an API key in ~/.config/registry/config.json")
    login.add_argument("--host", required=True, help="the registry's base URL, e.g. https://registry.example.com")
    login.add_argument("--key", help="the API key (asked for when omitted)")

    artifact = sub.add_parser("artifact", help="put, get or list artifacts").add_subparsers(
        dest="action", required=True
    )
    put = artifact.add_parser("put", help="log a file or directory as a new artifact version")
    put.add_argument("path")
    put.add_argument("--project", required=True, help="entity/project")
    put.add_argument("--name", required=True)
    put.add_argument("--type", required=True)
    put.add_argument("--alias", action="append", default=[])
    put.add_argument("--description", default="")
    get = artifact.add_parser("get", help="download a version; prints the directory")
    get.add_argument("ref")
    get.add_argument("--root")
    ls = artifact.add_parser("ls", help="list the artifacts of entity/project")
    ls.add_argument("project")

    link = sub.add_parser("link", help="link a version into entity/model-registry/Name")
    link.add_argument("ref")
    link.add_argument("target")
    link.add_argument("--alias", action="append", default=[])

    sync_cmd = sub.add_parser("sync", help="upload offline runs from a directory")
    sync_cmd.add_argument("directory")
    return parser


def _split(project: str) -> tuple[str, str]:
    entity, sep, name = project.partition("/")
    if not sep or not entity or not name or "/" in name:
        raise InvalidInput(f"Expected entity/project, got {project!r}.")
    return entity, name


def _login(args) -> None:
    check_base_url(args.host, named="--host")  # before the key is asked for, and before anything is stored
    key = args.key or os.environ.get("REGISTRY_API_KEY") or getpass.getpass("API key: ")
    transport = Transport(Settings(base_url=args.host.rstrip("/"), api_key=key.strip()), retries=1)
    me = transport.json("GET", "/viewer")  # refuse to store a key the server does not accept
    path = save_login(args.host, key.strip())
    print(f"Logged in to {args.host.rstrip('/')} as {me['username']}; key stored in {path}.")


def _put(args) -> None:
    entity, project = _split(args.project)
    artifact = Artifact(args.name, args.type, description=args.description)
    if os.path.isdir(args.path):
        artifact.add_dir(args.path)
    else:
        artifact.add_file(args.path)
    logged = commit_version_with_upload(
        Transport(), entity, project, artifact, artifact.hashed(), args.alias, run_id=None
    )
    print(logged.ref)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "login":
            _login(args)
        elif args.command == "artifact" and args.action == "put":
            _put(args)
        elif args.command == "artifact" and args.action == "get":
            print(Api().artifact(args.ref).download(args.root))
        elif args.command == "artifact" and args.action == "ls":
            entity, project = _split(args.project)
            for row in Api().artifacts(entity, project):
                print(f"{row['name']}\t{row['type']}\t{row['version_count']}")
        elif args.command == "link":
            link = Api().link(args.ref, args.target, args.alias)
            print(link.ref)
        elif args.command == "sync":
            for run_id in sync(args.directory, Transport(load_settings())):
                print(f"synced run {run_id}")
    except RegistryError as exc:
        print(f"registry: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # a folder that cannot be written, a file that cannot be read
        print(f"registry: error: {exc}", file=sys.stderr)
        return InvalidInput.exit_code
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
