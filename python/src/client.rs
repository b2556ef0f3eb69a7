//! `Client`: the crate's async client behind a synchronous, Pythonic face.
//!
//! Each `Client` owns a Tokio runtime (one thread: the calls block their caller). While a call
//! waits on the network the GIL is released, and every 100 ms the call looks for a signal, so
//! Ctrl-C interrupts it. Keyword parameters become the API's name/value pairs and are read by
//! the crate's one reader of search requests (`SearchRequest::from_pairs`, the local server's
//! too), so a parameter is checked here exactly as the server checks it.

use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use driftql::Report;
use driftql::client::{self as dq, Cache, Error, Reports};
use driftql::models::{Answer, Endpoint, PAGE_AND_SUMMARY, SearchRequest};
use futures::StreamExt;
use futures::future::Either;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyList, PyString, PyTuple};

use crate::errors;
use crate::query::Query;

/// The Driftnet API, called synchronously.
#[pyclass(frozen, module = "driftql")]
pub struct Client {
    client: dq::Client,
    runtime: Arc<tokio::runtime::Runtime>,
}

/// Runs `future` to its end on `runtime` with the GIL released, looking for signals (Ctrl-C)
/// every 100 ms.
fn wait<F>(py: Python<'_>, runtime: &tokio::runtime::Runtime, future: F) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    py.detach(|| {
        runtime.block_on(async {
            let mut future = std::pin::pin!(future);
            loop {
                let tick = std::pin::pin!(tokio::time::sleep(Duration::from_millis(100)));
                match futures::future::select(future.as_mut(), tick).await {
                    Either::Left((out, _)) => return Ok(out),
                    Either::Right(_) => Python::attach(|py| py.check_signals())?,
                }
            }
        })
    })
}

/// The Python exception for an error of the client. Its message is the crate's, in which the
/// token never appears.
pub fn api_error(py: Python<'_>, error: Error) -> PyErr {
    api_error_at(py, error, None)
}

/// [`api_error`] of a page of a stream, which names it (`.page`: where to go on).
fn api_error_at(py: Python<'_>, error: Error, page: Option<u32>) -> PyErr {
    let message = error.to_string();
    let status = error.status();
    let name = match &error {
        // The expression is checked before the request is built (`expression`), so this
        // comes only from a term checked by the crate on its own.
        Error::InvalidQuery(_) => return errors::plain(py, "InvalidQuery", &message),
        Error::InvalidRequest(_) => return errors::plain(py, "InvalidRequest", &message),
        Error::Unauthorized { .. } => "Unauthorized",
        Error::QuotaExceeded { .. } | Error::OverBudget { .. } => "QuotaExceeded",
        Error::Forbidden { .. } => "Forbidden",
        Error::RateLimited { .. } => "RateLimited",
        Error::BodyTooLarge { .. } => "BodyTooLarge",
        Error::Decode { .. } => "DecodeError",
        Error::Transport { .. } => "TransportError",
        Error::Api { .. } => "ApiError",
        _ => return errors::plain(py, "Error", &message),
    };
    let retry_after = match &error {
        Error::RateLimited { retry_after } => retry_after.map(|d| d.as_secs_f64()),
        _ => None,
    };
    errors::raise(py, name, &message, |kw| {
        kw.set_item("status", status)?;
        kw.set_item("page", page)?;
        if name == "RateLimited" {
            kw.set_item("retry_after", retry_after)?;
        }
        Ok(())
    })
}

/// The endpoint called `name`.
fn endpoint(name: &str) -> PyResult<Endpoint> {
    Ok(match name {
        "protocols" => Endpoint::Protocols,
        "domains" => Endpoint::Domains,
        "favicons" => Endpoint::Favicons,
        "rdns" => Endpoint::Rdns,
        "ct-log" | "ct_log" => Endpoint::CtLog,
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown endpoint {other:?}: one of \"protocols\", \"domains\", \"favicons\", \
                 \"rdns\", \"ct-log\""
            )));
        }
    })
}

/// Whether `name` is a parameter a caller sets through the method's own arguments, never
/// through `**params`: the expression, and those of a page or a summary.
fn set_by_the_method(name: &str) -> bool {
    name == "expression" || PAGE_AND_SUMMARY.contains(&name)
}

