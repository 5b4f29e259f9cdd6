//! The process-wide shared manager, built from the environment on first use.

use std::sync::{Mutex, PoisonError};

use super::{ConfigError, ConnectionManager};
use crate::{ServiceUrl, Token};

static SHARED: Mutex<Option<ConnectionManager>> = Mutex::new(None);

/// Returns the process-wide shared manager, building it on the first call; every call returns the same manager.
///
/// The manager is built from `CHITTYID_SERVICE_URL` (default `https://id.chitty.cc`) and `CHITTY_ID_TOKEN`. When the
/// first call happens inside a Tokio runtime, the manager starts connecting in the background at once; otherwise it
/// starts with its first [`connect`](ConnectionManager::connect).
///
/// # Errors
///
/// Returns [`ConfigError::Url`] when `CHITTYID_SERVICE_URL` is invalid, or [`ConfigError::HttpClient`].
///
/// # Examples
///
/// ```no_run
/// # async fn example() -> Result<(), chittyid::connection::ConfigError> {
/// let manager = chittyid::connection::shared()?;
/// assert!(manager.service_url().as_url().scheme() == "https" || manager.service_url().is_loopback());
/// # Ok(())
/// # }
/// ```
pub fn shared() -> Result<ConnectionManager, ConfigError> {
    let mut slot = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(manager) = slot.as_ref() {
        return Ok(manager.clone());
    }

    let service_url = ServiceUrl::from_env().map_err(ConfigError::Url)?;
    let mut builder = ConnectionManager::builder(service_url);
    if let Some(token) = Token::from_env() {
        builder = builder.token(token);
    }
    let manager = builder.build()?;
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        let starting = manager.clone();
        runtime.spawn(async move {
            // The outcome also reaches the manager's state and events; no caller waits for it here.
            let _ = starting.connect().await;
        });
    }
    *slot = Some(manager.clone());
    Ok(manager)
}

/// Resets the shared manager and drops the process-wide reference to it, so that the next [`shared`] call builds a new one from the environment.
///
/// Clones of the old manager that callers still hold stay valid but disconnected.
pub async fn reset_shared() {
    let manager = SHARED.lock().unwrap_or_else(PoisonError::into_inner).take();
    if let Some(manager) = manager {
        manager.reset().await;
    }
}
