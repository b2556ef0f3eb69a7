//! Matching never panics, whatever the expression and the report; the canonical form matches
//! what the tree matches; `not` and De Morgan's laws hold; reports read from any bytes, and the
//! owned and borrowed readers agree. The export filter's prefilter leaves out no line that
//! matches, and its fast reader of plain reports reads what serde reads: filtering with both
//! and with neither (`strict`) writes the same, on the report written as JSON, with escapes,
//! and on any bytes.
//!
//! The first byte chooses the input's shape. Even: text, `query \0 report-json` (the seeds).
//! Odd: a structure-aware expression and report, then any bytes read as a report.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use driftql::eval::{MatchOptions, Matcher};
use driftql::export::{Emit, Filter, ReadOptions};
use driftql::{Expr, Query, Report, ReportRef};
use driftql_fuzz::{FExpr, FReport, Limits, escaped, text_of};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Built {
    expr: FExpr,
    report: FReport,
    slop: u8,
    host_in_url: bool,
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let options = MatchOptions::default()
            .with_slop(u32::from(mode >> 5))
            .with_host_in_url(mode & 2 != 0);
    if mode & 1 == 0 {
        let (query, json) = match rest.iter().position(|&b| b == 0) {
            Some(at) => (&rest[..at], &rest[at + 1..]),
            None => (rest, &[][..]),
        };
        let report = read_report(json).unwrap_or_default();
        if let Ok(q) = driftql::parse(&text_of(query)) {
            check(q.expr(), &report, &options);
            check_prefilter(q.expr(), json, &options);
        }
    } else {
        let mut u = Unstructured::new(rest);
        let Ok(built) = Built::arbitrary(&mut u) else {
            return;
        };
        let options = MatchOptions::default()
            .with_slop(u32::from(built.slop % 8))
            .with_host_in_url(built.host_in_url);
        let expr = built.expr.build(&mut Limits {
            depth: 12,
            terms: 32,
            nest: false,
        });
        let report = built.report.build();
        check_report_json(&report);
        check(&expr, &report, &options);
        let json = serde_json::to_string(&report).expect("a report serialises");
        check_prefilter(&expr, json.as_bytes(), &options);
        let rest = u.take_rest();
        check_prefilter(&expr, escaped(&json, rest).as_bytes(), &options);
        if let Some(read) = read_report(rest) {
            check(&expr, &read, &options);
        }
    }
});

/// Reads a report both ways; the owned and the borrowed readers agree.
fn read_report(json: &[u8]) -> Option<Report> {
    let owned = serde_json::from_slice::<Report>(json);
    let borrowed = serde_json::from_slice::<ReportRef>(json);
    match (owned, borrowed) {
        (Ok(o), Ok(b)) => {
            assert_eq!(b.into_owned(), o);
            Some(o)
        }
        (Err(_), Err(_)) => None,
        (o, b) => panic!("the readers disagree on {:?}: {o:?} / {b:?}", text_of(json)),
    }
}

/// A first line that makes the input line input; the prefilter reads the lines after it.
const FIRST: &[u8] = b"{\"date\":\"2024-01-01\",\"id\":\"first\",\"items\":[]}\n";

/// Filtering `lines` after a first report writes the same with the prefilter and the fast
/// reader as with neither.
fn check_prefilter(expr: &Expr, lines: &[u8], options: &MatchOptions) {
    let mut input = FIRST.to_vec();
    input.extend_from_slice(lines);
    let run = |strict: bool| {
        let mut out = Vec::new();
        Filter::new(Matcher::new(expr, options), &mut out, Emit::Lines, |_| Ok(()))
            .strict(strict)
            .threads(1)
            .run(&input[..], &ReadOptions::default())
            .expect("filtering into memory does not fail");
        out
    };
    assert_eq!(
        text_of(&run(false)),
        text_of(&run(true)),
        "the prefilter or the fast reader changed what matches {expr}"
    );
}

/// A report written as JSON reads back the same.
fn check_report_json(report: &Report) {
    let json = serde_json::to_vec(report).expect("a report serialises");
    assert_eq!(read_report(&json).as_ref(), Some(report));
}

fn matches(expr: &Expr, report: &Report, options: &MatchOptions) -> bool {
    Matcher::new(expr, options).matches(report)
}

fn check(expr: &Expr, report: &Report, options: &MatchOptions) {
    let m = Matcher::new(expr, options);
    let result = m.matches(report);
    let borrowed = ReportRef::from(report);
    assert_eq!(m.matches_items(&borrowed.items), result, "borrowed items");

    // The canonical form means the same.
    if let Ok(q) = Query::try_from(expr.clone()) {
        assert_eq!(q.matches(report, options), result, "canonical {q}");
    }

    // `not`, twice.
    let not = !expr.clone();
    assert_eq!(matches(&not, report, options), !result, "not {expr}");
    assert_eq!(matches(&!not, report, options), result, "not not {expr}");

    // De Morgan, and operand order, at the top group.
    if let Expr::And(g) | Expr::Or(g) = expr {
        let negated = g.iter().map(|e| !e.clone());
        let dual = if matches!(expr, Expr::And(_)) {
            Expr::any(negated)
        } else {
            Expr::all(negated)
        }
        .expect("operands");
        assert_eq!(
            matches(&dual, report, options),
            !result,
            "De Morgan on {expr}"
        );
        let reversed = g.iter().rev().cloned();
        let swapped = if matches!(expr, Expr::And(_)) {
            Expr::all(reversed)
        } else {
            Expr::any(reversed)
        }
        .expect("operands");
        assert_eq!(
            matches(&swapped, report, options),
            result,
            "reversed {expr}"
        );
        // A group holds when all (or any) of its operands do.
        let each = g.iter().map(|e| matches(e, report, options));
        let combined = if matches!(expr, Expr::And(_)) {
            each.clone().all(|b| b)
        } else {
            each.clone().any(|b| b)
        };
        assert_eq!(combined, result, "operands of {expr}");
    }
}
