"""Requests no database can store: NUL characters in the address or in a JSON body get a 400, not a 500."""

import json

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse

MESSAGE = "NUL characters are not allowed in names, addresses or values."


class RefuseNulMiddleware:
    """PostgreSQL refuses NUL in text and `\\u0000` in JSON; refuse such requests before any view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": MESSAGE}, status=400)
            return HttpResponse(MESSAGE, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        if "\x00" in request.path:
            return True
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            return True
        if request.content_type == "application/json" and request.method in ("POST", "PUT", "PATCH"):
            try:
                body = request.body  # bounded by DATA_UPLOAD_MAX_MEMORY_SIZE; blob uploads are octet-streams
            except RequestDataTooBig:
                return False  # the view answers it (413), before reading anything
            if b"\x00" in body:
                return True
            if b"\\u0000" in body:
                try:
                    return _contains_nul(json.loads(body))
                except ValueError:
                    return False  # the API answers malformed JSON itself
        return False


def _contains_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(v) for v in value)
    return False