/// A value of a parameter as the API writes it.
fn param_text(name: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(if b.is_true() { "true" } else { "false" }.to_owned());
    }
    if value.is_instance_of::<PyInt>() {
        return Ok(value.str()?.to_string());
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(s.to_string());
    }
    if let Ok(q) = value.cast::<Query>() {
        return Ok(q.get().inner.canonical());
    }
    let py = value.py();
    // A date (a datetime too): its day, in ISO form.
    if value.is_instance(&py.import("datetime")?.getattr("date")?)? {
        let iso: String = value.call_method0("isoformat")?.extract()?;
        return Ok(iso.get(..10).unwrap_or(&iso).to_owned());
    }
    let ipaddress = py.import("ipaddress")?;
    for class in ["IPv4Address", "IPv6Address", "IPv4Network", "IPv6Network"] {
        if value.is_instance(&ipaddress.getattr(class)?)? {
            return Ok(value.str()?.to_string());
        }
    }
    Err(PyTypeError::new_err(format!(
        "{name}: expected a str, int, bool, date or IP address, not {}",
        value.get_type().name()?
    )))
}

/// Adds `name`'s value (or, for a list or tuple, each of its values) to `pairs`.
fn push(pairs: &mut Vec<(String, String)>, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
    if value.is_none() {
        return Ok(());
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        for item in value.try_iter()? {
            pairs.push((name.to_owned(), param_text(name, &item?)?));
        }
        return Ok(());
    }
    pairs.push((name.to_owned(), param_text(name, value)?));
    Ok(())
}

/// The expression as the API's parameter: parsed (a syntax error raises `SyntaxError`) and
/// validated (errors raise `InvalidQuery`; warnings do not refuse it).
fn expression(py: Python<'_>, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    crate::matcher::checked_query(py, value).map(|q| Some(q.canonical()))
}

/// A whole search request, read from the method's arguments by the crate's reader.
fn request(
    py: Python<'_>,
    endpoint: Endpoint,
    own: Vec<(String, String)>,
    params: Option<&Bound<'_, PyDict>>,
    method: &str,
) -> PyResult<SearchRequest> {
    let mut pairs = own;
    if let Some(params) = params {
        for (key, value) in params.iter() {
            let key: String = key.extract()?;
            // `from` is a Python keyword: `from_=...`.
            let name = key.strip_suffix('_').unwrap_or(&key);
            if set_by_the_method(name) || !endpoint.takes(name) {
                let takes: Vec<&str> = endpoint
                    .params()
                    .iter()
                    .filter(|p| !set_by_the_method(p))
                    .map(|&p| if p == "from" { "from_" } else { p })
                    .collect();
                return Err(PyTypeError::new_err(format!(
                    "{method}() got an unexpected keyword argument {}; {} takes {}",
                    crate::query::py_repr(py, &key)?,
                    endpoint.path(),
                    takes.join(", ")
                )));
            }
            push(&mut pairs, name, &value)?;
        }
    }
    SearchRequest::from_pairs(&pairs, endpoint, true).map_err(|findings| {
        let lines: Vec<String> = findings
            .iter()
            .map(|f| match &f.param {
                Some(p) => format!("{p}: {}", f.diagnostic.message),
                None => f.diagnostic.message.clone(),
            })
            .collect();
        let codes: Vec<&str> = findings.iter().map(|f| f.diagnostic.code).collect();
        errors::raise(py, "InvalidRequest", &lines.join("; "), |kw| {
            kw.set_item("codes", codes)
        })
    })
}

impl Client {
    fn builder(&self, endpoint: Endpoint, request: SearchRequest) -> dq::SearchBuilder {
        let builder = match endpoint {
            Endpoint::Domains => self.client.domains(),
            Endpoint::Favicons => self.client.favicons(),
            Endpoint::Rdns => self.client.rdns(),
            Endpoint::CtLog => self.client.ct_log(),
            _ => self.client.protocols(),
        };
        builder.with_params(request.params)
    }
}

