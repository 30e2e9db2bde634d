"""Errors the client raises: one base type, a subclass per HTTP status family, the server's message kept."""


class RegistryError(Exception):
    """Something the registry refused, or could not be reached. `status` is the HTTP status (0 offline)."""

    status = 0
    exit_code = 1

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return self.message


class InvalidInput(RegistryError):
    status = 400
    exit_code = 2


class NotAuthenticated(RegistryError):
    status = 401
    exit_code = 3


class PermissionDenied(RegistryError):
    status = 403
    exit_code = 4


class NotFound(RegistryError):
    status = 404
    exit_code = 5


class Conflict(RegistryError):
    status = 409
    exit_code = 6


class NetworkError(RegistryError):
    """The server could not be reached (or kept failing) after the retries."""

    exit_code = 7


class ServerError(RegistryError):
    status = 500
    exit_code = 8


class ChecksumMismatch(RegistryError):
    """Downloaded bytes did not hash to the digest of the manifest; nothing was kept."""

    exit_code = 9


def error_for_status(status: int, message: str) -> RegistryError:
    by_status = {400: InvalidInput, 401: NotAuthenticated, 403: PermissionDenied, 404: NotFound, 409: Conflict}
    if status in by_status:
        return by_status[status](message, status=status)
    if 400 <= status < 500:
        return InvalidInput(message, status=status)
    return ServerError(message, status=status)
