//! The one round-trip check the parser tests share (sqlparser's `verified` style): parse the
//! input, compare the canonical form, parse that again, compare the trees, and print it again.

#![allow(dead_code)] // each test binary uses its own part

use driftql::Query;

/// Parses `input` and checks that it prints as `canonical`, that `canonical` parses to the same
/// tree and prints as itself (a fixed point). The error says which step failed.
pub fn verify(input: &str, canonical: &str) -> Result<Query, String> {
    let q = driftql::parse(input).map_err(|e| format!("{input:?}: {} ({e})", e.code()))?;
    let printed = q.to_string();
    if printed != canonical {
        return Err(format!(
            "{input:?}: printed {printed:?}, expected {canonical:?}"
        ));
    }
    let again = driftql::parse(canonical)
        .map_err(|e| format!("{input:?}: the canonical {canonical:?} does not parse: {e}"))?;
    if again.expr() != q.expr() {
        return Err(format!(
            "{input:?}: the canonical {canonical:?} parses to another tree"
        ));
    }
    if again.to_string() != canonical {
        return Err(format!(
            "{input:?}: the canonical {canonical:?} is not a fixed point, it prints as {:?}",
            again.to_string()
        ));
    }
    Ok(q)
}

/// [`verify`], panicking with its message.
#[track_caller]
pub fn verified(input: &str, canonical: &str) -> Query {
    verify(input, canonical).unwrap_or_else(|e| panic!("{e}"))
}

/// [`verify`] with the canonical form the input prints to: that it is a fixed point that parses
/// to the same tree.
#[track_caller]
pub fn round_trips(input: &str) -> Query {
    let q = driftql::parse(input).unwrap_or_else(|e| panic!("{input:?} does not parse: {e}"));
    verified(input, &q.to_string())
}