#[pymethods]
impl Client {
    /// A client of the API at `api_url` (default `https://api.driftnet.io`, or
    /// `DRIFTNET_API_URL`) with `token` (default `DRIFTNET_API_TOKEN`). `cache=True` keeps each
    /// fetched page in the user's cache directory for `cache_ttl` seconds (default a day), as
    /// `driftql search --cache` does.
    #[new]
    #[pyo3(signature = (token = None, api_url = None, *, timeout = 60.0, max_retries = 4, cache = false, cache_ttl = None))]
    fn new(
        py: Python<'_>,
        token: Option<String>,
        api_url: Option<String>,
        timeout: f64,
        max_retries: usize,
        cache: bool,
        cache_ttl: Option<f64>,
    ) -> PyResult<Self> {
        let seconds = |name: &str, s: f64| {
            Duration::try_from_secs_f64(s).map_err(|_| {
                PyValueError::new_err(format!("{name} must be a number of seconds ≥ 0"))
            })
        };
        let mut builder = dq::Client::builder()
            .with_env()
            .timeout(seconds("timeout", timeout)?)
            .max_retries(max_retries);
        if let Some(token) = token {
            builder = builder.token(token);
        }
        if let Some(url) = api_url {
            builder = builder.base_url(url);
        }
        if cache {
            let mut store =
                Cache::at_default_dir().map_err(|e| errors::plain(py, "ConfigError", e))?;
            if let Some(ttl) = cache_ttl {
                store = store.ttl(seconds("cache_ttl", ttl)?);
            }
            builder = builder.cache(store);
        }
        let client = builder
            .build()
            .map_err(|e| errors::plain(py, "ConfigError", e))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| errors::plain(py, "Error", e))?;
        Ok(Client {
            client,
            runtime: Arc::new(runtime),
        })
    }

    /// The base URL requests go to.
    #[getter]
    fn api_url(&self) -> String {
        self.client.base_url().to_string()
    }

    /// One page of results (`page`, from 0) of a search of `endpoint`. Other parameters are
    /// the API's, by name (`from_` for `from`; a list for a repeatable one such as `filter`).
    #[pyo3(signature = (expression = None, *, endpoint = "protocols", page = 0, **params))]
    fn search(
        &self,
        py: Python<'_>,
        expression: Option<&Bound<'_, PyAny>>,
        endpoint: &str,
        page: u32,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Page> {
        let endpoint = self::endpoint(endpoint)?;
        let mut own = vec![("page".to_owned(), page.to_string())];
        own.extend(self::expression(py, expression)?.map(|e| ("expression".to_owned(), e)));
        let request = request(py, endpoint, own, params, "search")?;
        let page = match request.answer {
            Answer::Results(p) => p.get(),
            Answer::Summary(_) => 0,
        };
        let builder = self.builder(endpoint, request).page(page);
        let answer = wait(py, &self.runtime, builder.send())?.map_err(|e| api_error(py, e))?;
        Ok(Page {
            page: answer.page,
            pages: answer.pages,
            result_count: answer.result_count,
            results: pythonize::pythonize(py, &answer.results)?.unbind(),
        })
    }

    /// Every report of a search, as dicts, page after page from `page` (several pages in
    /// flight, each report once), up to `max_pages` pages or the API's cap of 100: a search
    /// that stops short of its results warns with `TruncatedWarning`. A page that fails raises
    /// with its number in `.page`: pass it as `page` to go on. Parameters as for `search`.
    #[pyo3(signature = (expression = None, *, endpoint = "protocols", page = 0, max_pages = None, **params))]
    fn reports(
        &self,
        py: Python<'_>,
        expression: Option<&Bound<'_, PyAny>>,
        endpoint: &str,
        page: u32,
        max_pages: Option<u32>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<ReportIter> {
        let endpoint = self::endpoint(endpoint)?;
        let mut own = vec![("page".to_owned(), page.to_string())];
        own.extend(self::expression(py, expression)?.map(|e| ("expression".to_owned(), e)));
        let request = request(py, endpoint, own, params, "reports")?;
        let start = match request.answer {
            Answer::Results(p) => p.get(),
            Answer::Summary(_) => 0,
        };
        let mut builder = self.builder(endpoint, request).page(start);
        if let Some(n) = max_pages {
            builder = builder.max_pages(n);
        }
        let reports = builder.reports().map_err(|e| api_error(py, e))?;
        Ok(ReportIter {
            runtime: Arc::clone(&self.runtime),
            state: Mutex::new(Stream {
                reports: Some(reports),
                pending: None,
                warned: false,
            }),
        })
    }

    /// The counts of `field`'s values among a search's results: a dict
    /// `{"values": {value: count, ...}, "other": n}` (and `"cardinality"` when asked for), in
    /// the server's order. `context` and `no_context` (a str or a list) keep or leave out items
    /// of those contexts.
    #[pyo3(signature = (expression = None, *, field, endpoint = "protocols", context = None, no_context = None, limit = None, cardinality = None, **params))]
    #[allow(clippy::too_many_arguments)]
    fn summarize<'py>(
        &self,
        py: Python<'py>,
        expression: Option<&Bound<'py, PyAny>>,
        field: &str,
        endpoint: &str,
        context: Option<&Bound<'py, PyAny>>,
        no_context: Option<&Bound<'py, PyAny>>,
        limit: Option<u32>,
        cardinality: Option<bool>,
        params: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let endpoint = self::endpoint(endpoint)?;
        let mut own = vec![("summarize".to_owned(), field.to_owned())];
        own.extend(self::expression(py, expression)?.map(|e| ("expression".to_owned(), e)));
        if let Some(c) = context {
            push(&mut own, "summary_context", c)?;
        }
        if let Some(c) = no_context {
            push(&mut own, "summary_nocontext", c)?;
        }
        own.extend(limit.map(|l| ("summary_limit".to_owned(), l.to_string())));
        own.extend(cardinality.map(|c| ("summary_cardinality".to_owned(), c.to_string())));
        let request = request(py, endpoint, own, params, "summarize")?;
        let Answer::Summary(summary) = request.answer.clone() else {
            return Err(PyValueError::new_err("a summary needs a field"));
        };
        let builder = self
            .builder(endpoint, request)
            .summarize(summary.field.clone())
            .with_summary(summary);
        let answer = wait(py, &self.runtime, builder.send())?.map_err(|e| api_error(py, e))?;
        Ok(pythonize::pythonize(py, &answer)?)
    }

    /// The account behind the token and its quota (`/v1/admin/user`), as a dict; the token
    /// the API echoes is never part of it.
    fn quota<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let account = wait(py, &self.runtime, self.client.user())?.map_err(|e| api_error(py, e))?;
        Ok(pythonize::pythonize(py, &account)?)
    }

    /// Asks for `ip`:`port` to be scanned again soon (`/v1/scan/protocols/prioritize`).
    fn prioritize<'py>(&self, py: Python<'py>, ip: &str, port: u16) -> PyResult<Bound<'py, PyAny>> {
        let ip: IpAddr = ip
            .parse()
            .map_err(|_| PyValueError::new_err(format!("not an IP address: {ip:?}")))?;
        let answer = wait(py, &self.runtime, self.client.prioritize(ip, port))?
            .map_err(|e| api_error(py, e))?;
        Ok(pythonize::pythonize(py, &answer)?)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Client(api_url={})",
            crate::query::py_repr(py, self.client.base_url().as_str())?
        ))
    }
}

