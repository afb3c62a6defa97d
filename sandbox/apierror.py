"""The one error shape of the Alibaba Cloud OpenAPI gateway: an HTTP status, a code, a message."""
from __future__ import annotations


class ApiError(Exception):
    """Answered as `{"RequestId", "Code", "Message"}` with `status`."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def missing(name: str) -> ApiError:
    # The gateway's generic `Missing{ParameterName}` for a required parameter.
    return ApiError(400, f"Missing{name}", f"{name} is mandatory for this action.")


def invalid(name: str, why: str = "") -> ApiError:
    # The gateway's generic `Invalid{ParameterName}` for a value out of its declared range.
    return ApiError(400, f"Invalid{name}", f"The specified parameter {name} is not valid.{' ' + why if why else ''}")
