//! Every shared conformance case through both adapters: in-process (axum `oneshot`, Rocket's
//! local client) and over a real TCP socket.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use http_body_util::BodyExt;
use pwh_core::{Dispatcher, FixedClock};
use pwh_tests::{Case, Recorder, Suite};
use tower::ServiceExt;

/// One receiver for the whole suite: the clock is set to each case's `now_ms`, and the
/// recorder drained after each case. Redelivery memory is off, since several cases send the
/// same body on purpose.
struct Receiver {
    dispatcher: Dispatcher,
    clock: Arc<FixedClock>,
    recorder: Recorder,
}

impl Receiver {
    fn new(suite: &Suite) -> Self {
        let clock = Arc::new(FixedClock::new(0));
        let recorder = Recorder::default();
        let dispatcher = Dispatcher::builder(suite.keys())
            .registered_handlers(false)
            .handler(recorder.clone())
            .clock(Arc::clone(&clock))
            .max_age(Some(Duration::from_millis(suite.max_age_ms)))
            .without_delivery_log()
            .build();
        Self {
            dispatcher,
            clock,
            recorder,
        }
    }
}

/// Runs every case with `send`, which returns the status, and checks status and events.
async fn run_suite<'s, F, Fut>(label: &str, receiver: &Receiver, suite: &'s Suite, mut send: F)
where
    F: FnMut(&'s Case) -> Fut,
    Fut: std::future::Future<Output = u16>,
{
    let mut failures = Vec::new();
    for case in &suite.cases {
        receiver.clock.set(case.now_ms);
        let before = receiver.recorder.events().len();
        let status = send(case).await;
        let events = receiver.recorder.events().split_off(before);
        if status != case.expect_status || events != case.expect_events {
            failures.push(format!(
                "{}: status {status} (want {}), events {events:?} (want {:?})",
                case.name, case.expect_status, case.expect_events
            ));
        }
    }
    assert_eq!(suite.cases.len(), 33);
    assert!(
        failures.is_empty(),
        "{label}: {} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn axum_app(receiver: &Receiver) -> axum::Router {
    axum::Router::new().route(
        "/pusher/webhooks",
        pwh_axum::webhooks(receiver.dispatcher.clone()),
    )
}

#[tokio::test]
async fn axum_in_process() {
    let suite = Suite::load();
    let receiver = Receiver::new(&suite);
    let app = axum_app(&receiver);
    run_suite("axum oneshot", &receiver, &suite, |case| {
        let mut request = axum::http::Request::builder()
            .method(case.method.as_str())
            .uri("/pusher/webhooks");
        for (name, value) in &case.headers {
            request = request.header(name, value);
        }
        let request = request.body(Body::from(case.body())).unwrap();
        let app = app.clone();
        async move {
            let response = app.oneshot(request).await.unwrap();
            let status = response.status().as_u16();
            let _ = response.into_body().collect().await;
            status
        }
    })
    .await;
}

async fn send_tcp(addr: SocketAddr, case: &Case) -> u16 {
    let headers: Vec<(&str, &str)> = case
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    example_shared::http::send(
        addr,
        &case.method,
        "/pusher/webhooks",
        &headers,
        &case.body(),
    )
    .await
    .unwrap_or_else(|e| panic!("{}: {e}", case.name))
    .status
}

#[tokio::test]
async fn axum_over_tcp() {
    let suite = Suite::load();
    let receiver = Receiver::new(&suite);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(axum::serve(listener, axum_app(&receiver)).into_future());
    run_suite("axum over TCP", &receiver, &suite, |case| {
        send_tcp(addr, case)
    })
    .await;
    server.abort();
}

fn rocket_app(receiver: &Receiver, port: u16) -> rocket::Rocket<rocket::Build> {
    let figment = rocket::Config::figment()
        .merge(("log_level", rocket::config::LogLevel::Off))
        .merge(("address", "127.0.0.1"))
        .merge(("port", port));
    rocket::custom(figment)
        .attach(pwh_rocket::Webhooks::new(receiver.dispatcher.clone()).at("/pusher/webhooks"))
}

#[rocket::async_test]
async fn rocket_in_process() {
    use rocket::http::{Header, Method};
    let suite = Suite::load();
    let receiver = Receiver::new(&suite);
    let client = rocket::local::asynchronous::Client::untracked(rocket_app(&receiver, 0))
        .await
        .unwrap();
    let client = &client;
    run_suite(
        "rocket local client",
        &receiver,
        &suite,
        |case| async move {
            let method = case.method.parse::<Method>().unwrap();
            let mut request = client.req(method, "/pusher/webhooks").body(case.body());
            for (name, value) in &case.headers {
                request = request.header(Header::new(name.clone(), value.clone()));
            }
            request.dispatch().await.status().code
        },
    )
    .await;
}

#[rocket::async_test]
async fn rocket_over_tcp() {
    let suite = Suite::load();
    let receiver = Receiver::new(&suite);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let ignited = rocket_app(&receiver, port).ignite().await.unwrap();
    let shutdown = ignited.shutdown();
    let server = rocket::tokio::spawn(ignited.launch());
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut up = false;
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(up, "Rocket did not start listening on {addr}");
    run_suite("rocket over TCP", &receiver, &suite, |case| {
        send_tcp(addr, case)
    })
    .await;
    shutdown.notify();
    let _ = server.await;
}
