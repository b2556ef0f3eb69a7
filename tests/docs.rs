//! The documentation's tables are checked against the code's own: the README's findings and
//! syntax error codes, and the contract's (LANGUAGE.md §4) lint table.

use driftql::{Lint, Severity, SyntaxErrorKind};

const README: &str = include_str!("../README.md");
const LANGUAGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/spec/LANGUAGE.md");

/// The rows of the Markdown table whose header row starts with `header`, as cells.
fn table<'a>(doc: &'a str, header: &str) -> Vec<Vec<&'a str>> {
    let mut lines = doc.lines().skip_while(|l| !l.starts_with(header));
    assert!(lines.next().is_some(), "no table headed {header:?}");
    lines
        .skip(1) // the |---| row
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
        .collect()
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        _ => "warning",
    }
}

#[test]
fn the_readme_lists_every_lint_as_the_table_in_the_code_has_it() {
    let rows = table(README, "| code | severity | fires when | fix |");
    let expected: Vec<Vec<String>> = Lint::ALL
        .iter()
        .map(|l| {
            vec![
                format!("`{}`", l.code()),
                severity(l.severity()).to_string(),
                l.fires_when().to_string(),
                l.fix().unwrap_or("—").to_string(),
            ]
        })
        .collect();
    assert_eq!(rows, expected);
}

#[test]
fn the_readme_lists_every_syntax_error_code() {
    let at = README
        .find("Syntax error codes:")
        .expect("the README lists the syntax error codes");
    let para = &README[at..README[at..].find("\n\n").map_or(README.len(), |e| at + e)];
    let listed: Vec<&str> = para.split('`').skip(1).step_by(2).collect();
    let codes: Vec<&str> = SyntaxErrorKind::ALL.iter().map(|k| k.code()).collect();
    assert_eq!(listed, codes);
}

#[test]
fn every_lint_of_the_contract_is_in_the_table_with_its_severity_and_fix() {
    let text = std::fs::read_to_string(LANGUAGE).expect("LANGUAGE.md beside the crate");
    let rows = table(&text, "| code | severity | fires when | fix |");
    assert!(!rows.is_empty());
    for row in rows {
        let code = row[0].trim_matches('`');
        let lint = Lint::from_code(code).unwrap_or_else(|| panic!("{code} is not a lint"));
        assert_eq!(severity(lint.severity()), row[1], "{code}");
        assert_eq!(
            lint.fix().is_some(),
            row[3] != "—",
            "{code}: fix {:?}",
            row[3]
        );
    }
}
