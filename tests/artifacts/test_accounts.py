"""Users and their own entities, however the user was made; teams cannot take a user's name."""

import pytest
from django.contrib.auth import get_user_model

from artifacts.errors import Conflict
from artifacts.models import Entity
from artifacts.services import api_key_create, team_create

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def test_a_user_made_by_createsuperuser_gets_an_entity_with_their_first_api_key():
    user = get_user_model().objects.create_superuser("eve", "eve@example.com", "pw-for-tests-1")
    assert not Entity.objects.filter(user=user).exists()
    api_key_create(user=user)
    assert Entity.objects.get(user=user).name == "eve"


def test_a_user_made_by_createsuperuser_gets_an_entity_when_signing_in(client):
    user = get_user_model().objects.create_user("frank", "frank@example.com", "pw-for-tests-1")
    response = client.post("/login/", {"username": "frank", "password": "pw-for-tests-1"})
    assert response.status_code == 302
    assert Entity.objects.get(user=user).kind == Entity.USER


def test_a_username_that_cannot_name_an_entity_still_gets_a_key():
    user = get_user_model().objects.create_user("has space", "x@example.com", "pw-for-tests-1")
    api_key_create(user=user)
    assert not Entity.objects.filter(user=user).exists()


def test_a_team_cannot_take_the_name_of_a_user(admin):
    get_user_model().objects.create_user("grace", "g@example.com", "pw-for-tests-1")
    with pytest.raises(Conflict, match="The name 'Grace' is already taken."):
        team_create(name="Grace", admin=admin)
