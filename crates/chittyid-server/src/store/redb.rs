//! [`MintStore`] on a single redb file: crash-safe, pure Rust, one fsync per commit.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};

use super::{FIRST_SEQUENCE, IdempotencyRecord, MintStore, MintTransaction, SequenceKey, StoreError};
use chittyid::format::MAX_SEQUENCE;

/// The database file's name inside the data directory.
pub const DATABASE_FILE: &str = "chittyid.redb";

/// Last issued sequence number per [`SequenceKey::encode`].
const SEQUENCES: TableDefinition<'_, &str, u16> = TableDefinition::new("sequences");
/// Encoded [`IdempotencyRecord`] per idempotency key.
const IDEMPOTENCY: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("idempotency");
/// Named counters; only [`MINTED`] so far.
const COUNTERS: TableDefinition<'_, &str, u64> = TableDefinition::new("counters");
const MINTED: &str = "minted";

/// Page cache size. The data is small (a counter per key and one record per idempotent request), so redb's default
/// of 1 GiB would only reserve memory.
const CACHE_BYTES: usize = 16 * 1024 * 1024;

/// The redb implementation of [`MintStore`]: one file, `chittyid.redb`, in the data directory.
///
/// redb locks the file, so a second `RedbStore` on the same directory fails to open with
/// [`StoreError::Open`] until the first one is dropped.
pub struct RedbStore {
    database: Database,
    path: PathBuf,
}

impl fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedbStore").field("path", &self.path).finish_non_exhaustive()
    }
}

impl RedbStore {
    /// Opens or creates the store in `data_dir`, creating the directory if needed.
    ///
    /// # Errors
    ///
    /// Returns [`StoreError::CreateDir`] when the directory cannot be created and [`StoreError::Open`] when the file
    /// cannot be opened, for example because another store in this or another process has it open.
    pub fn open(data_dir: &Path) -> Result<RedbStore, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| StoreError::CreateDir { path: data_dir.to_owned(), source })?;
        let path = data_dir.join(DATABASE_FILE);
        let database = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(&path)
            .map_err(|source| StoreError::Open { path: path.clone(), source })?;

        // Create every table up front, so that readers never meet a missing one.
        let transaction = database.begin_write().map_err(StoreError::database)?;
        transaction.open_table(SEQUENCES).map_err(StoreError::database)?;
        transaction.open_table(IDEMPOTENCY).map_err(StoreError::database)?;
        transaction.open_table(COUNTERS).map_err(StoreError::database)?;
        transaction.commit().map_err(StoreError::database)?;

        Ok(RedbStore { database, path })
    }

    /// Returns the path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl MintStore for RedbStore {
    fn begin(&mut self) -> Result<Box<dyn MintTransaction + '_>, StoreError> {
        let mut transaction = self.database.begin_write().map_err(StoreError::database)?;
        // Immediate is redb's default; it is set here because the no-duplicate guarantee rests on it.
        transaction.set_durability(Durability::Immediate).map_err(StoreError::database)?;
        Ok(Box::new(RedbTransaction { transaction, sequences: HashMap::new(), minted: 0 }))
    }

    fn minted(&self) -> Result<u64, StoreError> {
        let transaction = self.database.begin_read().map_err(StoreError::database)?;
        let counters = transaction.open_table(COUNTERS).map_err(StoreError::database)?;
        let minted = counters.get(MINTED).map_err(StoreError::database)?;
        Ok(minted.map_or(0, |value| value.value()))
    }

    fn purge_idempotency(&mut self, created_before: u64) -> Result<u64, StoreError> {
        let transaction = self.database.begin_write().map_err(StoreError::database)?;
        let mut removed = 0;
        {
            let mut records = transaction.open_table(IDEMPOTENCY).map_err(StoreError::database)?;
            records
                .retain(|key, bytes| match IdempotencyRecord::decode(key, bytes) {
                    Ok(record) if record.created_unix >= created_before => true,
                    // An undecodable record is dropped too: it could never be replayed.
                    _ => {
                        removed += 1;
                        false
                    }
                })
                .map_err(StoreError::database)?;
        }
        transaction.commit().map_err(StoreError::database)?;
        Ok(removed)
    }
}

/// A redb write transaction. Sequence bumps and the minted delta are kept in memory and written once at commit,
/// because a group commit may bump the same key hundreds of times.
struct RedbTransaction {
    transaction: WriteTransaction,
    /// Last issued number per encoded key, changed by this transaction.
    sequences: HashMap<String, u16>,
    minted: u64,
}

impl RedbTransaction {
    fn last_sequence(&mut self, key: &str) -> Result<Option<u16>, StoreError> {
        if let Some(&last) = self.sequences.get(key) {
            return Ok(Some(last));
        }
        let table = self.transaction.open_table(SEQUENCES).map_err(StoreError::database)?;
        let last = table.get(key).map_err(StoreError::database)?.map(|value| value.value());
        Ok(last)
    }
}

