"""driftql: Driftnet search expressions, checked before they spend quota.

One implementation, the Rust crate driftql, behind a small Python API:

>>> import driftql
>>> q = driftql.parse("product-tag:dahua AND (geo-country=RU or geo-country=IR)")
>>> str(q)
'(product-tag:dahua and (geo-country=RU or geo-country=IR))'
>>> [d.code for d in driftql.check("title: login and port-tcp:abc")]
['space-in-term', 'invalid-port']

- ``parse(text) -> Query`` (raises ``SyntaxError``, a ``ValueError``), ``fmt(text) -> str``,
  ``check(text) -> list[Diagnostic]`` (every syntax error and lint, never raises).
- ``Query``: ``.canonical``, ``.source``, ``.ast`` (the dicts ``driftql ast`` prints),
  ``.validate()``, ``.fix()``, ``str()``, ``==`` by tree, and ``&``, ``|``, ``~``.
- ``Term(type, op, value, context=None, prefix=False) -> Query``: values are raw strings; the
  printer quotes them, so no value can change a query's structure.
- ``Matcher(query, slop=0, host_in_url=False)``: ``.matches(report)``, ``.filter(path or
  iterable)`` (streaming, every layout ``driftql filter`` reads), ``.count(path)``.
- ``Client(token=None, api_url=None, ...)``: ``.search()``, ``.reports()``, ``.summarize()``,
  ``.quota()``, ``.prioritize()``; the token comes from ``DRIFTNET_API_TOKEN`` by default and
  never appears in a ``repr``, an exception or a warning.

Positions (``Diagnostic.span``, ``SyntaxError.span``, columns) count characters, as ``str``
indexes them; the ``ast`` dicts keep UTF-8 byte offsets, exactly as ``driftql ast`` prints them.
"""

from ._driftql import (
    Client,
    Diagnostic,
    Fix,
    Matcher,
    Matches,
    Page,
    Query,
    ReportIter,
    Term,
    __version__,
    check,
    fmt,
    parse,
)
from ._errors import (
    ApiError,
    BadReportWarning,
    BodyTooLarge,
    ConfigError,
    DecodeError,
    Error,
    Forbidden,
    InvalidQuery,
    InvalidRequest,
    QuotaExceeded,
    RateLimited,
    ReportError,
    SyntaxError,
    TransportError,
    TruncatedWarning,
    Unauthorized,
)

__all__ = [
    "ApiError",
    "BadReportWarning",
    "BodyTooLarge",
    "Client",
    "ConfigError",
    "DecodeError",
    "Diagnostic",
    "Error",
    "Fix",
    "Forbidden",
    "InvalidQuery",
    "InvalidRequest",
    "Matcher",
    "Matches",
    "Page",
    "Query",
    "QuotaExceeded",
    "RateLimited",
    "ReportError",
    "ReportIter",
    "SyntaxError",
    "Term",
    "TransportError",
    "TruncatedWarning",
    "Unauthorized",
    "__version__",
    "check",
    "fmt",
    "parse",
]
