//! The job's journal: `<output>.journal`, one JSON line per minted record, so a rerun skips finished records.
//!
//! The journal makes a resumed job cheap, not correct: correctness comes from the idempotency keys. A record whose
//! entry was lost, by a crash before the journal was synced or with its request in flight, is sent again with the
//! same key. The service then returns the ID it stored the first time instead of minting a new one. The journal is therefore
//! synced in small batches rather than after every record.
//!
//! The first line names the job (input path and content hash, default entity type, service), and a journal of
//! another job is discarded: a changed input file is a different job. Entries whose key does not match the key
//! derived for their line, and a line torn by a crash, are dropped when the journal is opened, because opening
//! rewrites the journal with only the entries it kept.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use chittyid::format::ChittyId;
use serde::{Deserialize, Serialize};

use super::key::InputIdentity;

/// Entries written since the last sync after which the journal is synced at once.
const SYNC_EVERY: usize = 64;

/// The first line of a journal, naming the job it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JournalHeader {
    /// Format marker and version, `chittyid-bulk-1`.
    pub(crate) journal: String,
    /// The input file's canonical path.
    pub(crate) input: String,
    /// SHA-256 of the input's content, in hex.
    pub(crate) input_sha256: String,
    /// The `--entity` default, if any.
    pub(crate) default_entity: Option<String>,
    /// The service: its base URL, or `embedded`.
    pub(crate) service: String,
}

/// The journal format marker.
const JOURNAL_VERSION: &str = "chittyid-bulk-1";

impl JournalHeader {
    /// Describes the job on `input` with the given default entity type against `service`.
    pub(crate) fn new(input: &InputIdentity, default_entity: Option<String>, service: String) -> JournalHeader {
        JournalHeader {
            journal: JOURNAL_VERSION.to_owned(),
            input: input.path().to_owned(),
            input_sha256: input.content_hash_hex(),
            default_entity,
            service,
        }
    }
}

/// One minted record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    line: u64,
    key: String,
    chitty_id: String,
}

/// An open journal, appending entries.
#[derive(Debug)]
pub(crate) struct Journal {
    path: PathBuf,
    writer: BufWriter<File>,
    /// Entries written since the last sync.
    unsynced: usize,
    /// Entries in the journal, read or written.
    entries: usize,
}

/// The result of [`Journal::open`].
#[derive(Debug)]
pub(crate) struct Opened {
    /// The journal, ready to append.
    pub(crate) journal: Journal,
    /// The IDs of records minted by earlier runs, by line.
    pub(crate) minted: HashMap<u64, ChittyId>,
    /// The reason an existing journal was discarded, if it was.
    pub(crate) discarded: Option<String>,
}

/// Returns the journal of an output: `<output>.journal`.
pub(crate) fn journal_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().unwrap_or_default().to_os_string();
    name.push(".journal");
    output.with_file_name(name)
}

impl Journal {
    /// Opens the journal at `path`: reads the entries of an earlier run of the same job, then rewrites the file
    /// with the header and those entries only.
    ///
    /// `key_for_line` derives the expected key of a line; an entry with another key is dropped.
    ///
    /// # Errors
    ///
    /// Fails when the journal cannot be read, written or synced.
    pub(crate) fn open(
        path: &Path,
        header: &JournalHeader,
        key_for_line: impl Fn(u64) -> String,
    ) -> anyhow::Result<Opened> {
        let (minted, discarded) = match std::fs::read(path) {
            Ok(bytes) => read_entries(&bytes, header, &key_for_line),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => (HashMap::new(), None),
            Err(error) => return Err(error).with_context(|| format!("cannot read journal {}", path.display())),
        };

        let mut lines: Vec<(u64, ChittyId)> = minted.iter().map(|(line, id)| (*line, *id)).collect();
        lines.sort_unstable_by_key(|(line, _)| *line);
        let mut text = serde_json::to_string(header)?;
        text.push('\n');
        for (line, id) in lines {
            let entry = Entry { line, key: key_for_line(line), chitty_id: id.to_string() };
            text.push_str(&serde_json::to_string(&entry)?);
            text.push('\n');
        }
        // Rewritten through a temporary file, so a crash now leaves the old journal or the new one.
        let temp = super::writer::temp_beside(path)?;
        std::fs::write(temp.path(), text).with_context(|| format!("cannot write journal {}", path.display()))?;
        super::writer::persist(temp, path)?;

        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open journal {}", path.display()))?;
        let journal =
            Journal { path: path.to_owned(), writer: BufWriter::new(file), unsynced: 0, entries: minted.len() };
        Ok(Opened { journal, minted, discarded })
    }