/// One page of search results.
#[pyclass(frozen, module = "driftql")]
pub struct Page {
    /// The page's number, from 0.
    #[pyo3(get)]
    page: u32,
    /// How many pages the result set has (the server caps it at 100).
    #[pyo3(get)]
    pages: u32,
    /// How many reports match in all.
    #[pyo3(get)]
    result_count: u64,
    /// The page's reports, as dicts.
    #[pyo3(get)]
    results: Py<PyAny>,
}

#[pymethods]
impl Page {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Page(page={}, pages={}, result_count={}, results=<{} reports>)",
            self.page,
            self.pages,
            self.result_count,
            self.results.bind(py).len()?
        ))
    }
}

struct Stream {
    /// `None` once the stream has ended.
    reports: Option<Reports>,
    /// A report fetched but not yet given (the warning before it was turned into an error).
    pending: Option<Report>,
    warned: bool,
}

/// The reports of `Client.reports`, an iterator of dicts.
#[pyclass(frozen, module = "driftql")]
pub struct ReportIter {
    runtime: Arc<tokio::runtime::Runtime>,
    state: Mutex<Stream>,
}

#[pymethods]
impl ReportIter {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let mut guard = crate::errors::lock_iterator(&self.state)?;
        let state = &mut *guard;
        if let Some(report) = state.pending.take() {
            return Ok(Some(pythonize::pythonize(py, &report)?.unbind()));
        }
        let Some(reports) = state.reports.as_mut() else {
            return Ok(None);
        };
        // Interrupted (Ctrl-C), the stream stays as it was: the next call goes on.
        let next = wait(py, &self.runtime, reports.next())?;
        let truncation = reports
            .truncation()
            .filter(|_| !state.warned)
            .map(ToString::to_string);
        match next {
            Some(Ok(report)) => {
                if let Some(t) = truncation {
                    state.warned = true;
                    if let Err(e) = errors::warn(py, "TruncatedWarning", &t) {
                        state.pending = Some(report);
                        return Err(e);
                    }
                }
                Ok(Some(pythonize::pythonize(py, &report)?.unbind()))
            }
            Some(Err(e)) => {
                state.reports = None;
                let page = e.page;
                Err(api_error_at(py, e.into_error(), Some(page)))
            }
            None => {
                state.reports = None;
                match truncation {
                    Some(t) => {
                        state.warned = true;
                        errors::warn(py, "TruncatedWarning", &t).map(|()| None)
                    }
                    None => Ok(None),
                }
            }
        }
    }
}
