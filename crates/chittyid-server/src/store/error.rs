//! Errors of the durable store.

use std::io;
use std::path::PathBuf;

/// A failure of the durable store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The data directory could not be created.
    #[error("failed to create the data directory {}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The database file could not be opened, for example because another server has it open.
    #[error("failed to open the store {}", path.display())]
    Open {
        /// The database file.
        path: PathBuf,
        /// The cause.
        source: redb::DatabaseError,
    },
    /// A read, write or commit failed.
    #[error("store operation failed")]
    Database(#[source] redb::Error),
    /// An idempotency record could not be decoded.
    #[error("corrupt idempotency record for key {key:?}")]
    CorruptRecord {
        /// The idempotency key.
        key: String,
    },
    /// The writer thread that owns the store could not be started.
    #[error("failed to start the store's writer thread")]
    Thread(#[source] io::Error),
    /// Building a reply inside the transaction panicked; the transaction was discarded.
    #[error("a mint job panicked inside the store transaction")]
    Panicked,
    /// The store was closed, because the server shut down.
    #[error("the store is closed")]
    Closed,
}

impl StoreError {
    /// Wraps any redb error.
    pub(crate) fn database(error: impl Into<redb::Error>) -> StoreError {
        StoreError::Database(error.into())
    }
}
