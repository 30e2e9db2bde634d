"""HTML pages of the registry: home, model registry, registered models and their actions, linking."""

from django.urls import path

from registry import views

app_name = "registry"

MODEL = "<str:entity>/model-registry/<str:name>/"
VERSION = "<str:entity>/<str:project>/artifacts/<str:name>/v<int:index>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("<str:entity>/model-registry/", views.model_list, name="model_list"),
    path(MODEL, views.model_detail, name="model_detail"),
    path(MODEL + "versions/v<int:index>/aliases/", views.alias_add, name="alias_add"),
    path(MODEL + "aliases/history/", views.alias_history, name="alias_history"),
    path(MODEL + "aliases/<str:alias>/remove/", views.alias_remove, name="alias_remove"),
    path(MODEL + "card/", views.card, name="card"),
    path(MODEL + "card/edit/", views.card_edit, name="card_edit"),
    path(MODEL + "card/preview/", views.card_preview, name="card_preview"),
    path(MODEL + "card/history/", views.card_history, name="card_history"),
    path(MODEL + "tags/", views.tag_add, name="tag_add"),
    path(MODEL + "tags/<str:tag>/remove/", views.tag_remove, name="tag_remove"),
    path(VERSION + "link/", views.link, name="link"),
    path(VERSION + "linked/", views.linked_panel, name="linked_panel"),
]
