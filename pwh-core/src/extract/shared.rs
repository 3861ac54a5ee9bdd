//! `Shared<T>`: application state registered on the dispatcher.

use std::any::TypeId;

use super::{ExtractError, FromEvent};
use crate::context::EventContext;

/// Application state registered with
/// [`DispatcherBuilder::state`](crate::dispatcher::DispatcherBuilder::state).
///
/// Take `Shared<T>` to get a clone for each handler call (wrap the state in an `Arc` or use a
/// cheaply cloned handle), or `&Shared<T>` to borrow it for the call: no clone, and no
/// reference count shared by every thread that handles webhooks.
///
/// ```
/// # use pwh_core::Shared;
/// # #[derive(Clone)] struct Feeds;
/// # impl Feeds { async fn pause(&self, _: &str) {} fn count(&self, _: &str) {} }
/// #[pwh_core::on_event("channel_vacated")]
/// async fn stop_publishing(channel: &str, Shared(feeds): Shared<Feeds>) {
///     feeds.pause(channel).await;
/// }
///
/// #[pwh_core::on_event("channel_occupied")]
/// fn count_occupied(channel: &str, feeds: &Shared<Feeds>) {
///     feeds.count(channel); // `&Shared<T>` derefs to `&T`
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Shared<T>(pub T);

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// The state types handlers cannot do without, for
/// [`DispatcherBuilder::build`](crate::dispatcher::DispatcherBuilder::build) to check before the first
/// webhook: what [`FromEvent::required_state`] collects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StateNeeds(Vec<(TypeId, &'static str)>);

impl StateNeeds {
    /// Records that state of type `T` (given to `DispatcherBuilder::state`) is needed.
    pub fn add<T: 'static>(&mut self) {
        let need = (TypeId::of::<T>(), std::any::type_name::<T>());
        if !self.0.contains(&need) {
            self.0.push(need);
        }
    }

    /// The needed types: their ids and names.
    pub fn iter(&self) -> impl Iterator<Item = (TypeId, &'static str)> + '_ {
        self.0.iter().copied()
    }
}

impl<'r, T: Clone + Send + Sync + 'static> FromEvent<'r> for Shared<T> {
    fn required_state(needs: &mut StateNeeds) {
        needs.add::<T>();
    }

    fn from_event(cx: &EventContext<'r>, _param: &'static str) -> Result<Self, ExtractError> {
        cx.state::<T>()
            .cloned()
            .map(Shared)
            .ok_or(ExtractError::MissingState {
                type_name: std::any::type_name::<T>(),
            })
    }
}

impl<'r, T: Send + Sync + 'static> FromEvent<'r> for &'r Shared<T> {
    fn required_state(needs: &mut StateNeeds) {
        needs.add::<T>();
    }

    fn from_event(cx: &EventContext<'r>, _param: &'static str) -> Result<Self, ExtractError> {
        cx.state
            .get::<Shared<T>>()
            .ok_or(ExtractError::MissingState {
                type_name: std::any::type_name::<T>(),
            })
    }
}

/// Reading the dispatcher's state from a handler's context (here rather than in `context`,
/// which sits below the extractors).
impl<'r> EventContext<'r> {
    /// The value of type `T` given to
    /// [`DispatcherBuilder::state`](crate::dispatcher::DispatcherBuilder::state), if any.
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<&'r T> {
        self.state.get::<Shared<T>>().map(|state| &state.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::tests::with_state_cx;

    #[test]
    fn cloned_or_borrowed_and_missing_named() {
        let mut state = http::Extensions::new();
        state.insert(Shared(String::from("shared")));
        with_state_cx(br#"{"time_ms":1,"events":[{"name":"x"}]}"#, state, |cx| {
            let Shared(cloned) = Shared::<String>::from_event(cx, "s").unwrap();
            assert_eq!(cloned, "shared");
            let borrowed = <&Shared<String>>::from_event(cx, "s").unwrap();
            assert!(std::ptr::eq(
                borrowed.as_str(),
                cx.state::<String>().unwrap().as_str()
            ));
            let missing = ExtractError::MissingState { type_name: "u8" };
            assert_eq!(Shared::<u8>::from_event(cx, "n").unwrap_err(), missing);
            assert_eq!(<&Shared<u8>>::from_event(cx, "n").unwrap_err(), missing);
        });
    }
}
