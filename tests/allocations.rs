//! Parsing allocates at most two blocks per term (the value, and the context when there is one;
//! known type names are not copied), plus a handful per expression and a few per group: the
//! pest token queue grows by doubling, so its share is logarithmic.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    // Per thread, so tests running side by side do not count each other.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    ALLOCATIONS.with(|n| n.set(n.get() + 1));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made while parsing `src` (the query is dropped outside the count).
fn allocations(src: &str) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    let q = driftql::parse(src).unwrap();
    let n = ALLOCATIONS.with(Cell::get) - before;
    drop(q);
    n
}

#[test]
fn at_most_two_allocations_per_term() {
    // Warm up anything allocated once per thread or process.
    allocations("title:x");
    for terms in [10, 100, 1000] {
        let flat = (0..terms)
            .map(|i| format!("http-header;Server=\"nginx {i}\""))
            .collect::<Vec<_>>()
            .join(" and ");
        let n = allocations(&flat);
        // Two per term, and a logarithmic share for the growing token queue and group vector.
        let bound = 2 * terms + 64;
        assert!(
            n <= bound,
            "{terms} terms: {n} allocations (at most {bound})"
        );
    }
}

#[test]
fn terms_without_context_or_escapes_take_one() {
    allocations("title:x");
    let terms = 1000;
    let flat = (0..terms)
        .map(|i| format!("port-tcp:{i}"))
        .collect::<Vec<_>>()
        .join(" or ");
    let n = allocations(&flat);
    let bound = terms + 64;
    assert!(
        n <= bound,
        "{n} allocations for {terms} terms (at most {bound})"
    );
}
