//! `chittyid validate ID…`: check IDs offline by their format and check value, or ask the service.

use chittyid::Client;
use chittyid::format::ChittyId;
use serde_json::json;

use crate::exit::Exit;
use crate::output::print_line;

/// Checks each ID offline and prints one line (or JSON object) per ID, with exit code 1 when any is invalid.
///
/// A fallback ID (`03-0-ERR-…`) is well-formed and counts as valid, but is reported as provisional.
///
/// # Errors
///
/// Returns the I/O error when stdout cannot be written.
pub(crate) fn run_offline(ids: &[String], json: bool) -> anyhow::Result<Exit> {
    let mut all_valid = true;
    for id in ids {
        let line = match ChittyId::parse(id) {
            Ok(parsed) => {
                let provisional = parsed.is_fallback();
                if json {
                    json!({ "id": id, "valid": true, "provisional": provisional }).to_string()
                } else if provisional {
                    format!("{id}: valid, but a provisional fallback ID")
                } else {
                    format!("{id}: valid")
                }
            }
            Err(error) => {
                all_valid = false;
                let reason = format!("{}: {}", error.field(), error.reason());
                if json {
                    json!({ "id": id, "valid": false, "error": reason }).to_string()
                } else {
                    format!("{id}: invalid: {reason}")
                }
            }
        };
        print_line(&line)?;
    }
    Ok(if all_valid { Exit::Success } else { Exit::Rejected })
}

/// Sends each ID to the service and prints one line (or JSON object) per ID, with exit code 1 when any is invalid.
///
/// Posting a fallback ID makes the service replace it with a final one, and the replacement is printed.
///
/// # Errors
///
/// Returns the client's error when the service is unreachable or fails, which stops at that ID.
pub(crate) async fn run_remote(client: &Client, ids: &[String], json: bool) -> anyhow::Result<Exit> {
    let mut all_valid = true;
    for id in ids {
        let verdict = client.validate(id).await?;
        all_valid &= verdict.valid;
        let replaced_by = verdict.replaced_by.map(|new_id| new_id.to_string());
        let line = if json {
            json!({ "id": id, "valid": verdict.valid, "error": verdict.reason, "replacedBy": replaced_by }).to_string()
        } else {
            match (verdict.valid, &verdict.reason, &replaced_by) {
                (true, _, Some(new_id)) => format!("{id}: valid, replaced by {new_id}"),
                (true, _, None) => format!("{id}: valid"),
                (false, Some(reason), _) => format!("{id}: rejected by the service: {reason}"),
                (false, None, _) => format!("{id}: invalid"),
            }
        };
        print_line(&line)?;
    }
    Ok(if all_valid { Exit::Success } else { Exit::Rejected })
}
