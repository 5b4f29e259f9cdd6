//! Unit tests of the series that the socket tests cannot reach cheaply: the limit of `sequence_last` series and
//! the order of its updates.

use axum::http::StatusCode;
use chittyid::format::EntityType;

use super::{MAX_SEQUENCE_SERIES, ServerMetrics};

fn sequence_lines(text: &str) -> Vec<&str> {
    text.lines().filter(|line| line.starts_with("chittyid_server_sequence_last{")).collect()
}

#[test]
fn sequence_series_stop_at_limit() {
    let metrics = ServerMetrics::new();

    for index in 0..MAX_SEQUENCE_SERIES + 50 {
        metrics.record_sequence(format!("1-K{index:02}-P-2612"), 1);
    }
    metrics.record_sequence("1-K00-P-2612".to_owned(), 7);

    let text = metrics.render();
    let lines = sequence_lines(&text);
    assert_eq!(lines.len(), MAX_SEQUENCE_SERIES);
    assert!(
        lines.contains(&"chittyid_server_sequence_last{key=\"1-K00-P-2612\"} 7"),
        "a key within the limit still moves"
    );
    assert!(!text.contains("1-K1049-P-2612"), "a key beyond the limit has a series");
}

#[test]
fn lower_sequence_leaves_gauge_at_max() {
    let metrics = ServerMetrics::new();

    metrics.record_sequence("1-USA-P-2612".to_owned(), 5);
    metrics.record_sequence("1-USA-P-2612".to_owned(), 3);

    let text = metrics.render();
    assert_eq!(sequence_lines(&text), ["chittyid_server_sequence_last{key=\"1-USA-P-2612\"} 5"]);
}

#[test]
fn snapshot_sums_entity_types_and_status_classes() {
    let metrics = ServerMetrics::new();

    metrics.count_minted(EntityType::Person);
    metrics.count_minted(EntityType::Authority);
    metrics.observe_request("GET", "/health".to_owned(), StatusCode::OK, std::time::Duration::from_millis(2));
    metrics.observe_request("GET", "unmatched".to_owned(), StatusCode::NOT_FOUND, std::time::Duration::ZERO);
    let snapshot = metrics.snapshot();

    assert_eq!(snapshot.ids_minted, 2);
    assert_eq!(snapshot.ids_minted_by_entity_type["authority"], 1);
    assert_eq!(snapshot.ids_minted_by_entity_type["place"], 0);
    assert_eq!(snapshot.requests.success, 1);
    assert_eq!(snapshot.requests.client_error, 1);
    assert_eq!(snapshot.request_duration_count, 2);
    assert_eq!(snapshot.request_duration_sum_seconds, 0.002);
}

#[test]
fn clones_share_series_and_instances_do_not() {
    let first = ServerMetrics::new();
    let clone = first.clone();
    let second = ServerMetrics::new();

    clone.count_replay();

    assert_eq!(first.snapshot().idempotent_replays, 1);
    assert_eq!(second.snapshot().idempotent_replays, 0);
}
