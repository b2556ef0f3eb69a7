//! `parse`, `fmt`, `check`, `Term` and the `Query`, `Diagnostic` and `Fix` classes.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyString};

use crate::errors;

/// The span of `span`'s bytes of `source`, counted in characters as Python's `str` counts them.
pub fn char_span(source: &str, span: driftql::Span) -> (usize, usize) {
    let at = |byte: usize| {
        let mut byte = byte.min(source.len());
        while !source.is_char_boundary(byte) {
            byte -= 1;
        }
        source[..byte].chars().count()
    };
    (at(span.start), at(span.end))
}

/// A parsed expression (from `parse`) or a built one (from `Term` and `&`, `|`, `~`).
#[pyclass(frozen, module = "driftql")]
pub struct Query {
    pub inner: driftql::Query,
}

impl Query {
    /// A built tree as a query: refused (`ValueError`) only when it nests too deep.
    fn built(expr: driftql::Expr) -> PyResult<Query> {
        driftql::Query::try_from(expr)
            .map(|inner| Query { inner })
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.message().to_owned()))
    }
}

#[pymethods]
impl Query {
    /// The text the query was parsed from (for a built query, its canonical form).
    #[getter]
    fn source(&self) -> &str {
        self.inner.source()
    }

    /// The one canonical form: fully parenthesised, lowercase operators and types.
    #[getter]
    fn canonical(&self) -> String {
        self.inner.canonical()
    }

    /// The syntax tree as plain dicts and lists, the shape `driftql ast` prints (its spans
    /// are UTF-8 byte offsets into `source`).
    #[getter]
    fn ast<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(pythonize::pythonize(py, self.inner.expr())?)
    }

    /// Every finding of the validator (errors and warnings), in source order.
    fn validate(&self) -> Vec<Diagnostic> {
        let source = self.inner.source();
        self.inner
            .validate()
            .iter()
            .map(|d| Diagnostic::new(source, d))
            .collect()
    }

    /// The query with every machine-applicable fix applied.
    fn fix(&self) -> Query {
        Query {
            inner: self.inner.fix(),
        }
    }

    fn __str__(&self) -> String {
        self.inner.canonical()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Query({})", py_repr(py, &self.inner.canonical())?))
    }

    /// Equal when the trees are, however the queries were written.
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> Py<PyAny> {
        let py = other.py();
        match other.cast::<Query>() {
            Ok(other) => PyBool::new(py, self.inner == other.get().inner)
                .to_owned()
                .into_any()
                .unbind(),
            Err(_) => py.NotImplemented(),
        }
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.hash(&mut h);
        h.finish()
    }

    fn __and__(&self, other: &Bound<'_, Query>) -> PyResult<Query> {
        let expr = self
            .inner
            .expr()
            .clone()
            .and(other.get().inner.expr().clone());
        Query::built(expr)
    }

    fn __or__(&self, other: &Bound<'_, Query>) -> PyResult<Query> {
        let expr = self
            .inner
            .expr()
            .clone()
            .or(other.get().inner.expr().clone());
        Query::built(expr)
    }

    fn __invert__(&self) -> PyResult<Query> {
        Query::built(!self.inner.expr().clone())
    }
}

/// `text` as Python's `repr` writes it.
pub fn py_repr(py: Python<'_>, text: &str) -> PyResult<String> {
    Ok(PyString::new(py, text).repr()?.to_string())
}

/// A machine-applicable edit: replace the characters of `span` with `replacement`.
#[pyclass(frozen, module = "driftql", eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Fix {
    /// `(start, end)`, in characters of the source.
    #[pyo3(get)]
    span: (usize, usize),
    /// The text to put in their place.
    #[pyo3(get)]
    replacement: String,
}

#[pymethods]
impl Fix {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Fix(span=({}, {}), replacement={})",
            self.span.0,
            self.span.1,
            py_repr(py, &self.replacement)?
        ))
    }
}

