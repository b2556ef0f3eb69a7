//! `driftql auth login|status|logout` with a temporary configuration directory, against a real
//! server on loopback that requires a token: the file's mode, the precedence of `--token`,
//! `DRIFTNET_API_TOKEN` and the stored token, and the token never shown.

#![cfg(feature = "cli")]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{assert_status, stderr, stdout};

const TOKEN: &str = "auth-T0KEN-s3cret";
const WRONG: &str = "wrong-T0KEN-s3cret";

/// Starts `driftql serve --sample 10 --token TOKEN` on a free port.
fn serve() -> common::Serving {
    common::serve(&["--sample", "10", "--token", TOKEN])
}

fn config_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("driftql-auth-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// `driftql ARGS` with the configuration in `dir`, `env` set, standard input `stdin`.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_driftql"))
        .args(args)
        .env("DRIFTQL_CONFIG_DIR", dir)
        .env_remove("DRIFTNET_API_TOKEN")
        .env_remove("DRIFTNET_API_URL")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

/// Asserts that neither token shows in what a command printed.
#[track_caller]
fn no_token(o: &Output) {
    for t in [TOKEN, WRONG] {
        assert!(
            !stdout(o).contains(t) && !stderr(o).contains(t),
            "{t} shown"
        );
    }
    assert!(!stdout(o).contains("s3cret") && !stderr(o).contains("s3cret"));
}

#[test]
fn login_stores_the_token_privately_and_status_names_the_account() {
    let s = serve();
    let url = s.url.clone();
    let dir = config_dir("login");
    let file = dir.join("config.toml");

    // A wrong token is refused by the API, and nothing is stored.
    let o = run(
        &dir,
        &["auth", "login", "--api-url", &url],
        &[],
        &format!("{WRONG}\n"),
    );
    assert_status(&o, 4);
    assert!(stderr(&o).contains("HTTP 401"), "{}", stderr(&o));
    no_token(&o);
    assert!(!file.exists());

    // The right one is checked, then stored, readable by its owner only.
    let o = run(
        &dir,
        &["auth", "login", "--api-url", &url],
        &[],
        &format!("  {TOKEN}\n"),
    );
    assert_status(&o, 0);
    no_token(&o);
    assert!(
        stderr(&o).contains(&format!(
            "logged in as driftql serve (local); the token is stored in {}",
            file.display()
        )),
        "{}",
        stderr(&o)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!("token = \"{TOKEN}\"\n")
    );

    // Status says which account, and where the token comes from.
    let o = run(&dir, &["auth", "status", "--api-url", &url], &[], "");
    assert_status(&o, 0);
    no_token(&o);
    assert_eq!(
        stdout(&o),
        format!(
            "account  driftql serve (local)\ntoken    stored in {}\napi      {url}/\nquota    0 of 100000 search units used\n",
            file.display()
        )
    );
    // Every command uses the stored token.
    let o = run(&dir, &["quota", "--api-url", &url], &[], "");
    assert_status(&o, 0);
    no_token(&o);

    // Logout removes it.
    let o = run(&dir, &["auth", "logout"], &[], "");
    assert_status(&o, 0);
    assert!(!file.exists());
    let o = run(&dir, &["auth", "status", "--api-url", &url], &[], "");
    assert_status(&o, 1);
    assert!(
        stderr(&o).contains("driftql auth login stores one"),
        "{}",
        stderr(&o)
    );
    let o = run(&dir, &["quota", "--api-url", &url], &[], "");
    assert_status(&o, 1);
    assert!(
        stderr(&o).contains("store one with `driftql auth login`"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_flag_then_the_environment_then_the_file() {
    let s = serve();
    let url = s.url.clone();
    let dir = config_dir("precedence");
    let o = run(&dir, &["auth", "login", "--api-url", &url], &[], TOKEN);
    assert_status(&o, 0);
    let env = [("DRIFTNET_API_TOKEN", WRONG)];
    // The environment goes before the file: the wrong token is used, and refused.
    let o = run(&dir, &["auth", "status", "--api-url", &url], &env, "");
    assert_status(&o, 4);
    assert!(
        stdout(&o).contains("token    from DRIFTNET_API_TOKEN\n"),
        "{}",
        stdout(&o)
    );
    no_token(&o);
    // The flag goes before both.
    let o = run(
        &dir,
        &["auth", "status", "--api-url", &url, "--token", TOKEN],
        &env,
        "",
    );
    assert_status(&o, 0);
    assert!(
        stdout(&o).contains("token    given with --token\n"),
        "{}",
        stdout(&o)
    );
    no_token(&o);
    // Logging out with the variable set says it is still used.
    let o = run(&dir, &["auth", "logout"], &env, "");
    assert_status(&o, 0);
    assert!(stderr(&o).contains("DRIFTNET_API_TOKEN is still set"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn a_file_others_may_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let s = serve();
    let url = s.url.clone();
    let dir = config_dir("exposed");
    let o = run(&dir, &["auth", "login", "--api-url", &url], &[], TOKEN);
    assert_status(&o, 0);
    let file = dir.join("config.toml");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    for args in [
        vec!["quota", "--api-url", url.as_str()],
        vec!["auth", "status", "--api-url", url.as_str()],
    ] {
        let o = run(&dir, &args, &[], "");
        assert_status(&o, 1);
        assert!(
            stderr(&o).contains("may be read by other users (mode 644)"),
            "{}",
            stderr(&o)
        );
        no_token(&o);
    }
    let o = run(&dir, &["auth", "login", "--api-url", &url], &[], TOKEN);
    assert_status(&o, 1);
    // Logging out removes such a file whole: the token in it must not stay.
    let o = run(&dir, &["auth", "logout"], &[], "");
    assert_status(&o, 0);
    assert!(!file.exists());
    let _ = std::fs::remove_dir_all(&dir);
}
