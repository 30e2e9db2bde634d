"""The one error type services raise; views and the API turn it into a message and a status."""


class RegistryError(Exception):
    """A rule was broken. `status` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class InvalidInput(RegistryError):
    status = 400


class NotAuthenticated(RegistryError):
    status = 401


class PermissionDenied(RegistryError):
    status = 403


class NotFound(RegistryError):
    status = 404


class Conflict(RegistryError):
    status = 409
