"""`manage.py runregistry`: the whole registry on one machine (what `make run` calls).

Migrates, makes the first admin, a team with an API key and a webhook integration pointing at
the built-in development receiver, then runs the web server, a Celery worker and beat
(`registry_site/Procfile`, through registry_site.supervisor) and, while the registry is empty,
the tutorial once. Ctrl-C stops all.
"""

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from artifacts.models import ApiKey, Entity, Membership
from artifacts.services import api_key_create, team_create, user_create
from notifications.models import Integration
from notifications.services import integration_create
from registry.models import RegisteredModel, RegistryEvent
from registry_site.supervisor import Supervisor

PROCFILE = Path(settings.BASE_DIR) / "registry_site" / "Procfile"
TUTORIAL = Path(settings.BASE_DIR) / "examples" / "model_registry_tutorial.py"
KEY_FILE = Path(settings.BASE_DIR) / "var" / "demo-api-key"


class Command(BaseCommand):
    help = "Run the whole registry: web server, Celery worker and beat, and the tutorial demo on first start."
    tutorial: subprocess.Popen | None = None

    def add_arguments(self, parser):
        parser.add_argument("--addr", default=os.environ.get("REGISTRY_ADDR", "127.0.0.1:8000"))
        parser.add_argument("--no-demo", action="store_true", help="Do not run the tutorial.")
        parser.add_argument("--epochs", type=int, default=int(os.environ.get("REGISTRY_DEMO_EPOCHS", "5")))

    def handle(self, *args, addr, no_demo, epochs, **options):
        host, _, port = addr.rpartition(":")
        if not host or not port.isdigit():
            raise CommandError(f"--addr must be HOST:PORT, not {addr!r}.")
        base_url = f"http://{addr}"
        os.makedirs(Path(settings.BASE_DIR) / "var", exist_ok=True)
        # The demo's integration posts to this server's own development receiver.
        if not os.environ.get("WEBHOOK_ALLOW_PRIVATE"):
            os.environ["WEBHOOK_ALLOW_PRIVATE"] = f"{host},localhost,127.0.0.1"
            settings.WEBHOOK_ALLOW_PRIVATE = os.environ["WEBHOOK_ALLOW_PRIVATE"].split(",")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        team, api_key = self.bootstrap(base_url)

        env = {
            **os.environ,
            "PORT": port,
            "HOST": host,
            "SITE_URL": os.environ.get("SITE_URL", base_url),
            "PYTHON": sys.executable,
            "PYTHONUNBUFFERED": "1",
        }
        supervisor = Supervisor(PROCFILE, env=env, cwd=Path(settings.BASE_DIR))
        if not no_demo and not RegisteredModel.objects.filter(entity=team).exists():
            threading.Thread(target=self.run_tutorial, args=(base_url, team.name, api_key, epochs), daemon=True).start()
        else:
            threading.Thread(target=self.say_ready, args=(base_url, team.name), daemon=True).start()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, _interrupt)
        code = supervisor.run()
        if self.tutorial is not None and self.tutorial.poll() is None:
            self.tutorial.terminate()
        if code:
            raise CommandError(f"The web server stopped (exit {code}).")

    def bootstrap(self, base_url: str) -> tuple[Entity, str]:
        """First start: admin, team, API key, integration. Later starts reuse them."""
        User = get_user_model()
        username = os.environ.get("REGISTRY_ADMIN_USERNAME", "admin")
        team_name = os.environ.get("REGISTRY_DEMO_TEAM", "acme")
        with transaction.atomic():
            user = User.objects.filter(username=username).first()
            if user is None:
                password = os.environ.get("REGISTRY_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
                user = user_create(username=username, password=password, is_superuser=True)
                self.stdout.write(
                    self.style.SUCCESS(f"\nSign in at {base_url}/login/ as {username} with password: {password}\n")
                    + "(shown once; change it with `.venv/bin/python manage.py changepassword "
                    + f"{username}`)\n"
                )
            team = Entity.objects.filter(name__ci=team_name).first()
            if team is None:
                team = team_create(name=team_name, admin=user, description="The tutorial's team.")
            elif not Membership.objects.filter(entity=team, user=user).exists():
                Membership.objects.create(entity=team, user=user, role=Membership.ADMIN)
            if not Integration.objects.filter(entity=team).exists():
                integration_create(
                    entity=team,
                    user=user,
                    name="Development receiver (Slack format)",
                    kind=Integration.SLACK,
                    url=f"{base_url}/dev/webhooks/",
                    events=[RegistryEvent.VERSION_LINKED, RegistryEvent.ALIAS_MOVED],
                )
        raw_key = KEY_FILE.read_text().strip() if KEY_FILE.exists() else ""
        if not raw_key or not ApiKey.objects.filter(prefix=raw_key[: ApiKey.PREFIX_LEN], revoked_at=None).exists():
            _, raw_key = api_key_create(user=user, name="make run demo")
            KEY_FILE.write_text(raw_key + "\n")
            KEY_FILE.chmod(0o600)
        self.stdout.write(
            f"Team {team.name}; API key for scripts in {KEY_FILE.relative_to(settings.BASE_DIR)}:\n"
            f"  export REGISTRY_BASE_URL={base_url} REGISTRY_API_KEY=$(cat {KEY_FILE.relative_to(settings.BASE_DIR)})"
        )
        return team, raw_key

    def wait_for_server(self, base_url: str, timeout: float = 120) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base_url}/login/", timeout=2) as response:
                    if response.status == 200:
                        return True
            except OSError:
                time.sleep(0.5)
        return False

    def say_ready(self, base_url: str, team: str) -> None:
        if self.wait_for_server(base_url):
            self.stdout.write(self.style.SUCCESS(f"\nThe registry is serving at {base_url}/{team}/model-registry/\n"))

    def run_tutorial(self, base_url: str, team: str, api_key: str, epochs: int) -> None:
        if not self.wait_for_server(base_url):
            self.stderr.write("The web server did not come up; the tutorial was not run.")
            return
        self.stdout.write(f"Filling the registry: running {TUTORIAL.name} ({epochs} epochs)…")
        env = {**os.environ, "REGISTRY_BASE_URL": base_url, "REGISTRY_API_KEY": api_key, "PYTHONUNBUFFERED": "1"}
        self.tutorial = subprocess.Popen(
            [sys.executable, str(TUTORIAL), "--entity", team, "--epochs", str(epochs)], env=env
        )
        if self.tutorial.wait() == 0:
            self.stdout.write(self.style.SUCCESS(f"\nThe registry is ready at {base_url}/{team}/model-registry/\n"))
        else:
            self.stderr.write(
                f"The tutorial failed (exit {self.tutorial.returncode}); it will run again on the next start."
            )


def _interrupt(signum, frame):
    raise KeyboardInterrupt
