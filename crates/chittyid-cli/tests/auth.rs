//! `chittyid serve --token`: mints need the token, and the token never appears in any output.

mod common;

use chittyid::format::ChittyId;
use chittyid_test_support::ServiceProcess;
use common::{chittyid, run, stderr, stdout};

const TOKEN: &str = "cli-test-token-5f1e9c";

#[test]
fn mint_needs_the_servers_token() {
    let data = tempfile::tempdir().unwrap();
    let service = ServiceProcess::start(data.path(), &["--token", TOKEN, "-v"]);
    let url = service.url().to_string();
    let mut outputs = Vec::new();

    let without = run(chittyid().args(["--service-url", &url, "mint", "person"]));
    assert_eq!(without.status.code(), Some(4), "a rejected token exits 4: {}", stderr(&without));
    assert!(stderr(&without).contains("401"), "the error names 401: {}", stderr(&without));
    outputs.push(without);

    let wrong = run(chittyid().args(["--service-url", &url, "--token", "not-the-token", "mint", "person", "-vvv"]));
    assert_eq!(wrong.status.code(), Some(4), "{}", stderr(&wrong));
    assert!(!stderr(&wrong).contains("not-the-token"), "the wrong token is not printed either");
    outputs.push(wrong);

    let with_flag = run(chittyid().args(["mint", "person", "--service-url", &url, "--token", TOKEN, "-vvv"]));
    assert_eq!(with_flag.status.code(), Some(0), "{}", stderr(&with_flag));
    assert!(ChittyId::parse(stdout(&with_flag).trim()).is_ok(), "{}", stdout(&with_flag));
    outputs.push(with_flag);

    let with_env = run(chittyid().args(["mint", "place", "--service-url", &url]).env("CHITTY_ID_TOKEN", TOKEN));
    assert_eq!(with_env.status.code(), Some(0), "{}", stderr(&with_env));
    outputs.push(with_env);

    for (index, output) in outputs.iter().enumerate() {
        assert!(!stdout(output).contains(TOKEN), "run {index}: token on stdout");
        assert!(!stderr(output).contains(TOKEN), "run {index}: token on stderr");
    }
    assert!(!service.log().contains(TOKEN), "token in the service's log");
}

#[test]
fn help_hides_the_token_from_the_environment() {
    let output = run(chittyid().arg("--help").env("CHITTY_ID_TOKEN", TOKEN));
    assert!(output.status.success());
    assert!(!stdout(&output).contains(TOKEN), "{}", stdout(&output));
    assert!(stdout(&output).contains("Exit codes"), "help documents the exit codes");
}
