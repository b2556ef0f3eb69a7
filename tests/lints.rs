//! Every lint, with a case that fires and a near miss that must not.
//!
//! `tests/lints/fire/CODE[--variant].txt` must produce the finding `CODE`;
//! `tests/lints/miss/CODE.txt` must produce no finding `CODE`. Each case is also snapshotted:
//! the human rendering, the JSON findings and the fixed canonical form. Adding a case is adding
//! a file. Files are read as they are, without a trailing newline.

use std::path::Path;
use std::sync::Mutex;

use driftql::Lint;
use driftql::diagnostic::render;

/// Every lint's code, from the table the validator reports by.
fn codes() -> Vec<&'static str> {
    Lint::ALL.iter().map(|l| l.code()).collect()
}

/// insta's glob runs every file of a folder in one test, and two glob tests running at once can
/// report each other's failures; the glob tests take this lock to run one at a time.
static ONE_GLOB_AT_A_TIME: Mutex<()> = Mutex::new(());

fn code_of(path: &Path) -> String {
    let stem = path.file_stem().unwrap().to_str().unwrap();
    stem.split("--").next().unwrap().to_string()
}

fn snapshot_of(source: &str) -> String {
    let query = driftql::parse(source).expect("lint cases parse");
    let diagnostics = query.validate();
    let json = serde_json::to_string_pretty(&diagnostics).unwrap();
    format!(
        "input: {source}\ncanonical: {query}\nfixed: {}\n\n{}\n{json}\n",
        query.fix(),
        render(source, &diagnostics, false)
    )
}

#[test]
fn lints_fire() {
    let _one_at_a_time = ONE_GLOB_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    insta::glob!("lints/fire/*.txt", |path| {
        let source = std::fs::read_to_string(path).unwrap();
        let code = code_of(path);
        assert!(codes().contains(&code.as_str()), "{path:?} names no lint");
        let codes: Vec<_> = driftql::parse(&source)
            .unwrap()
            .validate()
            .iter()
            .map(|d| d.code)
            .collect();
        assert!(
            codes.contains(&code.as_str()),
            "{source:?} should give {code}, gave {codes:?}"
        );
        insta::assert_snapshot!(snapshot_of(&source));
    });
}

#[test]
fn near_misses_do_not_fire() {
    let _one_at_a_time = ONE_GLOB_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    insta::glob!("lints/miss/*.txt", |path| {
        let source = std::fs::read_to_string(path).unwrap();
        let code = code_of(path);
        let codes: Vec<_> = driftql::parse(&source)
            .unwrap()
            .validate()
            .iter()
            .map(|d| d.code)
            .collect();
        assert!(
            !codes.contains(&code.as_str()),
            "{source:?} should not give {code}, gave {codes:?}"
        );
        insta::assert_snapshot!(snapshot_of(&source));
    });
}

#[test]
fn every_lint_has_a_firing_case_and_a_near_miss() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lints");
    for kind in ["fire", "miss"] {
        let seen: Vec<String> = std::fs::read_dir(dir.join(kind))
            .unwrap()
            .map(|e| code_of(&e.unwrap().path()))
            .collect();
        for code in codes() {
            assert!(seen.iter().any(|s| s == code), "no {kind} case for {code}");
        }
    }
}

#[test]
fn every_lint_fires_with_its_severity_and_fixes_only_when_it_has_a_fix() {
    let all = "geo-country:gb or ip=1.2.3.4 or ip:1.2.3.999 or port-tcp:x or geo-country=GBR \
               or title:\"\" or http-header;Server:x or protocol=SSH or tilte:x \
               or search-term:x or host:a.com/b or not not a:1 or obj-sha1=abc \
               or cve=CVE-1 or asn:ASX";
    let found = driftql::parse(all).unwrap().validate();
    for d in &found {
        let lint = Lint::from_code(d.code).expect("a lint of the table");
        assert_eq!(d.severity, lint.severity(), "{}", d.code);
        if d.fix.is_some() {
            assert!(
                lint.fix().is_some(),
                "{} has a fix the table does not list",
                d.code
            );
        }
    }
    let mut seen: Vec<_> = found.iter().map(|d| d.code).collect();
    seen.sort_unstable();
    seen.dedup();
    // `a:1` adds an unknown-type; every code of the table is here.
    assert_eq!(seen.len(), Lint::ALL.len(), "{seen:?}");
    // Each lint the table says is fixable gives a fix somewhere in the firing cases.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lints/fire");
    let fixed: Vec<&str> = std::fs::read_dir(dir)
        .unwrap()
        .flat_map(|e| {
            let src = std::fs::read_to_string(e.unwrap().path()).unwrap();
            driftql::parse(&src).unwrap().validate()
        })
        .filter(|d| d.fix.is_some())
        .map(|d| d.code)
        .collect();
    for lint in Lint::ALL.iter().filter(|l| l.fix().is_some()) {
        assert!(
            fixed.contains(&lint.code()),
            "no firing case of {} gives its fix",
            lint.code()
        );
    }
}

#[test]
fn spans_point_at_the_part_the_finding_is_about() {
    let src = "geo-country:GB or ip:300.1.1.1 or tilte:x";
    let q = driftql::parse(src).unwrap();
    let at = |code: &str| {
        let d = q.validate().into_iter().find(|d| d.code == code).unwrap();
        src[d.span.range()].to_string()
    };
    assert_eq!(at("keyword-only-type"), ":");
    assert_eq!(at("invalid-ip"), "300.1.1.1");
    assert_eq!(at("unknown-type"), "tilte");
}

#[test]
fn an_empty_value_gets_only_empty_value() {
    for src in [
        r#"port-tcp:"""#,
        r#"geo-country="""#,
        r#"ip:"""#,
        r#"protocol="""#,
    ] {
        let codes: Vec<_> = driftql::parse(src)
            .unwrap()
            .validate()
            .iter()
            .map(|d| d.code)
            .collect();
        assert_eq!(codes, ["empty-value"], "{src}");
    }
}

#[test]
fn a_finding_on_several_terms_is_reported_once_per_term() {
    let q = driftql::parse("geo-country:GB and geo-country:RU").unwrap();
    let spans: Vec<_> = q
        .validate()
        .iter()
        .map(|d| (d.code, d.span.start))
        .collect();
    assert_eq!(
        spans,
        [("keyword-only-type", 11), ("keyword-only-type", 30)]
    );
}

#[test]
fn check_separates_errors_from_warnings() {
    let warnings = driftql::parse("search-term:x").unwrap().check().unwrap();
    assert_eq!(warnings.len(), 1);
    let err = driftql::parse("search-term:x or ip=1.1.1.1")
        .unwrap()
        .check()
        .unwrap_err();
    assert_eq!(err.diagnostics.len(), 2);
    assert!(err.to_string().contains("ip-needs-match"), "{err}");
}

#[test]
fn fixes_apply_in_rounds_until_nothing_is_fixable() {
    let q = driftql::parse("not not geo-country:gb and protocol:SSH and tilte:\"a b\"").unwrap();
    let fixed = q.fix();
    assert_eq!(
        fixed.to_string(),
        "(geo-country=GB and protocol=ssh and title:\"a b\")"
    );
    assert!(fixed.validate().iter().all(|d| d.fix.is_none()));
    assert_eq!(fixed.fix(), fixed);
}
