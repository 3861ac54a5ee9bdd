//! Every shared conformance case through both adapters: in-process (axum `oneshot`, Rocket's
//! local client) and over a real TCP socket.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use http_body_util::BodyExt;
use pwh_tests::{run_suite, send_tcp, Receiver, Suite};
use tower::ServiceExt;

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
