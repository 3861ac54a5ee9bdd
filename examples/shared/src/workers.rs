//! The apps' job workers: started with the server, stopped after it.

use std::time::Duration;

use pwh_core::dispatcher::RunningWorkers;
use pwh_core::Dispatcher;

/// How long running jobs get to end when the app stops; those still running then are run
/// again (by the next start, or another instance on the same store) once their lease runs out.
pub const GRACE: Duration = Duration::from_secs(10);

/// How long a job's lease lasts unless renewed: a killed instance's running jobs are taken
/// back within about this long.
pub const LEASE: Duration = Duration::from_secs(10);

/// Starts the workers of `dispatcher`'s deferred handlers (`welcome_member`) on the current
/// Tokio runtime.
pub fn start(dispatcher: &Dispatcher) -> RunningWorkers {
    dispatcher.workers().lease(LEASE).start()
}

/// Stops `workers` once the server has stopped, giving running jobs [`GRACE`].
pub async fn stop(workers: RunningWorkers) {
    tracing::info!("stopping the job workers: running jobs get {GRACE:?} to end");
    workers.shutdown(GRACE).await;
}
