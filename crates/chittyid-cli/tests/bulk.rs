//! Bulk minting with `--embedded`: every record gets a valid, distinct ID, in input order, with its fields intact.

mod common;

use std::collections::HashSet;
use std::path::Path;

use chittyid::format::ChittyId;
use common::{Ordered, chittyid, example, run, stderr, stdout};
use serde_json::Value;

/// Reads a JSON Lines file as ordered lists of fields.
fn read_jsonl(path: &Path) -> Vec<Vec<(String, Value)>> {
    let text = std::fs::read_to_string(path).expect("the file exists");
    text.lines().filter(|line| !line.trim().is_empty()).map(ordered_fields).collect()
}

/// Parses one JSON object keeping the field order.
fn ordered_fields(line: &str) -> Vec<(String, Value)> {
    serde_json::from_str::<Ordered>(line).expect("a JSON object").0
}

fn mint_file(input: &Path, output: &Path, extra: &[&str]) -> std::process::Output {
    run(chittyid().arg("mint").arg("--embedded").arg("--input").arg(input).arg("--output").arg(output).args(extra))
}

#[test]
fn countries_jsonl_mints_every_record_in_order() {
    let folder = tempfile::tempdir().unwrap();
    let output_path = folder.path().join("out/countries.jsonl");
    let result = mint_file(&example("countries.jsonl"), &output_path, &[]);
    assert!(result.status.success(), "exit {:?}: {}", result.status.code(), stderr(&result));

    let input = read_jsonl(&example("countries.jsonl"));
    let output = read_jsonl(&output_path);
    assert_eq!(output.len(), input.len(), "one output record per input record");
    let mut seen = HashSet::new();
    for (index, (record, minted)) in input.iter().zip(&output).enumerate() {
        let (last_name, last_value) = minted.last().expect("output record has fields");
        assert_eq!(last_name, "chittyId", "record {index}: chittyId is added last");
        assert_eq!(&minted[..minted.len() - 1], &record[..], "record {index}: input fields pass through in order");
        let id = ChittyId::parse(last_value.as_str().expect("chittyId is a string")).expect("chittyId parses");
        assert_eq!(
            Some(id.jurisdiction()),
            record.iter().find(|(k, _)| k == "jurisdiction").and_then(|(_, v)| v.as_str())
        );
        assert!(seen.insert(id), "record {index}: {id} was minted twice");
    }
}

