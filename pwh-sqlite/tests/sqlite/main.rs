//! Tests of `SqliteLog` on real files: the shared suite of `DeliveryLog` promises, grouped
//! commits under load, the memory across a restart, several logs and processes on one file,
//! and files it must refuse.

mod common;
mod dispatcher;
mod log;
mod processes;
mod schema;
