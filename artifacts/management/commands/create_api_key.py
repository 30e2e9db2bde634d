"""`manage.py create_api_key USERNAME`: print a new API key for the user."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from artifacts.services import api_key_create


class Command(BaseCommand):
    help = "Make an API key for a user and print it (it is shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="A label for the key.")

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        _, raw = api_key_create(user=user, name=name or "command line")
        self.stdout.write(raw)
