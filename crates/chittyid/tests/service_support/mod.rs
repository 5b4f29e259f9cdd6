//! Helpers shared by the tests that run a `ChittyIdService` against the real local service.

#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use chittyid::resilience::RetryPolicy;
use chittyid::service::{ChittyIdService, ServiceBuilder};
use chittyid::{Backoff, ServiceUrl};

/// Starts a service builder for `url` whose retries wait 10 ms, doubling to 50 ms, without jitter, so that the
/// real waits of these tests stay small.
pub fn builder(url: ServiceUrl) -> ServiceBuilder {
    let backoff = Backoff::new().base(Duration::from_millis(10)).cap(Duration::from_millis(50)).jitter(false);
    ServiceBuilder::new(url).retry(RetryPolicy::default().backoff(backoff))
}

/// Builds the service and waits for its first connection.
pub async fn connected(builder: ServiceBuilder) -> ChittyIdService {
    let service = builder.build().expect("valid settings");
    service.connect().await.expect("the local service is up");
    service
}
