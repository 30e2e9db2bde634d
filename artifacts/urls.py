"""HTML pages of the artifacts side: sign-in, profile, entities, teams, projects, runs, versions and files."""

from django.contrib.auth import views as auth_views
from django.urls import path

from artifacts import views

app_name = "artifacts"

VERSION = "<str:entity>/<str:project>/artifacts/<str:name>/v<int:index>/"

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/keys/<int:key_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("profile/teams/new/", views.team_new, name="team_new"),
    path("<str:entity>/", views.entity_detail, name="entity_detail"),
    path("<str:entity>/settings/", views.team_settings, name="team_settings"),
    path("<str:entity>/settings/members/<int:user_id>/remove/", views.member_remove, name="member_remove"),
    path("<str:entity>/<str:project>/", views.project_runs, name="project_runs"),
    path("<str:entity>/<str:project>/artifacts/", views.project_artifacts, name="project_artifacts"),
    path("<str:entity>/<str:project>/runs/<str:run_id>/", views.run_detail, name="run_detail"),
    path("<str:entity>/<str:project>/artifacts/<str:name>/", views.collection_detail, name="collection_detail"),
    path(VERSION, views.version_detail, name="version_detail"),
    path(VERSION + "files/", views.version_files, name="version_files"),
    path(VERSION + "files/<path:path>", views.file_download, name="file_download"),
]
