//! The webhook endpoint: a Rocket route handler around a [`Dispatcher`].

use pwh_core::Dispatcher;
use rocket::http::Method;
use rocket::route::{Handler, Outcome, Route};
use rocket::{Data, Request};

use crate::headers::RocketHeaders;
use crate::{body, reply};

/// The name the endpoint's routes carry in Rocket's launch log.
const NAME: &str = "pusher_webhooks";

/// The rank of the routes answering 405 to other methods than `POST`: past Rocket's default
/// ranks (-12 to -1) and the usual explicit ones, so that any route of the application for
/// the same path and method wins over them and none collides with them.
const FALLBACK_RANK: isize = 100;

/// The methods answered with 405 and `Allow: POST` (CONNECT never reaches a path route).
const OTHER_METHODS: [Method; 7] = [
    Method::Get,
    Method::Head,
    Method::Put,
    Method::Delete,
    Method::Patch,
    Method::Options,
    Method::Trace,
];

/// Runs the dispatcher on each request it receives.
#[derive(Clone)]
struct Endpoint {
    dispatcher: Dispatcher,
}

/// The endpoint's routes, to mount at a path: `POST /` with the default (most specific) rank,
/// so that it wins over the application's dynamic routes and an identical static route of
/// the application is reported by Rocket as a collision at launch; and every other method
/// answering 405 with [`FALLBACK_RANK`].
pub(crate) fn routes(dispatcher: &Dispatcher) -> Vec<Route> {
    let endpoint = Endpoint {
        dispatcher: dispatcher.clone(),
    };
    let post = Route::new(Method::Post, "/", endpoint.clone());
    let others = OTHER_METHODS
        .into_iter()
        .map(|method| Route::ranked(FALLBACK_RANK, method, "/", endpoint.clone()));
    std::iter::once(post)
        .chain(others)
        .map(|mut route| {
            route.name = Some(NAME.into());
            route
        })
        .collect()
}

#[rocket::async_trait]
impl Handler for Endpoint {
    async fn handle<'r>(&self, req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r> {
        let body = body::read(req, data, &self.dispatcher).await;
        let headers = RocketHeaders(req.headers());
        let method = req.method().as_str();
        let response = pwh_core::adapter::Endpoint::new(&self.dispatcher)
            .handle_read(method, &headers, body)
            .await;
        Outcome::Success(reply::respond(&response))
    }
}

#[cfg(test)]
mod tests {
    use rocket::data::{Limits, ToByteUnit};
    use rocket::http::{ContentType, Header, Status};
    use rocket::local::asynchronous::{Client, LocalResponse};

    use crate::test_support::*;
    use crate::Webhooks;

    async fn client(dispatcher: pwh_core::Dispatcher) -> Client {
        let rocket = rocket::custom(quiet_config()).attach(Webhooks::new(dispatcher));
        Client::tracked(rocket).await.unwrap()
    }

    async fn text(response: LocalResponse<'_>) -> (Status, Option<ContentType>, String) {
        let status = response.status();
        let content_type = response.content_type();
        (
            status,
            content_type,
            response.into_string().await.unwrap_or_default(),
        )
    }

    #[rocket::async_test]
    async fn a_signed_webhook_reaches_the_handlers() {
        let seen = Recorder::new();
        let handler = seen.clone();
        let client = client(dispatcher(|b| b.handler(handler))).await;
        let (status, content_type, body) =
            text(post_signed(&client, PATH, &occupied("c-1")).await).await;
        assert_eq!(status, Status::Ok);
        assert_eq!(content_type, Some(ContentType::Plain));
        assert_eq!(body, "ok");
        assert_eq!(seen.lines(), ["channel_occupied c-1"]);
    }

