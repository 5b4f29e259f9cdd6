//! One health report that covers the service, the connection and every resilience layer.

use serde::Serialize;

use super::ChittyIdService;
use crate::connection::{ConnectionState, ConnectionStats};
use crate::format::{EntityType, FORMAT};
use crate::resilience::{BreakerStats, BudgetStats, CacheStats};

/// The report of [`ChittyIdService::health_report`], serialised in camelCase as the JavaScript users know it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceHealth {
    /// The service the report is about.
    pub service: ServiceInfo,
    /// The connection manager's view.
    pub connection: ConnectionReport,
    /// The resilience layers' counters.
    pub resilience: ResilienceReport,
    /// The ID layout, `VV-G-LLL-SSSS-T-YYMM-C-XX`.
    pub format: &'static str,
    /// The entity types, letter and word.
    pub entity_types: Vec<EntityTypeInfo>,
    /// The minting mode: always `remote`, because IDs are minted by the service and never generated locally.
    pub mode: &'static str,
}

/// The service's address and what its health endpoint returned.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceInfo {
    /// The base URL.
    pub url: String,
    /// The reported status (`ok`), or `None` when the health request failed.
    pub status: Option<String>,
    /// The reported version.
    pub version: Option<String>,
    /// The error of the health request, when it failed.
    pub error: Option<String>,
}

/// The connection part of the report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionReport {
    /// Whether the manager was started.
    pub initialized: bool,
    /// The current state.
    pub state: ConnectionState,
    /// Whether the last health check succeeded.
    pub is_healthy: bool,
    /// Milliseconds since the current connection was made; 0 when not connected.
    pub uptime: u64,
    /// The full statistics.
    pub stats: ConnectionStats,
}

/// The resilience part of the report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResilienceReport {
    /// Always `true`: every call goes through the layers.
    pub enabled: bool,
    /// The circuit breaker's state and counters.
    pub circuit_breaker: BreakerStats,
    /// The retry policy and budget.
    pub retry: RetryReport,
    /// The validation cache's counters.
    pub cache: CacheStats,
}

/// The retry part of the report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryReport {
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// The retry budget's counters.
    pub budget: BudgetStats,
}

/// An entity type as the report lists it.
#[derive(Debug, Clone, Serialize)]
pub struct EntityTypeInfo {
    /// The ID letter.
    pub letter: char,
    /// The word sent to the service.
    pub word: &'static str,
}

impl ChittyIdService {
    /// Builds the health report: requests the service's health endpoint once, then reads every layer's counters.
    ///
    /// A failed health request is part of the report ([`ServiceInfo::error`]), not an error.
    pub async fn health_report(&self) -> ServiceHealth {
        let layers = &self.layers;
        let health = layers.client.health().await;
        let service = ServiceInfo {
            url: layers.client.base_url().to_string(),
            status: health.as_ref().ok().map(|health| health.status.clone()),
            version: health.as_ref().ok().and_then(|health| health.version.clone()),
            error: health.as_ref().err().map(|error| error.to_string()),
        };
        ServiceHealth {
            service,
            connection: self.connection_report(),
            resilience: ResilienceReport {
                enabled: true,
                circuit_breaker: layers.breaker.stats(),
                retry: RetryReport { max_attempts: layers.retry.attempts(), budget: layers.budget.stats() },
                cache: layers.cache.stats(),
            },
            format: FORMAT,
            entity_types: EntityType::ALL
                .iter()
                .map(|entity| EntityTypeInfo { letter: entity.letter(), word: entity.word() })
                .collect(),
            mode: "remote",
        }
    }

    /// Returns the connection part of the report, without any request.
    pub fn connection_report(&self) -> ConnectionReport {
        let stats = self.layers.manager.stats();
        ConnectionReport {
            initialized: stats.current_state != ConnectionState::Disconnected || stats.total_connections > 0,
            state: stats.current_state,
            is_healthy: stats.is_healthy,
            uptime: stats.uptime.as_millis() as u64,
            stats,
        }
    }
}