impl MintTransaction for RedbTransaction {
    fn next_sequence(&mut self, key: &SequenceKey) -> Result<Option<u16>, StoreError> {
        let encoded = key.encode();
        let next = match self.last_sequence(&encoded)? {
            None => FIRST_SEQUENCE,
            Some(last) if last >= MAX_SEQUENCE => return Ok(None),
            Some(last) => last + 1,
        };
        self.sequences.insert(encoded, next);
        Ok(Some(next))
    }

    fn set_last_sequence(&mut self, key: &SequenceKey, last: u16) -> Result<(), StoreError> {
        self.sequences.insert(key.encode(), last.min(MAX_SEQUENCE));
        Ok(())
    }

    fn idempotency_record(&mut self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        let table = self.transaction.open_table(IDEMPOTENCY).map_err(StoreError::database)?;
        let bytes = table.get(key).map_err(StoreError::database)?;
        bytes.map(|bytes| IdempotencyRecord::decode(key, bytes.value())).transpose()
    }

    fn put_idempotency_record(&mut self, key: &str, record: &IdempotencyRecord) -> Result<(), StoreError> {
        let mut table = self.transaction.open_table(IDEMPOTENCY).map_err(StoreError::database)?;
        table.insert(key, record.encode().as_slice()).map_err(StoreError::database)?;
        Ok(())
    }

    fn add_minted(&mut self, count: u64) -> Result<(), StoreError> {
        self.minted += count;
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let RedbTransaction { transaction, sequences, minted } = *self;
        {
            let mut table = transaction.open_table(SEQUENCES).map_err(StoreError::database)?;
            for (key, last) in &sequences {
                table.insert(key.as_str(), *last).map_err(StoreError::database)?;
            }
        }
        if minted > 0 {
            let mut counters = transaction.open_table(COUNTERS).map_err(StoreError::database)?;
            let total = counters.get(MINTED).map_err(StoreError::database)?.map_or(0, |value| value.value());
            counters.insert(MINTED, total + minted).map_err(StoreError::database)?;
        }
        transaction.commit().map_err(StoreError::database)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use chittyid::format::EntityType;

    fn key() -> SequenceKey {
        SequenceKey::new(1, "USA", EntityType::Person, 26, 12)
    }

    #[test]
    fn first_sequence_is_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = RedbStore::open(dir.path()).unwrap();
        let mut transaction = store.begin().unwrap();
        assert_eq!(transaction.next_sequence(&key()).unwrap(), Some(FIRST_SEQUENCE));
    }

    #[test]
    fn committed_sequence_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut store = RedbStore::open(dir.path()).unwrap();
            let mut transaction = store.begin().unwrap();
            transaction.next_sequence(&key()).unwrap();
            transaction.next_sequence(&key()).unwrap();
            transaction.add_minted(2).unwrap();
            transaction.commit().unwrap();
        }
        let mut store = RedbStore::open(dir.path()).unwrap();
        assert_eq!(store.minted().unwrap(), 2);
        let mut transaction = store.begin().unwrap();
        assert_eq!(transaction.next_sequence(&key()).unwrap(), Some(3));
    }

    #[test]
    fn dropped_transaction_keeps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = RedbStore::open(dir.path()).unwrap();
        let mut transaction = store.begin().unwrap();
        transaction.next_sequence(&key()).unwrap();
        drop(transaction);
        let mut transaction = store.begin().unwrap();
        assert_eq!(transaction.next_sequence(&key()).unwrap(), Some(FIRST_SEQUENCE));
    }

    #[test]
    fn sequence_stops_at_9999() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = RedbStore::open(dir.path()).unwrap();
        let mut transaction = store.begin().unwrap();
        transaction.set_last_sequence(&key(), 9_999).unwrap();
        assert_eq!(transaction.next_sequence(&key()).unwrap(), None);
    }

    #[test]
    fn second_open_of_same_dir_fails() {
        let dir = tempfile::tempdir().unwrap();
        let _store = RedbStore::open(dir.path()).unwrap();
        let error = RedbStore::open(dir.path()).unwrap_err();
        assert!(matches!(error, StoreError::Open { .. }), "{error:?}");
    }

    #[test]
    fn purge_removes_only_old_records() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = RedbStore::open(dir.path()).unwrap();
        let record =
            |created_unix| IdempotencyRecord { fingerprint: [1; 32], created_unix, status: 200, body: Bytes::new() };
        let mut transaction = store.begin().unwrap();
        transaction.put_idempotency_record("old", &record(100)).unwrap();
        transaction.put_idempotency_record("new", &record(300)).unwrap();
        transaction.commit().unwrap();

        assert_eq!(store.purge_idempotency(200).unwrap(), 1);
        let mut transaction = store.begin().unwrap();
        assert_eq!(transaction.idempotency_record("old").unwrap(), None);
        assert_eq!(transaction.idempotency_record("new").unwrap(), Some(record(300)));
    }
}