    #[rocket::async_test]
    async fn header_names_are_case_insensitive() {
        let seen = Recorder::new();
        let handler = seen.clone();
        let client = client(dispatcher(|b| b.handler(handler))).await;
        let body = occupied("c-case");
        let response = client
            .post(PATH)
            .header(Header::new("x-pusher-key", KEY))
            .header(Header::new("X-PUSHER-SIGNATURE", sign(&body)))
            .body(body)
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::Ok);
        assert_eq!(seen.lines().len(), 1);
    }

    #[rocket::async_test]
    async fn a_bad_signature_is_401_and_runs_nothing() {
        let seen = Recorder::new();
        let handler = seen.clone();
        let client = client(dispatcher(|b| b.handler(handler))).await;
        let body = occupied("c-1");
        let mut signature = sign(&body);
        signature.replace_range(0..1, if signature.starts_with('0') { "1" } else { "0" });
        let response = client
            .post(PATH)
            .header(Header::new("X-Pusher-Key", KEY))
            .header(Header::new("X-Pusher-Signature", signature))
            .body(body)
            .dispatch()
            .await;
        let (status, _, text) = text(response).await;
        assert_eq!(status, Status::Unauthorized);
        assert!(text.contains("does not match"), "{text}");
        let unsigned = client.post(PATH).body(occupied("c-1")).dispatch().await;
        assert_eq!(unsigned.status(), Status::Unauthorized);
        assert!(seen.lines().is_empty());
    }

    #[rocket::async_test]
    async fn a_signed_non_webhook_is_400() {
        let seen = Recorder::new();
        let handler = seen.clone();
        let client = client(dispatcher(|b| b.handler(handler))).await;
        let response = post_signed(&client, PATH, br#"{"time_ms":1}"#).await;
        assert_eq!(response.status(), Status::BadRequest);
        assert!(seen.lines().is_empty());
    }

    #[rocket::async_test]
    async fn other_methods_are_405_with_allow_post() {
        let seen = Recorder::new();
        let handler = seen.clone();
        let client = client(dispatcher(|b| b.handler(handler))).await;
        for request in [
            client.get(PATH),
            client.put(PATH),
            client.delete(PATH),
            client.patch(PATH),
            client.options(PATH),
            client.head(PATH),
        ] {
            let response = request.body(occupied("c-1")).dispatch().await;
            assert_eq!(response.status(), Status::MethodNotAllowed);
            assert_eq!(response.headers().get_one("Allow"), Some("POST"));
        }
        assert!(seen.lines().is_empty());
    }

    #[rocket::async_test]
    async fn a_body_over_the_dispatcher_limit_is_413() {
        let seen = Recorder::new();
        let handler = seen.clone();
        let dispatcher = dispatcher(|b| b.body_limit(64).handler(handler));
        let client = client(dispatcher).await;
        let body = occupied("a-channel-name-long-enough-to-pass-sixty-four-bytes");
        assert!(body.len() > 64);
        let (status, _, text) = text(post_signed(&client, PATH, &body).await).await;
        assert_eq!(status, Status::PayloadTooLarge);
        assert!(text.contains("64-byte limit"), "{text}");
        assert!(seen.lines().is_empty());
    }

    #[rocket::async_test]
    async fn a_body_over_rocket_s_limit_is_413_even_without_content_length() {
        let seen = Recorder::new();
        let handler = seen.clone();
        let exact = occupied("c");
        let mut config = quiet_config();
        config.limits = Limits::default().limit(crate::LIMIT, exact.len().bytes());
        let rocket =
            rocket::custom(config).attach(Webhooks::new(dispatcher(|b| b.handler(handler))));
        let client = Client::tracked(rocket).await.unwrap();
        // The local client sets no Content-Length: these go through the capped read.
        assert_eq!(
            post_signed(&client, PATH, &exact).await.status(),
            Status::Ok
        );
        let one_more = occupied("cc");
        assert_eq!(one_more.len(), exact.len() + 1);
        let (status, _, text) = text(post_signed(&client, PATH, &one_more).await).await;
        assert_eq!(status, Status::PayloadTooLarge);
        assert!(
            text.contains(&format!("{}-byte limit", exact.len())),
            "{text}"
        );
        let announced = client
            .post(PATH)
            .header(Header::new("Content-Length", "1000000"))
            .body("{}")
            .dispatch()
            .await;
        assert_eq!(announced.status(), Status::PayloadTooLarge);
        assert_eq!(seen.lines(), ["channel_occupied c"]);
    }

    #[rocket::async_test]
    async fn a_failing_handler_is_500_and_its_error_stays_private() {
        let failing = failing();
        let calls = failing.clone();
        let client = client(dispatcher(|b| b.handler(failing))).await;
        let (status, _, text) = text(post_signed(&client, PATH, &occupied("c-1")).await).await;
        assert_eq!(status, Status::InternalServerError);
        assert!(!text.contains(SECRET_MESSAGE), "{text}");
        assert_eq!(calls.calls(), 1);
    }

    #[rocket::async_test]
    async fn the_application_s_routes_keep_working() {
        #[rocket::get("/")]
        fn index() -> &'static str {
            "index"
        }
        #[rocket::post("/<_..>", rank = 50)]
        fn any_post() -> &'static str {
            "app"
        }
        #[rocket::get("/status")]
        fn status() -> &'static str {
            "status"
        }

        let seen = Recorder::new();
        let handler = seen.clone();
        let rocket = rocket::custom(quiet_config())
            .mount("/", rocket::routes![index, any_post])
            .mount(PATH, rocket::routes![status])
            .attach(Webhooks::new(dispatcher(|b| b.handler(handler))));
        let client = Client::tracked(rocket).await.unwrap();

        let index = client.get("/").dispatch().await;
        assert_eq!(index.into_string().await.as_deref(), Some("index"));
        let other = client.post("/elsewhere").dispatch().await;
        assert_eq!(other.into_string().await.as_deref(), Some("app"));
        let nested = client.get(format!("{PATH}/status")).dispatch().await;
        assert_eq!(nested.into_string().await.as_deref(), Some("status"));

        let hook = post_signed(&client, PATH, &occupied("c-1")).await;
        assert_eq!(hook.status(), Status::Ok);
        assert_eq!(seen.lines().len(), 1);
    }

    #[rocket::async_test]
    async fn an_application_route_for_another_method_wins_over_the_405() {
        #[rocket::get("/")]
        fn page() -> &'static str {
            "page"
        }
        let rocket = rocket::custom(quiet_config())
            .mount(PATH, rocket::routes![page])
            .attach(Webhooks::new(dispatcher(|b| b)));
        let client = Client::tracked(rocket).await.unwrap();
        let page = client.get(PATH).dispatch().await;
        assert_eq!(page.into_string().await.as_deref(), Some("page"));
        assert_eq!(
            client.put(PATH).dispatch().await.status(),
            Status::MethodNotAllowed
        );
    }
}
