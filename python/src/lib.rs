//! `driftql._driftql`: the native module of the `driftql` Python package.
//!
//! Everything here is a thin layer over the `driftql` crate: text in, the crate's own parser,
//! validator, printer, matcher, export reader and client, plain Python values out. The
//! exceptions and warnings are Python classes (`driftql/_errors.py`), so that they can inherit
//! from two bases (`SyntaxError` is a `driftql.Error` and a `ValueError`); this module raises
//! them by name.
//!
//! Positions given to Python (`Diagnostic.span`, `SyntaxError.span`, `column`) count
//! characters, as Python's `str` indexes them; the `ast` dicts keep the crate's UTF-8 byte
//! offsets, exactly as `driftql ast` prints them.

use pyo3::prelude::*;

mod client;
mod errors;
mod matcher;
mod query;

#[pymodule]
fn _driftql(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<query::Query>()?;
    m.add_class::<query::Diagnostic>()?;
    m.add_class::<query::Fix>()?;
    m.add_class::<matcher::Matcher>()?;
    m.add_class::<matcher::Matches>()?;
    m.add_class::<client::Client>()?;
    m.add_class::<client::Page>()?;
    m.add_class::<client::ReportIter>()?;
    m.add_function(wrap_pyfunction!(query::parse, m)?)?;
    m.add_function(wrap_pyfunction!(query::fmt, m)?)?;
    m.add_function(wrap_pyfunction!(query::check, m)?)?;
    m.add_function(wrap_pyfunction!(query::term, m)?)?;
    Ok(())
}
