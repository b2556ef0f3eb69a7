//! What the command-line tests share: running the `driftql` binary as a user runs it.

#![allow(dead_code)] // each test binary uses its own part

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Output, Stdio};

/// A configuration directory that holds nothing, so that no test uses (or sends) a token that
/// `driftql auth login` stored on the machine.
pub fn no_config() -> std::path::PathBuf {
    std::env::temp_dir().join("driftql-tests-without-a-config")
}

/// Runs `driftql ARGS` with `stdin` as standard input, with colours off (`NO_COLOR=1`, no
/// `CLICOLOR_FORCE`), no stored token, and every stream piped.
pub fn driftql(args: &[&str], stdin: impl AsRef<[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_driftql"))
        .args(args)
        .env("DRIFTQL_CONFIG_DIR", no_config())
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the driftql binary runs");
    let mut input = child.stdin.take().expect("a pipe");
    // The command may exit without reading (a bad expression): ignore a broken pipe.
    let _ = input.write_all(stdin.as_ref());
    drop(input);
    child.wait_with_output().expect("driftql finishes")
}

/// Bytes as text (the tool writes UTF-8).
pub fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).expect("UTF-8 output")
}

/// A command's standard output, as text.
pub fn stdout(o: &Output) -> String {
    text(&o.stdout)
}

/// A command's standard error, as text.
pub fn stderr(o: &Output) -> String {
    text(&o.stderr)
}

/// Asserts the exit status, showing both streams when it differs.
#[track_caller]
pub fn assert_status(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(o),
        stderr(o)
    );
}

/// A running `driftql serve`, killed when the test ends, however it ends.
pub struct Serving {
    /// The server's process; its standard error is piped (read it after a kill).
    pub child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its base URL, `http://ADDR`.
    pub url: String,
    /// The first line it printed (`driftql: serving N reports on http://ADDR ...`).
    pub line: String,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `driftql serve ARGS --addr 127.0.0.1:0` and reads the address from the first line it
/// prints.
pub fn serve(args: &[&str]) -> Serving {
    let mut child = Command::new(env!("CARGO_BIN_EXE_driftql"))
        .arg("serve")
        .args(args)
        .args(["--addr", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the driftql binary runs");
    let mut line = String::new();
    let read = BufReader::new(child.stdout.take().expect("a pipe")).read_line(&mut line);
    let addr = SocketAddr::from(([0, 0, 0, 0], 0));
    let mut serving = Serving {
        child,
        addr,
        url: String::new(),
        line,
    };
    read.expect("driftql serve prints its address");
    let url = serving
        .line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {:?}", serving.line))
        .to_owned();
    serving.addr = url["http://".len()..].parse().expect("an address");
    serving.url = url;
    serving
}
