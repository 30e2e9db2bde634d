"""`manage.py create_team NAME --admin USERNAME`: make a team with its first admin."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from artifacts.errors import RegistryError
from artifacts.services import team_create


class Command(BaseCommand):
    help = "Make a team entity with USERNAME as its admin."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--admin", required=True, metavar="USERNAME")

    def handle(self, *args, name, admin, **options):
        user = get_user_model().objects.filter(username=admin).first()
        if user is None:
            raise CommandError(f"No user named {admin!r}.")
        try:
            team = team_create(name=name, admin=user)
        except RegistryError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Team {team.name} created with admin {user.username}.")