#[test]
fn rerun_replaces_the_output() {
    let folder = tempfile::tempdir().unwrap();
    let output_path = folder.path().join("countries.jsonl");
    let first = mint_file(&example("countries.jsonl"), &output_path, &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let second = mint_file(&example("countries.jsonl"), &output_path, &[]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(read_jsonl(&output_path).len(), read_jsonl(&example("countries.jsonl")).len());
    let leftovers = std::fs::read_dir(folder.path()).unwrap().count();
    assert_eq!(leftovers, 1, "only the output remains, no temporary or rejects file");
}

#[test]
fn countries_csv_adds_a_chitty_id_column() {
    let folder = tempfile::tempdir().unwrap();
    let output_path = folder.path().join("countries.csv");
    let result = mint_file(&example("countries.csv"), &output_path, &["--concurrency", "4"]);
    assert!(result.status.success(), "{}", stderr(&result));

    let mut input = csv::Reader::from_path(example("countries.csv")).unwrap();
    let mut output = csv::Reader::from_path(&output_path).unwrap();
    let mut expected_header: Vec<String> = input.headers().unwrap().iter().map(str::to_owned).collect();
    expected_header.push("chittyId".to_owned());
    let header: Vec<String> = output.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(header, expected_header);

    let input_rows: Vec<csv::StringRecord> = input.records().map(Result::unwrap).collect();
    let output_rows: Vec<csv::StringRecord> = output.records().map(Result::unwrap).collect();
    assert_eq!(output_rows.len(), input_rows.len());
    let mut seen = HashSet::new();
    for (row, minted) in input_rows.iter().zip(&output_rows) {
        let cells: Vec<&str> = minted.iter().collect();
        assert_eq!(&cells[..cells.len() - 1], &row.iter().collect::<Vec<_>>()[..], "fields pass through");
        let id = ChittyId::parse(cells[cells.len() - 1]).expect("chittyId parses");
        assert!(seen.insert(id), "{id} was minted twice");
    }
}

#[test]
fn malformed_lines_are_rejected_with_line_numbers() {
    let folder = tempfile::tempdir().unwrap();
    let input_path = folder.path().join("input.jsonl");
    let lines = [
        r#"{"entityType":"person","name":"a"}"#,
        r#"{"entityType":"P","jurisdiction":"GBR","region":3}"#,
        r#"{"entityType": "thing", oops"#,
        "",
        r#"{"entityType":"vehicle"}"#,
        r#"{"entityType":"place","region":12}"#,
        r#"{"entityType":"EVNT","trust":5,"extra":{"nested":[1,2]}}"#,
    ];
    std::fs::write(&input_path, lines.join("\n")).unwrap();
    let output_path = folder.path().join("output.jsonl");

    let result = mint_file(&input_path, &output_path, &["--json"]);
    assert_eq!(result.status.code(), Some(1), "some records rejected: {}", stderr(&result));
    let errors = stderr(&result);
    for line in [3, 5, 6] {
        assert!(errors.contains(&format!("line {line}:")), "line {line} is reported: {errors}");
    }

    let output = read_jsonl(&output_path);
    let names: Vec<&str> = output.iter().map(|record| record[0].1.as_str().unwrap()).collect();
    assert_eq!(names, ["person", "P", "EVNT"], "the good records, in input order");

    let rejects = std::fs::read_to_string(folder.path().join("output.jsonl.rejects.jsonl")).unwrap();
    let rejected_lines: Vec<u64> =
        rejects.lines().map(|line| serde_json::from_str::<Value>(line).unwrap()["line"].as_u64().unwrap()).collect();
    assert_eq!(rejected_lines, [3, 5, 6]);

    let summary: Value = serde_json::from_str(stdout(&result).trim()).expect("--json prints the summary");
    assert_eq!(summary["minted"], 3);
    assert_eq!(summary["rejected"], 3);
}

#[test]
fn default_entity_applies_to_records_without_one() {
    let folder = tempfile::tempdir().unwrap();
    let input_path = folder.path().join("input.csv");
    std::fs::write(&input_path, "name,jurisdiction\nalpha,FRA\nbeta,DEU\n").unwrap();
    let output_path = folder.path().join("output.jsonl");
    let result = mint_file(&input_path, &output_path, &["--entity", "authority"]);
    assert!(result.status.success(), "{}", stderr(&result));
    for record in read_jsonl(&output_path) {
        let id = ChittyId::parse(record.last().unwrap().1.as_str().unwrap()).unwrap();
        assert_eq!(id.entity_type().letter(), 'A');
    }
}

#[test]
fn rerun_returns_the_same_ids() {
    let data = tempfile::tempdir().unwrap();
    let service = chittyid_test_support::ServiceProcess::start(data.path(), &[]);
    let url = service.url().to_string();
    let folder = tempfile::tempdir().unwrap();
    let input = example("countries.csv");
    let mint = |output: &Path| {
        let result =
            run(chittyid().args(["mint", "--service-url", &url, "--input"]).arg(&input).arg("--output").arg(output));
        assert!(result.status.success(), "{}", stderr(&result));
    };

    mint(&folder.path().join("first.jsonl"));
    mint(&folder.path().join("second.jsonl"));
    let first = read_jsonl(&folder.path().join("first.jsonl"));
    let second = read_jsonl(&folder.path().join("second.jsonl"));
    assert_eq!(first.len(), 249);
    assert_eq!(first, second, "each record's idempotency key returns the ID minted the first time");
}

#[test]
fn failed_run_keeps_the_previous_output() {
    let folder = tempfile::tempdir().unwrap();
    let output_path = folder.path().join("countries.jsonl");
    let first = mint_file(&example("countries.jsonl"), &output_path, &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let before = std::fs::read(&output_path).unwrap();

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let unreachable = format!("http://127.0.0.1:{port}");
    let failed = run(chittyid()
        .args(["mint", "--service-url", &unreachable, "--max-outage", "1s", "--input"])
        .arg(example("countries.jsonl"))
        .arg("--output")
        .arg(&output_path));
    assert_eq!(failed.status.code(), Some(3), "an unreachable service is fatal: {}", stderr(&failed));
    assert!(stderr(&failed).contains("on line "), "the error names the line: {}", stderr(&failed));
    assert_eq!(std::fs::read(&output_path).unwrap(), before, "the previous output is untouched");
    assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 1, "no temporary file is left behind");
}

#[test]
fn malformed_csv_row_is_rejected_with_its_line() {
    let folder = tempfile::tempdir().unwrap();
    let input_path = folder.path().join("input.csv");
    std::fs::write(&input_path, "entityType,name\nperson,a\nplace,b,extra\nthing,c\nvehicle,d\n").unwrap();
    let output_path = folder.path().join("output.csv");
    let result = mint_file(&input_path, &output_path, &["--json"]);
    assert_eq!(result.status.code(), Some(1), "some records rejected: {}", stderr(&result));
    let errors = stderr(&result);
    assert!(errors.contains("line 3:"), "the short row is reported: {errors}");
    assert!(errors.contains("line 5:"), "the unknown type is reported: {errors}");

    let mut output = csv::Reader::from_path(&output_path).unwrap();
    let names: Vec<String> = output.records().map(|row| row.unwrap()[1].to_owned()).collect();
    assert_eq!(names, ["a", "c"], "the good rows, in input order");
    let summary: Value = serde_json::from_str(stdout(&result).trim()).expect("--json prints the summary");
    assert_eq!(summary["minted"], 2);
    assert_eq!(summary["rejected"], 2);
}

/// Runs of the `--chaos` job in [`chaos_run_has_two_outages`], at the same time.
const CHAOS_RUNS: usize = 5;

#[test]
fn chaos_run_has_two_outages() {
    std::thread::scope(|scope| {
        let runs: Vec<_> = (0..CHAOS_RUNS).map(|_| scope.spawn(chaos_run)).collect();
        for run in runs {
            run.join().expect("the chaos run passed");
        }
    });
}

fn chaos_run() {
    let folder = tempfile::tempdir().unwrap();
    let output_path = folder.path().join("countries.jsonl");
    let result = mint_file(&example("countries.jsonl"), &output_path, &["--chaos", "--json"]);
    let errors = stderr(&result);
    assert!(result.status.success(), "exit {:?}: {errors}", result.status.code());

    let output = read_jsonl(&output_path);
    let ids: HashSet<&str> = output.iter().map(|record| record.last().unwrap().1.as_str().unwrap()).collect();
    assert_eq!(ids.len(), 249, "249 distinct IDs");
    let summary: Value = serde_json::from_str(stdout(&result).trim()).expect("--json prints the summary");
    assert_eq!(summary["minted"], output.len(), "the summary counts the output's records");
    assert_eq!(summary["total"], 249);
    assert_eq!(summary["rejected"], 0);
    assert_eq!(summary["outages"], 2, "the job saw both outages: {summary}\n{errors}");
    assert_eq!(errors.matches("chaos: killing the embedded service").count(), 2, "{errors}");
    assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 1, "no journal or service data is left behind");
}

#[test]
fn chaos_on_too_few_records_says_so() {
    let folder = tempfile::tempdir().unwrap();
    let input = folder.path().join("one.jsonl");
    std::fs::write(&input, "{\"entityType\":\"PLACE\",\"jurisdiction\":\"USA\"}\n").unwrap();
    let output_path = folder.path().join("out.jsonl");
    let result = mint_file(&input, &output_path, &["--chaos"]);
    let errors = stderr(&result);
    assert!(result.status.success(), "exit {:?}: {errors}", result.status.code());
    assert!(errors.contains("too few for 2 outages"), "{errors}");
}

#[test]
fn missing_input_is_usage_error() {
    let folder = tempfile::tempdir().unwrap();
    let output_path = folder.path().join("o.jsonl");
    let result = mint_file(&folder.path().join("nope.jsonl"), &output_path, &[]);
    assert_eq!(result.status.code(), Some(2), "{}", stderr(&result));
    assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 0, "no output, journal or service data is left");
}

#[test]
fn directory_input_is_usage_error() {
    let folder = tempfile::tempdir().unwrap();
    let input = tempfile::tempdir().unwrap();
    let output_path = folder.path().join("o.jsonl");
    let result = mint_file(input.path(), &output_path, &[]);
    assert_eq!(result.status.code(), Some(2), "{}", stderr(&result));
    assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 0, "no output, journal or service data is left");
}
