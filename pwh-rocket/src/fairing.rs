//! The fairing that mounts the webhook endpoint and manages the dispatcher.

use std::borrow::Cow;

use pwh_core::Dispatcher;
use rocket::fairing::{self, Fairing, Info, Kind};
use rocket::http::uri::Origin;
use rocket::{Build, Rocket};

use crate::endpoint;

/// Mounts the webhook endpoint of a [`Dispatcher`] on a Rocket, in one line.
///
/// When Rocket ignites, this fairing
/// - mounts the endpoint at [`DEFAULT_PATH`](Self::DEFAULT_PATH) or the path given to
///   [`at`](Self::at): `POST` runs [`Dispatcher::handle`] on the body, read up to the limit
///   (see [`LIMIT`](crate::LIMIT)), and answers with its status and a short `text/plain`
///   reason; other methods get 405 with `Allow: POST`;
/// - manages the dispatcher as Rocket state, unless one is already managed, so that
///   [`VerifiedWebhook`](crate::VerifiedWebhook) guards and `&State<Dispatcher>` work.
///
/// The `POST` route has Rocket's default rank for a static path, so it wins over the
/// application's dynamic routes (a `/<path..>` fallback), and a route of the application for
/// the same path and method is reported as a collision at launch. The 405 routes have a low
/// priority (rank 100): the application's own routes for those methods at that path win.
///
/// Ignition fails, with an error logged, when the path is not a valid absolute URI path.
///
/// ```
/// use pwh_core::{Dispatcher, KeyRing, Token};
///
/// let keys = KeyRing::new([Token::new("app-key", "app-secret")]);
/// let dispatcher = Dispatcher::builder(keys).build();
/// let rocket = rocket::build().attach(pwh_rocket::Webhooks::new(dispatcher).at("/hooks/pusher"));
/// ```
#[derive(Debug, Clone)]
#[must_use = "attach it to a Rocket: `rocket::build().attach(Webhooks::new(dispatcher))`"]
pub struct Webhooks {
    dispatcher: Dispatcher,
    path: Cow<'static, str>,
}

impl Webhooks {
    /// The path the endpoint is mounted at unless [`at`](Self::at) says otherwise.
    pub const DEFAULT_PATH: &'static str = "/pusher/webhooks";

    /// The endpoint of `dispatcher`, to be mounted at [`DEFAULT_PATH`](Self::DEFAULT_PATH).
    pub fn new(dispatcher: Dispatcher) -> Self {
        Self {
            dispatcher,
            path: Cow::Borrowed(Self::DEFAULT_PATH),
        }
    }

    /// Mounts the endpoint at `path` instead, e.g. `"/hooks/pusher"`: an absolute path,
    /// checked when Rocket ignites.
    pub fn at(mut self, path: impl Into<Cow<'static, str>>) -> Self {
        self.path = path.into();
        self
    }

    /// The path the endpoint is mounted at.
    pub fn path(&self) -> &str {
        &self.path
    }
}

#[rocket::async_trait]
impl Fairing for Webhooks {
    fn info(&self) -> Info {
        Info {
            name: "Pusher webhooks",
            kind: Kind::Ignite,
        }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> fairing::Result {
        let routes = endpoint::routes(&self.dispatcher);
        if let Err(reason) = check_base(&self.path, &routes) {
            tracing::error!(
                path = %self.path,
                %reason,
                "cannot mount the Pusher webhook endpoint: give Webhooks::at an absolute path such as \"/pusher/webhooks\""
            );
            return Err(rocket);
        }
        let rocket = if rocket.state::<Dispatcher>().is_some() {
            rocket
        } else {
            rocket.manage(self.dispatcher.clone())
        };
        Ok(rocket.mount(self.path.as_ref(), routes))
    }
}

/// Whether `path` can be a mount point for `routes`; `Rocket::mount` panics where this fails.
fn check_base(path: &str, routes: &[rocket::Route]) -> Result<(), String> {
    let base = Origin::parse(path).map_err(|e| e.to_string())?;
    if base.query().is_some() {
        return Err("a mount path has no query".to_owned());
    }
    for route in routes {
        route
            .clone()
            .map_base(|old| format!("{base}{old}"))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rocket::http::Status;
    use rocket::local::asynchronous::Client;

    use super::*;
    use crate::test_support::*;

    #[test]
    fn the_path_defaults_and_can_be_changed() {
        let hooks = Webhooks::new(dispatcher(|b| b));
        assert_eq!(hooks.path(), "/pusher/webhooks");
        assert_eq!(hooks.at("/elsewhere").path(), "/elsewhere");
    }

    #[rocket::async_test]
    async fn mounts_at_the_chosen_path() {
        let seen = Recorder::new();
        let handler = seen.clone();
        let rocket = rocket::custom(quiet_config())
            .attach(Webhooks::new(dispatcher(|b| b.handler(handler))).at("/hooks/pusher"));
        let client = Client::tracked(rocket).await.unwrap();
        let moved = post_signed(&client, "/hooks/pusher", &occupied("c-1")).await;
        assert_eq!(moved.status(), Status::Ok);
        let default = post_signed(&client, PATH, &occupied("c-2")).await;
        assert_eq!(default.status(), Status::NotFound);
        assert_eq!(seen.lines(), ["channel_occupied c-1"]);
    }

    #[rocket::async_test]
    async fn manages_the_dispatcher_unless_one_is() {
        let rocket = rocket::custom(quiet_config()).attach(Webhooks::new(dispatcher(|b| b)));
        let client = Client::tracked(rocket).await.unwrap();
        assert!(client.rocket().state::<Dispatcher>().is_some());

        let mine = dispatcher(|b| b.body_limit(7));
        let rocket = rocket::custom(quiet_config())
            .manage(mine)
            .attach(Webhooks::new(dispatcher(|b| b)));
        let client = Client::tracked(rocket).await.unwrap();
        let managed = client.rocket().state::<Dispatcher>().unwrap();
        assert_eq!(managed.body_limit(), 7);
    }

    #[rocket::async_test]
    async fn a_bad_path_fails_ignition_without_panicking() {
        for path in ["no-leading-slash", "/a?b=c", "/<unclosed"] {
            let rocket =
                rocket::custom(quiet_config()).attach(Webhooks::new(dispatcher(|b| b)).at(path));
            match Client::tracked(rocket).await {
                Ok(_) => panic!("{path} was mounted"),
                Err(e) => assert!(matches!(
                    e.kind(),
                    rocket::error::ErrorKind::FailedFairings(_)
                )),
            }
        }
    }
}
