//! An LRU cache with a time to live, on tokio's clock, for remote validation results.
//!
//! Written here rather than taken from `moka` because moka's clock cannot be paused, and expiry must be testable
//! on tokio's paused clock. The `lru` crate does the ordering; this adds expiry and counters.

use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use lru::LruCache;
use serde::Serialize;
use tokio::time::Instant;

/// Settings of a [`TtlCache`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheConfig {
    capacity: NonZeroUsize,
    ttl: Duration,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig { capacity: NonZeroUsize::new(10_000).unwrap_or(NonZeroUsize::MIN), ttl: Duration::from_secs(300) }
    }
}

impl CacheConfig {
    /// Sets the maximum number of entries; the least recently used goes first. Default is 10,000.
    pub fn capacity(mut self, capacity: NonZeroUsize) -> Self {
        self.capacity = capacity;
        self
    }

    /// Sets how long an entry stays valid after it was stored. Default is 5 minutes.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }
}

/// Counters of a [`TtlCache`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheStats {
    /// Lookups that found a live entry.
    pub hits: u64,
    /// Lookups that found nothing or an expired entry.
    pub misses: u64,
    /// Entries pushed out to make room.
    pub evictions: u64,
    /// Entries dropped because their time to live had passed.
    pub expirations: u64,
    /// Entries held now, expired ones included until they are looked up or pushed out.
    pub size: usize,
    /// The maximum number of entries.
    pub capacity: usize,
    /// `hits / (hits + misses)`, or 0 before the first lookup.
    pub hit_rate: f64,
}

/// An LRU cache whose entries expire a fixed time after they were stored.
///
/// # Examples
///
/// ```
/// use chittyid::resilience::{CacheConfig, TtlCache};
///
/// let cache = TtlCache::new(CacheConfig::default());
/// cache.insert("03-1-USA-4448-P-2609-0-88".to_owned(), true);
/// assert_eq!(cache.get("03-1-USA-4448-P-2609-0-88"), Some(true));
/// assert_eq!(cache.stats().hits, 1);
/// ```
#[derive(Debug)]
pub struct TtlCache<V> {
    entries: Mutex<LruCache<String, (V, Instant)>>,
    ttl: Duration,
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
    expirations: AtomicU64,
}

impl<V: Clone> TtlCache<V> {
    /// Builds an empty cache.
    pub fn new(config: CacheConfig) -> TtlCache<V> {
        TtlCache {
            entries: Mutex::new(LruCache::new(config.capacity)),
            ttl: config.ttl,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            expirations: AtomicU64::new(0),
        }
    }

    /// Returns the live entry for `key` and marks it as recently used.
    pub fn get(&self, key: &str) -> Option<V> {
        let now = Instant::now();
        let mut entries = self.lock();
        let found = match entries.get(key) {
            Some((value, stored_at)) if now.saturating_duration_since(*stored_at) < self.ttl => Some(value.clone()),
            Some(_) => {
                entries.pop(key);
                self.expirations.fetch_add(1, Ordering::Relaxed);
                None
            }
            None => None,
        };
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Stores `value` under `key`, pushing out the least recently used entry when full.
    pub fn insert(&self, key: String, value: V) {
        let mut entries = self.lock();
        if let Some((old_key, _)) = entries.push(key.clone(), (value, Instant::now()))
            && old_key != key
        {
            self.evictions.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Drops every entry; the counters stay.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Returns the counters.
    pub fn stats(&self) -> CacheStats {
        let (size, capacity) = {
            let entries = self.lock();
            (entries.len(), entries.cap().get())
        };
        let hits = self.hits.load(Ordering::Relaxed);
        let misses = self.misses.load(Ordering::Relaxed);
        let lookups = hits + misses;
        CacheStats {
            hits,
            misses,
            evictions: self.evictions.load(Ordering::Relaxed),
            expirations: self.expirations.load(Ordering::Relaxed),
            size,
            capacity,
            hit_rate: if lookups == 0 { 0.0 } else { hits as f64 / lookups as f64 },
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<String, (V, Instant)>> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn entry_expires_after_ttl() {
        let cache = TtlCache::new(CacheConfig::default().ttl(Duration::from_secs(300)));
        cache.insert("a".into(), 1);

        tokio::time::advance(Duration::from_secs(299)).await;
        assert_eq!(cache.get("a"), Some(1));

        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(cache.get("a"), None);

        let stats = cache.stats();
        assert_eq!(stats.hits, 1);
        assert_eq!(stats.misses, 1);
        assert_eq!(stats.expirations, 1);
        assert_eq!(stats.size, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn least_recently_used_is_evicted() {
        let capacity = NonZeroUsize::new(2).unwrap();
        let cache = TtlCache::new(CacheConfig::default().capacity(capacity));
        cache.insert("a".into(), 1);
        cache.insert("b".into(), 2);
        assert_eq!(cache.get("a"), Some(1));
        cache.insert("c".into(), 3);

        assert_eq!(cache.get("b"), None, "b was the least recently used");
        assert_eq!(cache.get("a"), Some(1));
        assert_eq!(cache.get("c"), Some(3));
        assert_eq!(cache.stats().evictions, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn replacing_a_key_is_not_an_eviction() {
        let cache = TtlCache::new(CacheConfig::default().capacity(NonZeroUsize::new(1).unwrap()));
        cache.insert("a".into(), 1);
        cache.insert("a".into(), 2);
        assert_eq!(cache.get("a"), Some(2));
        assert_eq!(cache.stats().evictions, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn hit_rate_counts_lookups() {
        let cache = TtlCache::new(CacheConfig::default());
        cache.insert("a".into(), ());
        cache.get("a");
        cache.get("b");
        assert!((cache.stats().hit_rate - 0.5).abs() < f64::EPSILON);
    }
}
