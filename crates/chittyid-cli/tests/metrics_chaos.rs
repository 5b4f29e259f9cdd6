//! The metrics endpoints during the README's chaos run: `mint --embedded --chaos --listen` is scraped while it
//! works, and both the job's metrics and the embedded service's own metrics must move, outages included.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use common::{chittyid, example};

/// Parses OpenMetrics text into `(series, value)` pairs; `None` when the text is not valid exposition.
fn parse(text: &str) -> Option<Vec<(String, f64)>> {
    if !text.ends_with("# EOF\n") {
        return None;
    }
    let mut samples = Vec::new();
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ')?;
        samples.push((series.to_owned(), value.parse().ok()?));
    }
    Some(samples)
}

/// Sums the samples of the series that start with `prefix`.
fn total(samples: &[(String, f64)], prefix: &str) -> f64 {
    samples.iter().filter(|(series, _)| series.starts_with(prefix)).map(|(_, value)| value).sum()
}

/// Returns the text after `marker` up to the next space, from the first stderr line that contains it.
fn url_after(line: &str, marker: &str) -> Option<String> {
    let start = line.find(marker)? + marker.len();
    line[start..].split_whitespace().next().map(|url| url.trim_end_matches(')').to_owned())
}

async fn scrape(client: &reqwest::Client, url: &str) -> Option<Vec<(String, f64)>> {
    let reply = client.get(url).send().await.ok()?;
    if !reply.status().is_success() {
        return None;
    }
    let content_type = reply.headers().get("content-type")?.to_str().ok()?.to_owned();
    assert!(content_type.starts_with("application/openmetrics-text"), "{url} served {content_type}");
    let text = reply.text().await.ok()?;
    Some(parse(&text).unwrap_or_else(|| panic!("{url} served invalid exposition text:\n{text}")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_run_moves_both_metrics_endpoints() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let output = folder.path().join("countries.jsonl");
    let mut child = chittyid()
        .args(["mint", "--embedded", "--chaos", "--listen", "127.0.0.1:0", "--input"])
        .arg(example("countries.jsonl"))
        .arg("--output")
        .arg(&output)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the chittyid binary starts");
    let stderr = child.stderr.take().expect("stderr is piped");
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });

    let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().expect("HTTP client");
    let (mut job_url, mut service_url) = (None, None);
    let mut job_scrapes = Vec::new();
    let mut service_scrapes = Vec::new();
    let mut log = Vec::new();
    loop {
        while let Ok(line) = lines.try_recv() {
            job_url = job_url.or_else(|| url_after(&line, "(metrics at "));
            service_url = service_url.or_else(|| url_after(&line, "embedded service metrics at "));
            log.push(line);
        }
        if let Some(url) = &job_url
            && let Some(samples) = scrape(&client, url).await
        {
            job_scrapes.push(samples);
        }
        if let Some(url) = &service_url
            && let Some(samples) = scrape(&client, url).await
        {
            service_scrapes.push(samples);
        }
        if child.try_wait().expect("the job can be waited for").is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = child.wait().expect("the job ends");
    while let Ok(line) = lines.try_recv() {
        log.push(line);
    }
    let log = log.join("\n");
    assert!(status.success(), "the chaos run failed: {status}\n{log}");
    assert!(job_url.is_some(), "the job printed no metrics URL:\n{log}");
    assert!(service_url.is_some(), "the job printed no embedded service metrics URL:\n{log}");

    let minted: Vec<f64> = job_scrapes
        .iter()
        .map(|samples| total(samples, r#"chittyid_calls_total{operation="mint",outcome="success"}"#))
        .collect();
    assert!(minted.windows(2).all(|pair| pair[0] <= pair[1]), "a counter went down: {minted:?}");
    assert!(minted.first() < minted.last(), "the job's mint counter never moved: {minted:?}");
    let lost = job_scrapes
        .iter()
        .map(|samples| total(samples, r#"chittyid_connection_transitions_total{from="connected",to="reconnecting"}"#))
        .fold(0.0, f64::max);
    assert!(lost >= 1.0, "no scrape saw the connection lost to a chaos kill:\n{log}");

    let served: Vec<f64> =
        service_scrapes.iter().map(|samples| total(samples, "chittyid_server_ids_minted_total")).collect();
    assert!(served.iter().any(|&count| count > 0.0), "the service's mint counter never moved: {served:?}");
    let distinct = served.windows(2).filter(|pair| pair[0] != pair[1]).count();
    assert!(distinct >= 1, "every service scrape read the same count: {served:?}");
}