    /// Appends the entry of a minted record, syncing the journal when enough entries are waiting.
    ///
    /// # Errors
    ///
    /// Fails when the journal cannot be written or synced.
    pub(crate) fn append(&mut self, line: u64, key: &str, id: &ChittyId) -> anyhow::Result<()> {
        let entry = Entry { line, key: key.to_owned(), chitty_id: id.to_string() };
        let text = serde_json::to_string(&entry)?;
        writeln!(self.writer, "{text}").with_context(|| format!("cannot write journal {}", self.path.display()))?;
        self.unsynced += 1;
        self.entries += 1;
        if self.unsynced >= SYNC_EVERY {
            self.sync()?;
        }
        Ok(())
    }

    /// Writes buffered entries and syncs them to disk.
    ///
    /// # Errors
    ///
    /// Fails when the journal cannot be written or synced.
    pub(crate) fn sync(&mut self) -> anyhow::Result<()> {
        if self.unsynced == 0 {
            return Ok(());
        }
        self.writer.flush().with_context(|| format!("cannot write journal {}", self.path.display()))?;
        self.writer.get_ref().sync_data().with_context(|| format!("cannot sync journal {}", self.path.display()))?;
        self.unsynced = 0;
        Ok(())
    }

    /// Returns the number of entries in the journal.
    pub(crate) fn len(&self) -> usize {
        self.entries
    }

    /// Returns the journal's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Closes and deletes the journal, once the output contains every entry.
    ///
    /// # Errors
    ///
    /// Fails when the file cannot be removed.
    pub(crate) fn remove(self) -> anyhow::Result<()> {
        drop(self.writer);
        std::fs::remove_file(&self.path).with_context(|| format!("cannot remove journal {}", self.path.display()))
    }
}

/// Parses a journal's bytes, keeping the entries of the job `header` describes.
fn read_entries(
    bytes: &[u8],
    header: &JournalHeader,
    key_for_line: &impl Fn(u64) -> String,
) -> (HashMap<u64, ChittyId>, Option<String>) {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.lines();
    let found: Option<JournalHeader> = lines.next().and_then(|line| serde_json::from_str(line).ok());
    match found {
        Some(found) if found == *header => {}
        Some(_) => return (HashMap::new(), Some("it belongs to another input, --entity or service".to_owned())),
        None => return (HashMap::new(), Some("its first line is not a journal header".to_owned())),
    }
    let mut minted = HashMap::new();
    for line in lines {
        let Ok(entry) = serde_json::from_str::<Entry>(line) else { continue };
        if entry.key != key_for_line(entry.line) {
            continue;
        }
        if let Ok(id) = ChittyId::parse(&entry.chitty_id) {
            minted.insert(entry.line, id);
        }
    }
    (minted, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "03-1-USA-4448-P-2609-0-88";

    fn header(service: &str) -> JournalHeader {
        let identity = InputIdentity::new(Path::new("/in.jsonl"), b"a\n");
        JournalHeader::new(&identity, None, service.to_owned())
    }

    fn key(line: u64) -> String {
        format!("key-{line}")
    }

    #[test]
    fn reopened_journal_returns_its_entries() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("out.jsonl.journal");
        let mut opened = Journal::open(&path, &header("embedded"), key).unwrap();
        opened.journal.append(3, &key(3), &ChittyId::parse(ID).unwrap()).unwrap();
        opened.journal.sync().unwrap();
        drop(opened);

        let reopened = Journal::open(&path, &header("embedded"), key).unwrap();
        assert_eq!(reopened.minted.get(&3).map(ToString::to_string).as_deref(), Some(ID));
        assert_eq!(reopened.journal.len(), 1);
        assert!(reopened.discarded.is_none());
    }

    #[test]
    fn torn_line_and_wrong_key_are_dropped() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("j");
        let mut text = serde_json::to_string(&header("s")).unwrap();
        text.push_str(&format!("\n{{\"line\":1,\"key\":\"key-1\",\"chittyId\":\"{ID}\"}}"));
        text.push_str(&format!("\n{{\"line\":2,\"key\":\"other\",\"chittyId\":\"{ID}\"}}"));
        text.push_str("\n{\"line\":3,\"ke");
        std::fs::write(&path, text).unwrap();

        let opened = Journal::open(&path, &header("s"), key).unwrap();
        let mut lines: Vec<u64> = opened.minted.keys().copied().collect();
        lines.sort_unstable();
        assert_eq!(lines, [1]);
        let rewritten = std::fs::read_to_string(&path).unwrap();
        assert_eq!(rewritten.lines().count(), 2, "header and the one kept entry: {rewritten}");
    }

    #[test]
    fn journal_of_another_job_is_discarded() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("j");
        let mut opened = Journal::open(&path, &header("http://127.0.0.1:1"), key).unwrap();
        opened.journal.append(1, &key(1), &ChittyId::parse(ID).unwrap()).unwrap();
        opened.journal.sync().unwrap();
        drop(opened);

        let other = Journal::open(&path, &header("http://127.0.0.1:2"), key).unwrap();
        assert!(other.minted.is_empty());
        assert!(other.discarded.is_some());
    }
}