/// One finding about a query: a syntax error or a lint.
#[pyclass(frozen, module = "driftql", eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// A stable kebab-case code, e.g. `keyword-only-type`.
    #[pyo3(get)]
    code: &'static str,
    /// `"error"` or `"warning"`.
    #[pyo3(get)]
    severity: &'static str,
    /// What is wrong.
    #[pyo3(get)]
    message: String,
    /// `(start, end)`, in characters of the source (`text[start:end]`).
    #[pyo3(get)]
    span: (usize, usize),
    /// 1-based line of the start.
    #[pyo3(get)]
    line: usize,
    /// 1-based column of the start, in characters.
    #[pyo3(get)]
    column: usize,
    /// What to do about it.
    #[pyo3(get)]
    help: Option<String>,
    /// An edit that resolves it, when one applies mechanically.
    #[pyo3(get)]
    fix: Option<Fix>,
    /// The crate's one-line rendering.
    text: String,
}

impl Diagnostic {
    pub fn new(source: &str, d: &driftql::Diagnostic) -> Diagnostic {
        Diagnostic {
            code: d.code,
            severity: match d.severity {
                driftql::Severity::Error => "error",
                driftql::Severity::Warning => "warning",
            },
            message: d.message.clone(),
            span: char_span(source, d.span),
            line: d.line,
            column: d.column,
            help: d.help.clone(),
            fix: d.fix.as_ref().map(|f| Fix {
                span: char_span(source, f.span),
                replacement: f.replacement.clone(),
            }),
            text: d.to_string(),
        }
    }
}

#[pymethods]
impl Diagnostic {
    /// Whether it is an error (the query must not be sent).
    #[getter]
    fn is_error(&self) -> bool {
        self.severity == "error"
    }

    fn __str__(&self) -> &str {
        &self.text
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Diagnostic(code={}, severity={}, span=({}, {}), message={})",
            py_repr(py, self.code)?,
            py_repr(py, self.severity)?,
            self.span.0,
            self.span.1,
            py_repr(py, &self.message)?
        ))
    }
}

/// Parses `text` into a `Query`; raises `driftql.SyntaxError` (a `ValueError`) at the first
/// syntax error.
#[pyfunction]
pub fn parse(py: Python<'_>, text: &str) -> PyResult<Query> {
    driftql::parse(text)
        .map(|inner| Query { inner })
        .map_err(|e| errors::syntax_error(py, text, &e))
}

/// The canonical form of `text`; raises `driftql.SyntaxError` at the first syntax error.
#[pyfunction]
pub fn fmt(py: Python<'_>, text: &str) -> PyResult<String> {
    parse(py, text).map(|q| q.inner.canonical())
}

/// Every finding about `text`, in source order: each syntax error, and the lints of what
/// parsed. Never raises for bad input.
#[pyfunction]
pub fn check(text: &str) -> Vec<Diagnostic> {
    driftql::parse_recovering(text)
        .diagnostics()
        .iter()
        .map(|d| Diagnostic::new(text, d))
        .collect()
}

/// One term, `type[;context](:|=)value[*]`, as a `Query`. `op` is `":"` (match words) or
/// `"="` (whole value). The value and the context are raw strings: whatever they hold, the
/// printer quotes them, so they stay one value.
#[pyfunction]
#[pyo3(name = "Term", signature = (r#type, op, value, context = None, prefix = false))]
pub fn term(
    py: Python<'_>,
    r#type: &str,
    op: &str,
    value: String,
    context: Option<String>,
    prefix: bool,
) -> PyResult<Query> {
    let op = match op {
        ":" => driftql::Op::Match,
        "=" => driftql::Op::Keyword,
        other => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "op must be \":\" (match) or \"=\" (keyword), not {}",
                py_repr(py, other)?
            )));
        }
    };
    let mut term = driftql::Term::try_new(r#type, op, value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?
        .with_prefix(prefix);
    if let Some(context) = context {
        term = term.with_context(context);
    }
    Query::built(term.into())
}
