//! `driftql completions SHELL` and `driftql man`: scripts a shell can load, and a page `man`
//! can render.

#![cfg(feature = "cli")]

mod common;

use std::process::Command;

use common::{assert_status, driftql, stdout};

#[test]
fn the_bash_script_loads() {
    let o = driftql(&["completions", "bash"], "");
    assert_status(&o, 0);
    let script = stdout(&o);
    assert!(script.contains("_driftql()"), "{script}");
    for command in ["search", "filter", "diff", "auth", "completions", "cache"] {
        assert!(script.contains(command), "{command}");
    }
    let path = std::env::temp_dir().join(format!("driftql-completion-{}.bash", std::process::id()));
    std::fs::write(&path, &script).unwrap();
    let checked = Command::new("bash")
        .arg("-n")
        .arg(&path)
        .output()
        .expect("bash runs");
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    // Loaded for real, it registers the completion.
    let loaded = Command::new("bash")
        .arg("-c")
        .arg(format!("source {} && complete -p driftql", path.display()))
        .output()
        .unwrap();
    assert!(
        loaded.status.success(),
        "{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    assert!(String::from_utf8_lossy(&loaded.stdout).contains("driftql"));
    std::fs::remove_file(path).unwrap();
}

#[test]
fn every_shell_has_a_script() {
    for (shell, mark) in [
        ("zsh", "#compdef driftql"),
        ("fish", "complete -c driftql"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[driftql]"),
    ] {
        let o = driftql(&["completions", shell], "");
        assert_status(&o, 0);
        assert!(stdout(&o).contains(mark), "{shell}: {}", stdout(&o));
    }
    assert_status(&driftql(&["completions", "tcsh"], ""), 2);
}

#[test]
fn the_manual_page_renders() {
    let o = driftql(&["man"], "");
    assert_status(&o, 0);
    let page = stdout(&o);
    assert!(
        page.starts_with(".ie \\n(.g .ds Aq \\(aq") || page.contains(".TH driftql 1"),
        "{page}"
    );
    assert!(page.contains(".TH driftql 1"));
    // `man -l` renders it, where a working man is installed (some minimal systems have a stub
    // that renders nothing and says so).
    let path = std::env::temp_dir().join(format!("driftql-{}.1", std::process::id()));
    std::fs::write(&path, &page).unwrap();
    if let Ok(rendered) = Command::new("man")
        .arg("-l")
        .arg(&path)
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .output()
    {
        assert!(
            rendered.status.success(),
            "{}",
            String::from_utf8_lossy(&rendered.stderr)
        );
        let text = String::from_utf8_lossy(&rendered.stdout);
        assert!(text.contains("driftql"), "{text}");
        assert!(text.contains("search"), "{text}");
    }
    std::fs::remove_file(path).unwrap();
}
