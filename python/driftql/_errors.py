"""The exceptions and warnings of driftql.

Every message comes from the Rust core, where text from a server has the API token removed and
control characters escaped: the token never appears in an exception, its ``repr`` or a warning.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple


class Error(Exception):
    """The base class of driftql's errors.

    Every error keeps the keyword attributes it was built with, so that it pickles (to and from
    a process pool) with them.
    """

    def __init__(self, message: str = "", **attributes: Any) -> None:
        super().__init__(message)
        self.message = message
        self._attributes = attributes
        for name, value in attributes.items():
            setattr(self, name, value)

    def __reduce__(self) -> Tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self._attributes))


def _rebuild(cls: Any, message: str, attributes: Any) -> Error:
    error: Error = cls(message, **attributes)
    return error


class SyntaxError(Error, ValueError):  # noqa: A001 - the name the module promises
    """The text is not an expression: the first syntax error, with where it is and what to do.

    ``str()`` is the rendering with the source line and a caret under the error.
    """

    code: str
    span: Tuple[int, int]
    line: int
    column: int
    help: Optional[str]
    rendered: str

    def __init__(
        self,
        message: str,
        *,
        code: str,
        span: Tuple[int, int],
        line: int,
        column: int,
        help: Optional[str] = None,
        rendered: Optional[str] = None,
    ) -> None:
        super().__init__(
            message, code=code, span=span, line=line, column=column, help=help,
            rendered=rendered or message,
        )

    def __str__(self) -> str:
        return self.rendered

    def __repr__(self) -> str:
        return (
            f"SyntaxError(code={self.code!r}, span={self.span!r}, "
            f"message={self.message!r})"
        )


class InvalidQuery(Error, ValueError):
    """The query parses but has validation errors: nothing was matched or sent.

    ``diagnostics`` holds every finding (errors and warnings); ``str()`` renders them all.
    """

    diagnostics: List[Any]
    rendered: str

    def __init__(self, message: str, *, diagnostics: Sequence[Any] = (), rendered: str = "") -> None:
        super().__init__(message, diagnostics=list(diagnostics), rendered=rendered or message)

    def __str__(self) -> str:
        return self.rendered


class InvalidRequest(Error, ValueError):
    """A parameter of a request is refused (a bad date, no expression and no ``ip``, ...):
    nothing was sent. ``codes`` names each problem."""

    codes: List[str]

    def __init__(self, message: str, *, codes: Sequence[str] = ()) -> None:
        super().__init__(message, codes=list(codes))


class ConfigError(Error, ValueError):
    """The client could not be set up: no token, a token too short, an insecure URL, ..."""


class ReportError(Error, ValueError):
    """A value, line or dict is not a report in the API's shape."""


class ApiError(Error):
    """The API answered with an error status (``status``), or could not be used."""

    status: Optional[int]
    #: For a page of ``Client.reports`` that failed: its number, to pass as ``page=`` to go on.
    page: Optional[int]

    def __init__(
        self, message: str, *, status: Optional[int] = None, page: Optional[int] = None
    ) -> None:
        super().__init__(message, status=status, page=page)


class Unauthorized(ApiError):
    """HTTP 401: the token is missing, wrong or revoked."""


class Forbidden(ApiError):
    """HTTP 403 for a reason other than quota, e.g. a feature the plan does not include."""


class QuotaExceeded(ApiError):
    """HTTP 403: the token's quota is spent (or a budget would be exceeded)."""


class RateLimited(ApiError):
    """HTTP 429 still after every retry; ``retry_after`` is the server's wait, in seconds."""

    retry_after: Optional[float]

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        page: Optional[int] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message, status=status, page=page)
        self.retry_after = retry_after
        self._attributes["retry_after"] = retry_after


class BodyTooLarge(ApiError):
    """The answer was larger than the client reads."""


class DecodeError(ApiError):
    """The answer was not what the API documents."""


class TransportError(ApiError):
    """The API could not be reached, after every retry."""


class BadReportWarning(UserWarning):
    """A line or dict of an export is not a report; it was skipped."""


class TruncatedWarning(UserWarning):
    """A search stopped before the end of its results (the API's 100-page cap, or a page
    budget); narrow it with ``from_``/``to``, or use ``driftql search --all``."""


# Shown as `driftql.SyntaxError`, not `driftql._errors.SyntaxError`, in tracebacks.
for _class in (
    Error, SyntaxError, InvalidQuery, InvalidRequest, ConfigError, ReportError, ApiError,
    Unauthorized, Forbidden, QuotaExceeded, RateLimited, BodyTooLarge, DecodeError,
    TransportError, BadReportWarning, TruncatedWarning,
):
    _class.__module__ = "driftql"
del _class
