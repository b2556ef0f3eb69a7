//! Summaries: how many matching reports hold each value of a type.

use std::collections::HashMap;

use crate::report::{Item, Report};

use crate::models::{Summary, SummaryParams};

/// Counts the values of `request.field` over `reports`.
///
/// - An item counts when its type equals the type (ASCII case-insensitively) and its context
///   passes `summary_context` (when any is given, the context is one of them) and
///   `summary_nocontext` (the context is none of them). Contexts compare exactly.
/// - `protocol` and `http-header-name` count the contexts of `server-banner` and `http-header`
///   items, as those terms select them: the item's context is the value (and what the context
///   lists are compared with).
/// - Each distinct value counts once per report, so a count is a number of reports.
///   Values are compared exactly (case-sensitively, untrimmed).
/// - `values` holds the `limit` most frequent values, by count (highest first) then value (in
///   byte order); `other` adds up the counts of the rest; `cardinality` is the number of
///   distinct values before the limit.
pub(crate) fn summarize<'a>(
    reports: impl Iterator<Item = &'a Report>,
    request: &SummaryParams,
) -> Summary {
    let ty = request.field.as_str();
    let (item_type, value_is_context) = if ty.eq_ignore_ascii_case("protocol") {
        ("server-banner", true)
    } else if ty.eq_ignore_ascii_case("http-header-name") {
        ("http-header", true)
    } else {
        (ty, false)
    };
    let counts_item = |i: &Item| {
        i.ty.eq_ignore_ascii_case(item_type)
            && (request.contexts.is_empty() || request.contexts.contains(&i.context))
            && !request.no_contexts.contains(&i.context)
    };
    let mut counts: HashMap<&'a str, u64> = HashMap::new();
    let mut in_report: Vec<&'a str> = Vec::new();
    for report in reports {
        in_report.clear();
        in_report.extend(report.items.iter().filter(|i| counts_item(i)).map(|i| {
            if value_is_context {
                i.context.as_str()
            } else {
                i.value.as_str()
            }
        }));
        in_report.sort_unstable();
        in_report.dedup();
        for v in &in_report {
            *counts.entry(v).or_insert(0) += 1;
        }
    }
    let cardinality = counts.len() as u64;
    let mut values: Vec<(&str, u64)> = counts.into_iter().collect();
    values.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let limit = request.limit_or_default().get() as usize;
    let other = values.iter().skip(limit).map(|(_, n)| n).sum();
    values.truncate(limit);
    Summary::new(
        values.into_iter().map(|(v, n)| (v.to_owned(), n)).collect(),
        other,
        request.cardinality.unwrap_or(false).then_some(cardinality),
    )
}
