//! The `junction` binary: help, bad database URLs, admin creation.

use std::process::{Command, Output, Stdio};

fn junction(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_junction"));
    command
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("JUNCTION_PASSWORD");
    for (key, value) in env {
        command.env(key, value);
    }
    command
        .stdin(Stdio::null())
        .output()
        .expect("junction runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn help_lists_the_subcommands() {
    let output = junction(&["--help"], &[]);
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for sub in ["serve", "admin", "migrate"] {
        assert!(help.contains(sub), "{help}");
    }
    let serve = String::from_utf8_lossy(&junction(&["serve", "--help"], &[]).stdout).into_owned();
    for flag in [
        "--addr",
        "--database-url",
        "--data-dir",
        "JUNCTION_ADDR",
        "JUNCTION_DATA_DIR",
    ] {
        assert!(serve.contains(flag), "{serve}");
    }
}

#[test]
fn a_malformed_database_url_is_one_clear_line() {
    let output = junction(
        &["migrate"],
        &[("DATABASE_URL", "mysql://root@localhost/x")],
    );
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: unsupported database `mysql://`"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}

#[test]
fn an_unreachable_database_is_one_clear_line() {
    let output = junction(
        &[
            "migrate",
            "--database-url",
            "postgres://nobody@127.0.0.1:1/none",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.starts_with("error: cannot open the database at postgres://nobody@127.0.0.1:1/none"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}

#[test]
fn admin_create_reads_the_password_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("j.db").display());
    let data = dir.path().join("data");
    let env = [
        ("DATABASE_URL", db.as_str()),
        ("JUNCTION_DATA_DIR", data.to_str().unwrap()),
    ];

    let missing = junction(&["admin", "create", "--email", "root@example.com"], &env);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("no password given"),
        "{}",
        stderr(&missing)
    );

    let short = junction(
        &["admin", "create", "--email", "root@example.com"],
        &[env[0], env[1], ("JUNCTION_PASSWORD", "short")],
    );
    assert_eq!(short.status.code(), Some(1));
    assert!(stderr(&short).contains("password:"), "{}", stderr(&short));

    let ok = junction(
        &["admin", "create", "--email", "root@example.com"],
        &[
            env[0],
            env[1],
            ("JUNCTION_PASSWORD", "correct horse battery"),
        ],
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("administrator root@example.com"));

    // An API key for that account: only the key is printed.
    let key = junction(
        &[
            "api-key",
            "create",
            "--email",
            "Root@Example.com",
            "--name",
            "cron",
        ],
        &env,
    );
    assert!(key.status.success(), "{}", stderr(&key));
    let printed = String::from_utf8_lossy(&key.stdout).into_owned();
    assert!(
        printed.starts_with("jk_") && printed.trim().len() == 67 && printed.lines().count() == 1,
        "{printed}"
    );
    let nobody = junction(
        &[
            "api-key",
            "create",
            "--email",
            "nobody@example.com",
            "--name",
            "x",
        ],
        &env,
    );
    assert_eq!(nobody.status.code(), Some(1));
    assert!(
        stderr(&nobody).contains("no account for nobody@example.com"),
        "{}",
        stderr(&nobody)
    );
}

#[test]
fn logic_eval_answers_each_line() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_junction"))
        .args(["logic", "eval"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            b"{\"rule\": {\"cat\": [\"a\", {\"var\": \"b\"}]}, \"data\": {\"b\": 1}}\n{oops\n",
        )
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let lines: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines[0], r#"{"result":"a1"}"#);
    assert!(
        lines[1].starts_with(r#"{"error":"the line is not JSON"#),
        "{}",
        lines[1]
    );
}
