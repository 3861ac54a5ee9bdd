//! Delivery memory: which handlers already succeeded for which signed body, and who is
//! delivering it right now.
//!
//! [`DeliveryLog`] is the store's side (in memory: [`MemoryLog`]; on Redis: `pwh-redis`);
//! `lease` is the dispatcher's side: begin (waiting for a busy copy), renew, finish.

mod done;
mod lease;
mod log;
mod memory;
mod progress;
mod renewer;
mod ring;
mod store_future;

pub use done::{Done, Pairs};
pub(crate) use lease::{Leased, Memory, Started};
pub use log::{Begin, DeliveryId, DeliveryLog, LeaseTerms, LeaseToken};
pub use memory::MemoryLog;
pub use progress::Progress;
pub(crate) use renewer::Held;
pub use store_future::StoreFuture;
