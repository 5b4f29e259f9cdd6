//! The service's durable state: one sequence counter per (region, jurisdiction, type, month), the idempotency
//! records, and the total of IDs minted.
//!
//! # Why
//!
//! The sequence field has only 10,000 values per key, and a restarted service must never hand out a number it
//! handed out before. So a sequence number is committed with fsync before the reply that carries it is sent: after
//! a crash, the worst case is a number that was committed but never delivered (a gap), never a duplicate. The
//! idempotency record and the minted total are written in the same transaction as the sequence bump, so a crash
//! cannot leave an ID minted without its record.
//!
//! Each fsync costs about a disk flush, so the service does not commit once per mint. One writer thread takes
//! every pending request, commits them all in one transaction (group commit), then replies to each.
//!
//! [`MintStore`] is the storage interface, so that a PostgreSQL store can be added later; [`RedbStore`] is the one
//! implementation, a single redb file in the data directory.
//!
//! # Examples
//!
//! Seeding a sequence, for example to test exhaustion without minting 9,999 IDs first:
//!
//! ```
//! use chittyid::format::EntityType;
//! use chittyid_server::store::{MintStore, RedbStore, SequenceKey};
//!
//! let dir = tempfile::tempdir()?;
//! let mut store = RedbStore::open(dir.path())?;
//! let key = SequenceKey::new(1, "USA", EntityType::Person, 26, 12);
//! let mut transaction = store.begin()?;
//! transaction.set_last_sequence(&key, 9_998)?;
//! assert_eq!(transaction.next_sequence(&key)?, Some(9_999));
//! assert_eq!(transaction.next_sequence(&key)?, None);
//! transaction.commit()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod job;
mod record;
mod redb;
pub(crate) mod writer;

use std::fmt;

use chittyid::format::EntityType;

pub use self::error::StoreError;
pub use self::record::IdempotencyRecord;
pub use self::redb::{DATABASE_FILE, RedbStore};

/// The first sequence number issued for a new key. `0000` is never issued, so each key has 9,999 IDs.
pub const FIRST_SEQUENCE: u16 = 1;

/// How long an idempotency record is kept at least: 24 hours, in seconds.
pub const IDEMPOTENCY_RETENTION_SECS: u64 = 24 * 60 * 60;

/// The scope of one sequence counter: region, jurisdiction, entity type and month of minting.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SequenceKey {
    region: u8,
    jurisdiction: String,
    entity: EntityType,
    year: u8,
    month: u8,
}

impl SequenceKey {
    /// Builds a key. `year` has two digits (26 for 2026) and `month` is 1–12, as in the ID's `YYMM` field.
    pub fn new(region: u8, jurisdiction: &str, entity: EntityType, year: u8, month: u8) -> SequenceKey {
        SequenceKey { region, jurisdiction: jurisdiction.to_owned(), entity, year, month }
    }

    /// Returns the key as stored: `1-USA-P-2612`.
    pub fn encode(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for SequenceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let SequenceKey { region, jurisdiction, entity, year, month } = self;
        write!(f, "{region}-{jurisdiction}-{}-{year:02}{month:02}", entity.letter())
    }
}

/// A durable store of sequences, idempotency records and the minted total.
///
/// Implementations are blocking: the service calls them from its own writer thread, never from an async task.
pub trait MintStore: Send + 'static {
    /// Starts a write transaction. Nothing it does is visible or durable before [`MintTransaction::commit`].
    ///
    /// # Errors
    ///
    /// Returns [`StoreError`] when the store cannot start a transaction.
    fn begin(&mut self) -> Result<Box<dyn MintTransaction + '_>, StoreError>;

    /// Returns the durable total of IDs ever minted in this store.
    ///
    /// # Errors
    ///
    /// Returns [`StoreError`] when the store cannot be read.
    fn minted(&self) -> Result<u64, StoreError>;

    /// Deletes the idempotency records created before `created_before` (Unix seconds) and returns how many it
    /// deleted.
    ///
    /// # Errors
    ///
    /// Returns [`StoreError`] when the deletion cannot be committed.
    fn purge_idempotency(&mut self, created_before: u64) -> Result<u64, StoreError>;
}

/// One write transaction of a [`MintStore`]; dropping it without [`commit`](MintTransaction::commit) discards it.
pub trait MintTransaction {
    /// Takes the next sequence number of `key`, or returns `None` when all of `0001`–`9999` are spent.
    ///
    /// The first number of a new key is [`FIRST_SEQUENCE`]. The counter never wraps.
    ///
    /// # Errors
    ///
    /// Returns [`StoreError`] when the store cannot be read.
    fn next_sequence(&mut self, key: &SequenceKey) -> Result<Option<u16>, StoreError>;

    /// Sets the last issued sequence number of `key`, so that the next one is `last + 1`.
    ///
    /// Meant for tests and repairs; the service itself never calls it.
    ///
    /// # Errors
    ///
    /// Returns [`StoreError`] when the store cannot be written.
    fn set_last_sequence(&mut self, key: &SequenceKey, last: u16) -> Result<(), StoreError>;

    /// Looks up the idempotency record of `key`, written by this transaction or an earlier one.
    ///
    /// # Errors
    ///
    /// Returns [`StoreError`] when the store cannot be read or the record cannot be decoded.
    fn idempotency_record(&mut self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError>;

    /// Stores the idempotency record of `key`, replacing an older one.
    ///
    /// # Errors
    ///
    /// Returns [`StoreError`] when the store cannot be written.
    fn put_idempotency_record(&mut self, key: &str, record: &IdempotencyRecord) -> Result<(), StoreError>;

    /// Adds `count` to the durable minted total.
    ///
    /// # Errors
    ///
    /// Returns [`StoreError`] when the store cannot be read.
    fn add_minted(&mut self, count: u64) -> Result<(), StoreError>;

    /// Commits everything durably: when this returns `Ok`, the changes survive a crash.
    ///
    /// # Errors
    ///
    /// Returns [`StoreError`] when the commit fails. Nothing of the transaction is then kept.
    fn commit(self: Box<Self>) -> Result<(), StoreError>;
}
