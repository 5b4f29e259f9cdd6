//! Idempotency keys for bulk mints, derived from the input's identity and the record's line.
//!
//! The same record of the same file always gets the same key. A job run again against the same service (after a
//! crash, or a lost reply) therefore gets back the IDs it was given the first time instead of minting new ones. The
//! key changes when the file's content changes, because a line number alone does not identify a record. It also
//! changes with the `--entity` default, because the service rejects a key sent again with a different request (422).

use std::path::Path;

use chittyid::format::EntityType;
use sha2::{Digest, Sha256};

/// The prefix of every key the CLI derives, which keeps its keys apart from those of other tools.
const KEY_PREFIX: &str = "chittyid-cli-";

/// The identity of an input file: its canonical path and the SHA-256 of its content, with the job's default
/// entity type.
#[derive(Debug, Clone)]
pub(crate) struct InputIdentity {
    path: String,
    content_hash: [u8; 32],
    default_entity: Option<EntityType>,
}

impl InputIdentity {
    /// Identifies an input by its path (made canonical when possible) and content.
    pub(crate) fn new(path: &Path, content: &[u8]) -> InputIdentity {
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        InputIdentity {
            path: canonical.to_string_lossy().into_owned(),
            content_hash: Sha256::digest(content).into(),
            default_entity: None,
        }
    }

    /// Sets the entity type of records that name none, which becomes part of every key. Default is none.
    pub(crate) fn default_entity(mut self, entity: Option<EntityType>) -> InputIdentity {
        self.default_entity = entity;
        self
    }

    /// Returns the input's canonical path (or the path as given, when it cannot be made canonical).
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// Returns the SHA-256 of the input's content in lower-case hex.
    pub(crate) fn content_hash_hex(&self) -> String {
        hex(&self.content_hash)
    }

    /// Derives the key of the record that starts on `line`: the prefix and 64 hex digits of
    /// SHA-256(path, NUL, content hash, NUL, line in decimal), followed by NUL and the default entity type's letter
    /// when there is one.
    pub(crate) fn key_for_line(&self, line: u64) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.path.as_bytes());
        hasher.update([0]);
        hasher.update(self.content_hash);
        hasher.update([0]);
        hasher.update(line.to_string().as_bytes());
        if let Some(entity) = self.default_entity {
            hasher.update([0]);
            hasher.update(entity.letter().to_string().as_bytes());
        }
        let digest = hasher.finalize();
        format!("{KEY_PREFIX}{}", hex(&digest))
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_input_and_line_give_the_same_key() {
        let first = InputIdentity::new(Path::new("/no/such/file"), b"a\nb\n");
        let second = InputIdentity::new(Path::new("/no/such/file"), b"a\nb\n");
        assert_eq!(first.key_for_line(2), second.key_for_line(2));
    }

    #[test]
    fn line_content_and_path_each_change_the_key() {
        let base = InputIdentity::new(Path::new("/in.jsonl"), b"a\n");
        assert_ne!(base.key_for_line(1), base.key_for_line(2));
        assert_ne!(base.key_for_line(1), InputIdentity::new(Path::new("/in.jsonl"), b"b\n").key_for_line(1));
        assert_ne!(base.key_for_line(1), InputIdentity::new(Path::new("/other.jsonl"), b"a\n").key_for_line(1));
        let with_entity = base.clone().default_entity(Some(EntityType::Thing));
        assert_ne!(base.key_for_line(1), with_entity.key_for_line(1));
    }

    #[test]
    fn key_fits_an_idempotency_header() {
        let key = InputIdentity::new(Path::new("/in.jsonl"), b"").key_for_line(7);
        assert!(key.len() <= 255);
        assert!(key.bytes().all(|byte| byte.is_ascii_graphic()), "{key}");
    }
}
