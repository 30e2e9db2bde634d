"""The JSON API under /api/v1/: one NinjaAPI, its authentication, its error mapping, a router per app."""

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from artifacts.errors import RegistryError
from artifacts.services import api_key_authenticate

logger = logging.getLogger(__name__)

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class ApiKeyOrSession(HttpBearer):
    """`Authorization: Bearer <key>`; or the browser session (writes then need the CSRF token).

    A subclass of HttpBearer so the OpenAPI schema shows the Bearer scheme; `__call__` is replaced whole
    because HttpBearer alone would refuse a request without the header before the session is looked at.
    """

    def authenticate(self, request: HttpRequest, token: str):
        return api_key_authenticate(token)

    def __call__(self, request: HttpRequest):
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, raw = header.partition(" ")
            if scheme.lower() != "bearer" or not raw.strip():
                raise AuthenticationError(401, "The Authorization header must be 'Bearer <API key>'.")
            user = self.authenticate(request, raw.strip())
            if user is None:
                raise AuthenticationError(401, "Invalid or revoked API key.")
            return user
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            raise AuthenticationError(401, "Authentication required: send 'Authorization: Bearer <API key>'.")
        if request.method not in SAFE_METHODS:
            # Ninja's views are csrf-exempt; a session-authenticated write must still prove it came from our pages.
            reason = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
            if reason is not None:
                raise AuthenticationError(403, "CSRF check failed: session writes need the X-CSRFToken header.")
        return user


api = NinjaAPI(
    title="Model registry API",
    version="1",
    urls_namespace="api",
    auth=ApiKeyOrSession(),
    description="Log, link, fetch and download artifacts. Authenticate with `Authorization: Bearer <API key>`.",
)


def _detail(request, message: str, status: int):
    return api.create_response(request, {"detail": message}, status=status)


@api.exception_handler(RegistryError)
def _registry_error(request, exc: RegistryError):
    return _detail(request, exc.message, exc.status)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc: AuthenticationError):
    status = getattr(exc, "status_code", 401) or 401
    message = str(exc.message) if getattr(exc, "message", None) else "Authentication required."
    if message in ("Unauthorized", ""):
        message = "Authentication required: send 'Authorization: Bearer <API key>'."
    return _detail(request, message, status)


def _describe(error: dict) -> str:
    loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "payload", "query", "path")]
    where = ".".join(loc)
    message = error.get("msg", "invalid value")
    return f"{where}: {message}" if where else message


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    errors = exc.errors if isinstance(exc.errors, list) else [exc.errors]
    message = "; ".join(_describe(e) for e in errors if isinstance(e, dict)) or "Invalid request."
    return _detail(request, f"Invalid request: {message}", 422)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return _detail(request, str(exc.message), exc.status_code)


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    return _detail(request, "The request body is too large.", 413)


@api.exception_handler(Exception)
def _unexpected(request, exc):
    logger.exception("Unhandled error in %s %s", request.method, request.path)
    return _detail(request, "Internal server error.", 500)


def _register_routers() -> None:
    from artifacts.api import router as artifacts_router
    from registry.api import router as registry_router

    api.add_router("", artifacts_router)
    api.add_router("", registry_router)


_register_routers()
