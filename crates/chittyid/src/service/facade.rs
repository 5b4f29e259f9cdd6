//! The process-wide service: built from the environment on first use, the same instance on every call.

use std::sync::Mutex;

use serde_json::Value;

use super::builder::{BuildError, ServiceBuilder};
use super::calls::ChittyIdService;
use super::error::CallError;
use super::report::{ConnectionReport, ServiceHealth};
use crate::format::{ChittyId, EntityType};

static SHARED: Mutex<Option<ChittyIdService>> = Mutex::new(None);

/// Returns the process-wide service, building it from `CHITTYID_SERVICE_URL` and `CHITTY_ID_TOKEN` on first use.
///
/// # Errors
///
/// Returns [`BuildError`] when the environment names an unusable URL, or a remote service without a token.
pub fn shared_service() -> Result<ChittyIdService, BuildError> {
    let mut shared = SHARED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(service) = shared.as_ref() {
        return Ok(service.clone());
    }
    let service = ServiceBuilder::from_env().build()?;
    *shared = Some(service.clone());
    Ok(service)
}

/// Drops the process-wide service, stopping its connection manager; the next call builds a new one.
pub async fn reset_shared_service() {
    let previous = SHARED.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
    if let Some(service) = previous {
        service.disconnect().await;
    }
}

/// The failure of a facade call: building the shared service, or the call itself.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FacadeError {
    /// The shared service could not be built from the environment.
    #[error("cannot build the ChittyID service from the environment")]
    Build(#[from] BuildError),
    /// The call failed.
    #[error(transparent)]
    Call(#[from] CallError),
}

/// Mints one final ID through the shared service.
///
/// # Errors
///
/// [`FacadeError::Build`] when the environment is unusable, [`FacadeError::Call`] when the mint fails.
pub async fn generate_chitty_id(entity: EntityType, metadata: Option<Value>) -> Result<ChittyId, FacadeError> {
    Ok(shared_service()?.generate(entity, metadata).await?)
}

/// Returns the shared service's health report.
///
/// # Errors
///
/// [`FacadeError::Build`] when the environment is unusable.
pub async fn service_health() -> Result<ServiceHealth, FacadeError> {
    Ok(shared_service()?.health_report().await)
}

/// Returns the shared service's connection report without any request.
///
/// # Errors
///
/// [`FacadeError::Build`] when the environment is unusable.
pub fn connection_status() -> Result<ConnectionReport, FacadeError> {
    Ok(shared_service()?.connection_report())
}
