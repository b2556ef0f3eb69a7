//! Memory stays bounded however long a line of the input is: `driftql filter` and
//! `driftql serve --data` skip a line past `--max-line` without holding it.
//!
//! Peak memory is read from the kernel's account of this process's finished children
//! (`getrusage(RUSAGE_CHILDREN)`), so this file holds the only tests that start children.

use std::io::Write;
use std::process::{Command, Stdio};

/// The largest peak resident size of the children waited for so far, in bytes.
fn children_peak() -> u64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(
        unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) },
        0
    );
    usage.ru_maxrss as u64 * 1024
}

const REPORT: &str =
    r#"{"date":"2024-01-01","id":"a","items":[{"type":"port-tcp","value":"443"}]}"#;

#[test]
fn a_line_of_300_mb_is_skipped_in_bounded_memory() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_driftql"))
        .args(["filter", "--max-line", "1048576", "port-tcp:443"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let block = vec![0u8; 1 << 20];
        writeln!(stdin, "{REPORT}").unwrap();
        for _ in 0..300 {
            stdin.write_all(&block).unwrap();
        }
        writeln!(stdin).unwrap();
        writeln!(stdin, "{REPORT}").unwrap();
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{REPORT}\n{REPORT}\n")
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "<stdin>:2: the line is 314572800 bytes long, longer than the limit of 1048576 bytes"
        ),
        "{err}"
    );
    let peak = children_peak();
    eprintln!("peak memory of driftql filter: {} MiB", peak >> 20);
    assert!(peak < 48 << 20, "peak memory {} MiB", peak >> 20);
}

#[test]
fn diff_memory_grows_with_the_services_not_the_input() {
    // 100 MB of reports of only 50 services (each scanned again and again): a diff holds one
    // report's worth of each service, not the input.
    let old =
        std::env::temp_dir().join(format!("driftql-memory-diff-{}.ndjson", std::process::id()));
    let report = |i: u64| {
        let padding = "x".repeat(900);
        format!(
            r#"{{"date":"2024-01-{:02}","id":"r{i}","items":[{{"type":"ip","context":"","value":"192.0.2.{}"}},{{"type":"port-tcp","context":"","value":"443"}},{{"type":"title","context":"","value":"t{} {padding}"}}]}}"#,
            1 + i % 28,
            i % 50,
            i % 7
        )
    };
    std::fs::write(&old, (0..50).map(|i| report(i) + "\n").collect::<String>()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_driftql"))
        .args(["diff", old.to_str().unwrap(), "-", "--output", "ndjson"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let mut buf = String::new();
        for i in 0..100_000u64 {
            buf.push_str(&report(i));
            buf.push('\n');
            if buf.len() > 1 << 20 {
                stdin.write_all(buf.as_bytes()).unwrap();
                buf.clear();
            }
        }
        stdin.write_all(buf.as_bytes()).unwrap();
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    std::fs::remove_file(&old).unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{err}");
    assert!(err.contains("100000 in 50 after"), "{err}");
    let peak = children_peak();
    eprintln!("peak memory of driftql diff: {} MiB", peak >> 20);
    assert!(peak < 48 << 20, "peak memory {} MiB", peak >> 20);
}
