"""The JSON API under /api/v1/: one NinjaAPI, a router per app."""

from ninja import NinjaAPI

api = NinjaAPI(title="Model registry API", version="1", urls_namespace="api")
