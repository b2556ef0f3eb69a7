//! The shared conformance cases: every `*.toml` in `../shared/spec/conformance/`.
//!
//! Each `[[case]]` has an `input` and either `syntax_error = true` (parsing must fail) or a
//! `canonical` form that `print(parse(input))` must give, and that must be a fixed point of
//! print∘parse. A case's `codes` are the validator's findings it must produce, in any order
//! ([`check_codes`]).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

mod verified;
use verified::verify;

const CONFORMANCE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/spec/conformance");

#[derive(Debug, Deserialize)]
struct File {
    #[serde(default)]
    case: Vec<Case>,
}

#[derive(Debug, Deserialize)]
struct Case {
    input: String,
    canonical: Option<String>,
    #[serde(default)]
    syntax_error: bool,
    /// The validator findings `input` must produce, by code, in any order.
    #[serde(default)]
    codes: Vec<String>,
}

/// Every case of every conformance file, with the file it came from. Panics, naming the folder,
/// when there is no case at all.
fn cases() -> Vec<(PathBuf, Case)> {
    let dir = Path::new(CONFORMANCE_DIR);
    let entries = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read the conformance folder {}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let text = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let file: File = toml::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not a conformance file: {e}", path.display()));
        cases.extend(file.case.into_iter().map(|c| (path.clone(), c)));
    }
    assert!(
        !cases.is_empty(),
        "no conformance case found in {}/*.toml",
        dir.display()
    );
    cases
}

/// The validator's findings on `input` must be exactly `codes`, in any order (an absent
/// `codes` means no finding at all).
fn check_codes(input: &str, codes: &[String]) -> Result<(), String> {
    let query = driftql::parse(input).map_err(|e| format!("{input:?}: {e}"))?;
    let mut found: Vec<&str> = query.validate().iter().map(|d| d.code).collect();
    let mut expected: Vec<&str> = codes.iter().map(String::as_str).collect();
    found.sort_unstable();
    expected.sort_unstable();
    if found != expected {
        return Err(format!(
            "{input:?}: findings {found:?}, expected {expected:?}"
        ));
    }
    Ok(())
}

/// What is wrong with one case, if anything.
fn check(case: &Case) -> Result<(), String> {
    let input = &case.input;
    if case.syntax_error {
        if let Some(canonical) = &case.canonical {
            return Err(format!(
                "{input:?}: a syntax-error case has a canonical form {canonical:?}"
            ));
        }
        return match driftql::parse(input) {
            Ok(q) => Err(format!(
                "{input:?}: must be a syntax error, but parsed as {q}"
            )),
            Err(_) => Ok(()),
        };
    }
    let Some(canonical) = &case.canonical else {
        return Err(format!(
            "{input:?}: neither `canonical` nor `syntax_error = true`"
        ));
    };
    verify(input, canonical)?;
    check_codes(input, &case.codes)
}

#[test]
fn every_conformance_case_holds() {
    let cases = cases();
    let mut failures = String::new();
    for (path, case) in &cases {
        if let Err(e) = check(case) {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            writeln!(failures, "{name}: {e}").unwrap();
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} conformance cases fail:\n{failures}",
        failures.lines().count(),
        cases.len()
    );
}
