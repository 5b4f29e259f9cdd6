//! Replays saved fuzz inputs in the normal test suite: the seeds, hard cases, and every input a fuzz target once
//! crashed on. Each folder under `tests/fuzz_inputs/` is named after a target in `fuzz/fuzz_targets/`, and the
//! checks are the same code that the targets run (`fuzz/checks.rs`).

#[path = "../../../fuzz/checks.rs"]
mod checks;

use std::path::PathBuf;

/// Runs `check` on every file in `tests/fuzz_inputs/<target>/` and returns how many it ran.
fn replay(target: &str, check: fn(&[u8])) -> usize {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_inputs").join(target);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()));
    let mut count = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        let input = std::fs::read(&path).unwrap();
        eprintln!("replaying {}", path.display());
        check(&input);
        count += 1;
    }
    count
}

#[test]
fn id_parse_inputs_pass() {
    assert!(replay("id_parse", checks::id_parse) > 0, "no saved inputs");
}

#[test]
fn entity_type_inputs_pass() {
    assert!(replay("entity_type", checks::entity_type) > 0, "no saved inputs");
}

#[test]
fn service_url_inputs_pass() {
    assert!(replay("service_url", checks::service_url) > 0, "no saved inputs");
}

#[test]
fn wire_reply_inputs_pass() {
    assert!(replay("wire_replies", checks::wire_replies) > 0, "no saved inputs");
}
