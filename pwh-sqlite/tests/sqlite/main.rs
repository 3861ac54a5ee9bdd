//! Tests of `SqliteStore` on real files: the shared suites of `DeliveryLog` and `JobStore`
//! promises, grouped commits under load, the memory and the jobs across a restart, several
//! stores and processes on one file (a writer and a job worker killed mid-way), and files it
//! must refuse.

mod common;
mod delivery_log;
mod dispatcher;
mod job_store;
mod jobs_processes;
mod jobs_restart;
mod processes;
mod schema;
