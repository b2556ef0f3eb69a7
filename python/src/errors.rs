//! The Python exceptions and warnings of `driftql/_errors.py`, raised from Rust.
//!
//! Every message given to them comes from the crate, where text from a server has the token
//! redacted and control characters escaped; nothing here adds the token back.

use std::ffi::CString;
use std::sync::{Mutex, MutexGuard, TryLockError};

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::query::{Diagnostic, char_span};

/// The class `name` of `driftql._errors`.
fn class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("driftql._errors")?.getattr(name)
}

/// `driftql._errors.<name>(message, **attributes)` as an error to raise; `fill` sets the
/// attributes.
pub fn raise(
    py: Python<'_>,
    name: &str,
    message: &str,
    fill: impl FnOnce(&Bound<'_, PyDict>) -> PyResult<()>,
) -> PyErr {
    let built = (|| {
        let kwargs = PyDict::new(py);
        fill(&kwargs)?;
        class(py, name)?.call((message,), Some(&kwargs))
    })();
    match built {
        Ok(instance) => PyErr::from_value(instance),
        Err(e) => e,
    }
}

/// `driftql._errors.<name>(message)`.
pub fn plain(py: Python<'_>, name: &str, message: impl std::fmt::Display) -> PyErr {
    raise(py, name, &message.to_string(), |_| Ok(()))
}

/// Warns with `driftql._errors.<category>`, pointing at the line of Python that called in.
pub fn warn(py: Python<'_>, category: &str, message: &str) -> PyResult<()> {
    let message = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    PyErr::warn(py, &class(py, category)?, &message, 1)
}

/// A syntax error of `source`, with the caret rendering as its text.
pub fn syntax_error(py: Python<'_>, source: &str, error: &driftql::ParseError) -> PyErr {
    let d = error.diagnostic();
    let rendered = driftql::diagnostic::render(source, std::slice::from_ref(d), false);
    raise(py, "SyntaxError", &d.message, |kw| {
        kw.set_item("code", d.code)?;
        kw.set_item("span", char_span(source, d.span))?;
        kw.set_item("line", d.line)?;
        kw.set_item("column", d.column)?;
        kw.set_item("help", d.help.as_deref())?;
        kw.set_item("rendered", rendered.trim_end())
    })
}

/// A query with validation errors, for what refuses to use one (a matcher, a search).
pub fn invalid_query(
    py: Python<'_>,
    query: &driftql::Query,
    findings: &[driftql::Diagnostic],
) -> PyErr {
    let rendered = driftql::diagnostic::render(query.source(), findings, false);
    let first = findings
        .iter()
        .find(|d| d.is_error())
        .map_or("the query is invalid", |d| d.message.as_str());
    raise(py, "InvalidQuery", first, |kw| {
        let diagnostics = findings
            .iter()
            .map(|d| Py::new(py, Diagnostic::new(query.source(), d)))
            .collect::<PyResult<Vec<_>>>()?;
        kw.set_item("diagnostics", diagnostics)?;
        kw.set_item("rendered", rendered.trim_end())
    })
}

/// The state of an iterator, for one `__next__`: a second call while one runs (from another
/// thread, or from inside the first) is refused, as Python refuses a generator that is already
/// executing.
pub fn lock_iterator<T>(state: &Mutex<T>) -> PyResult<MutexGuard<'_, T>> {
    match state.try_lock() {
        Ok(state) => Ok(state),
        Err(TryLockError::WouldBlock) => Err(pyo3::exceptions::PyValueError::new_err(
            "the iterator is already running",
        )),
        Err(TryLockError::Poisoned(p)) => Ok(p.into_inner()),
    }
}
