"""Type stubs of the native module (see the package docstring)."""

import os
from datetime import date
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import (
    Any,
    Dict,
    Iterable,
    Iterator,
    List,
    Literal,
    Mapping,
    Optional,
    Tuple,
    Union,
    overload,
)

__version__: str

Report = Dict[str, Any]
_Param = Union[str, int, bool, date, IPv4Address, IPv6Address, IPv4Network, IPv6Network, "Query"]
_ParamValue = Union[_Param, List[_Param], Tuple[_Param, ...], None]

class Query:
    @property
    def source(self) -> str: ...
    @property
    def canonical(self) -> str: ...
    @property
    def ast(self) -> Dict[str, Any]: ...
    def validate(self) -> List[Diagnostic]: ...
    def fix(self) -> Query: ...
    def __and__(self, other: Query) -> Query: ...
    def __or__(self, other: Query) -> Query: ...
    def __invert__(self) -> Query: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Fix:
    @property
    def span(self) -> Tuple[int, int]: ...
    @property
    def replacement(self) -> str: ...
    def __hash__(self) -> int: ...

class Diagnostic:
    @property
    def code(self) -> str: ...
    @property
    def severity(self) -> Literal["error", "warning"]: ...
    @property
    def is_error(self) -> bool: ...
    @property
    def message(self) -> str: ...
    @property
    def span(self) -> Tuple[int, int]: ...
    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...
    @property
    def help(self) -> Optional[str]: ...
    @property
    def fix(self) -> Optional[Fix]: ...
    def __hash__(self) -> int: ...

def parse(text: str) -> Query: ...
def fmt(text: str) -> str: ...
def check(text: str) -> List[Diagnostic]: ...
def Term(
    type: str,
    op: Literal[":", "="],
    value: str,
    context: Optional[str] = None,
    prefix: bool = False,
) -> Query: ...

_Errors = Literal["warn", "raise", "ignore"]

class Matcher:
    def __init__(self, query: Union[Query, str], slop: int = 0, host_in_url: bool = False) -> None: ...
    @property
    def query(self) -> Query: ...
    @property
    def slop(self) -> int: ...
    @property
    def host_in_url(self) -> bool: ...
    def matches(self, report: Mapping[str, Any]) -> bool: ...
    @overload
    def filter(
        self,
        source: Union[str, "os.PathLike[str]", Iterable[Mapping[str, Any]]],
        *,
        errors: _Errors = "warn",
        strict: bool = False,
        raw: Literal[False] = False,
    ) -> Matches: ...
    @overload
    def filter(
        self,
        source: Union[str, "os.PathLike[str]"],
        *,
        errors: _Errors = "warn",
        strict: bool = False,
        raw: Literal[True],
    ) -> _RawMatches: ...
    def count(self, path: Union[str, "os.PathLike[str]"], *, strict: bool = False) -> int: ...

class Matches(Iterator[Report]):
    def __iter__(self) -> Matches: ...
    def __next__(self) -> Report: ...

# At run time the same class as `Matches`, yielding bytes (`raw=True`).
class _RawMatches(Iterator[bytes]):
    def __iter__(self) -> _RawMatches: ...
    def __next__(self) -> bytes: ...

_Endpoint = Literal["protocols", "domains", "favicons", "rdns", "ct-log"]

class Page:
    @property
    def page(self) -> int: ...
    @property
    def pages(self) -> int: ...
    @property
    def result_count(self) -> int: ...
    @property
    def results(self) -> List[Report]: ...

class ReportIter(Iterator[Report]):
    def __iter__(self) -> ReportIter: ...
    def __next__(self) -> Report: ...

class Client:
    def __init__(
        self,
        token: Optional[str] = None,
        api_url: Optional[str] = None,
        *,
        timeout: float = 60.0,
        max_retries: int = 4,
        cache: bool = False,
        cache_ttl: Optional[float] = None,
    ) -> None: ...
    @property
    def api_url(self) -> str: ...
    def search(
        self,
        expression: Union[Query, str, None] = None,
        *,
        endpoint: _Endpoint = "protocols",
        page: int = 0,
        **params: _ParamValue,
    ) -> Page: ...
    def reports(
        self,
        expression: Union[Query, str, None] = None,
        *,
        endpoint: _Endpoint = "protocols",
        page: int = 0,
        max_pages: Optional[int] = None,
        **params: _ParamValue,
    ) -> ReportIter: ...
    def summarize(
        self,
        expression: Union[Query, str, None] = None,
        *,
        field: str,
        endpoint: _Endpoint = "protocols",
        context: Union[str, List[str], Tuple[str, ...], None] = None,
        no_context: Union[str, List[str], Tuple[str, ...], None] = None,
        limit: Optional[int] = None,
        cardinality: Optional[bool] = None,
        **params: _ParamValue,
    ) -> Dict[str, Any]: ...
    def quota(self) -> Dict[str, Any]: ...
    def prioritize(self, ip: str, port: int) -> Any: ...
