//! Helpers of the bulk mint tests: generated inputs, reading the output and the journal, and the service's count.

#![allow(dead_code, unreachable_pub)]

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use chittyid::format::ChittyId;
use serde_json::Value;

/// Writes `count` JSON Lines person, place and thing records to `path`.
pub fn write_jsonl_records(path: &Path, count: usize) {
    let jurisdictions = ["USA", "GBR", "FRA", "DEU", "JPN"];
    let mut text = String::new();
    for index in 0..count {
        let entity = ["person", "place", "thing"][index % 3];
        let jurisdiction = jurisdictions[index % jurisdictions.len()];
        text.push_str(&format!(
            "{{\"name\":\"record {index}\",\"entityType\":\"{entity}\",\"jurisdiction\":\"{jurisdiction}\"}}\n"
        ));
    }
    std::fs::write(path, text).expect("the input is written");
}

/// Reads the `chittyId` of every record of a JSON Lines output, in order.
pub fn output_ids(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("the output exists");
    text.lines()
        .map(|line| {
            let record: Value = serde_json::from_str(line).expect("an output line is JSON");
            record["chittyId"].as_str().expect("the record has a chittyId").to_owned()
        })
        .collect()
}

/// Asserts that `ids` contains `count` valid IDs, all distinct.
pub fn assert_distinct_valid_ids(ids: &[String], count: usize) {
    assert_eq!(ids.len(), count, "one output record per input record");
    for id in ids {
        assert!(ChittyId::parse(id).is_ok(), "{id} is not a valid ChittyID");
    }
    let distinct: HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "an ID was given to two records");
}

/// Counts the complete lines of a file, or 0 when it does not exist.
pub fn count_lines(path: &Path) -> usize {
    std::fs::read(path).map(|bytes| bytes.iter().filter(|&&byte| byte == b'\n').count()).unwrap_or(0)
}

/// Returns the journal beside an output.
pub fn journal_of(output: &Path) -> PathBuf {
    let mut name = output.file_name().expect("the output has a name").to_os_string();
    name.push(".journal");
    output.with_file_name(name)
}

/// Sends one HTTP/1.1 request to the service at `address` and returns the reply's status line and body.
fn send(address: SocketAddr, method: &str, path: &str, body: &str) -> (String, String) {
    let mut stream = TcpStream::connect(address).expect("the service accepts a connection");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("a read timeout can be set");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("the request is sent");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("the reply is read");
    let (head, body) = reply.split_once("\r\n\r\n").expect("the reply has a body");
    (head.lines().next().unwrap_or_default().to_owned(), body.to_owned())
}

/// Asks the service at `address` for its durable count of minted IDs (`GET /api/stats`).
pub fn service_minted(address: SocketAddr) -> u64 {
    let (_, body) = send(address, "GET", "/api/stats", "");
    let stats: Value = serde_json::from_str(body.trim()).expect("the body is JSON");
    stats["minted"].as_u64().expect("stats has a minted count")
}

/// Injects a fault plan such as `{"mode":"rejected","count":3}` (`POST /admin/faults`, with `--enable-admin`).
pub fn inject_fault(address: SocketAddr, plan: &str) {
    let (status, body) = send(address, "POST", "/admin/faults", plan);
    assert!(status.contains(" 200 ") || status.contains(" 201 "), "fault {plan} not injected: {status} {body}");
}

/// Builds a `chittyid mint --json` command for the service at `url`, without the CLI's environment variables.
pub fn mint_command(url: &str, input: &Path, output: &Path) -> Command {
    let mut command = crate::common::chittyid();
    command.args(["mint", "--service-url", url, "--json", "--input"]).arg(input).arg("--output").arg(output);
    command
}
