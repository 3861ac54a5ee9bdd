//! The jobs store's connections: one multiplexed connection per Tokio runtime that calls
//! the store, each call bounded by the timeout.
//!
//! Workers claim and end jobs on the app's runtime while their leases are renewed from a
//! thread with a runtime of its own (so a runtime whose threads are all busy does not lose
//! them); a connection is driven by a task of the runtime that made it, so each runtime gets
//! its own, and the renewals never wait for the app's runtime.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use pwh_core::delivery::{StoreError, StoreErrorKind};
use redis::FromRedisValue;

use super::store::layout_error;
use crate::log::{store_error, worth_another_try};
use crate::target::{Connection, ScriptCall, Target};

/// At most this many runtimes' connections are kept; past it they are all made again (a
/// process that starts and ends runtimes, e.g. tests, does not keep dead connections).
const MAX_RUNTIMES: usize = 16;

pub(crate) struct Connections {
    target: Target,
    by_runtime: Mutex<HashMap<tokio::runtime::Id, Connection>>,
    pub(crate) timeout: Duration,
}

impl Connections {
    pub(crate) fn new(target: Target, timeout: Duration) -> Self {
        Self {
            target,
            by_runtime: Mutex::default(),
            timeout,
        }
    }

    pub(crate) fn target(&self) -> &Target {
        &self.target
    }

    fn connection(&self, runtime: tokio::runtime::Id) -> Result<Connection, StoreError> {
        let mut all = self
            .by_runtime
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(connection) = all.get(&runtime) {
            return Ok(connection.clone());
        }
        if all.len() >= MAX_RUNTIMES {
            all.clear();
        }
        let connection = self.target.connect().map_err(store_error)?;
        all.insert(runtime, connection.clone());
        Ok(connection)
    }

    /// Forgets the connection of `runtime`, so that the next call makes another.
    fn drop_connection(&self, runtime: tokio::runtime::Id) {
        self.by_runtime
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&runtime);
    }

    /// Runs `call` within the timeout, on the calling runtime's connection.
    pub(crate) async fn run<T: FromRedisValue>(
        &self,
        call: &ScriptCall<'_>,
    ) -> Result<T, StoreError> {
        // The timer and the connection need a Tokio runtime: without one, fail, never panic.
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return Err(StoreError::new(
                StoreErrorKind::Failed,
                "redis: RedisJobs must be called on a Tokio runtime",
            ));
        };
        let runtime = handle.id();
        let attempt = async {
            let mut connection = self.connection(runtime)?;
            let result = match call.query(&mut connection).await {
                // Refused, or a connection Redis closed (a restart): one more try, on the
                // connection the manager makes again (every script is safe to run twice).
                Err(e) if worth_another_try(&e) => call.query(&mut connection).await,
                result => result,
            };
            if let Err(e) = &result {
                if e.is_connection_dropped() || e.is_unrecoverable_error() {
                    self.drop_connection(runtime);
                }
            }
            result.map_err(|e| match e.code() {
                Some("PWHLAYOUT") => layout_error(e.detail().unwrap_or("unknown")),
                _ => store_error(e),
            })
        };
        match tokio::time::timeout(self.timeout, attempt).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::new(
                StoreErrorKind::TimedOut,
                format_args!("redis did not answer within {:?}", self.timeout),
            )),
        }
    }
}
