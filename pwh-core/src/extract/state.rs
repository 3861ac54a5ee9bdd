//! `State<T>`: application state registered on the dispatcher.

use super::{ExtractError, FromEvent};
use crate::EventContext;

/// Application state registered with
/// [`DispatcherBuilder::state`](crate::DispatcherBuilder::state), cloned for each handler call
/// (wrap it in an `Arc` or use a cheaply cloned handle).
///
/// ```
/// # use pwh_core::State;
/// # #[derive(Clone)] struct Feeds;
/// # impl Feeds { async fn pause(&self, _: &str) {} }
/// #[pwh_core::on_event("channel_vacated")]
/// async fn stop_publishing(channel: &str, State(feeds): State<Feeds>) {
///     feeds.pause(channel).await;
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct State<T>(pub T);

impl<'r, T: Clone + Send + Sync + 'static> FromEvent<'r> for State<T> {
    fn from_event(cx: &EventContext<'r>, _param: &'static str) -> Result<Self, ExtractError> {
        cx.state::<T>()
            .cloned()
            .map(State)
            .ok_or(ExtractError::MissingState {
                type_name: std::any::type_name::<T>(),
            })
    }
}
