//! A TCP proxy in front of a Redis, to cut one instance off it (a real broken connection and
//! refused reconnections) while the others still reach it.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// Forwards 127.0.0.1:`port` to Redis until [`cut`](Self::cut).
pub(crate) struct Proxy {
    port: u16,
    redis: SocketAddr,
    connections: Option<tokio::task::JoinHandle<()>>,
}

impl Proxy {
    /// A proxy on a free port to the Redis at `redis_url` (`redis://127.0.0.1:<port>/`).
    pub(crate) async fn start(redis_url: &str) -> Self {
        let redis_port: u16 = redis_url
            .trim_end_matches('/')
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a redis://127.0.0.1:<port>/ URL");
        let mut proxy = Self {
            port: 0,
            redis: SocketAddr::from(([127, 0, 0, 1], redis_port)),
            connections: None,
        };
        proxy.listen().await;
        proxy
    }

    /// The URL to reach Redis through the proxy.
    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Listens again (on the same port once it has one).
    pub(crate) async fn listen(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("bind the proxy's port");
        self.port = listener.local_addr().expect("its address").port();
        let redis = self.redis;
        self.connections = Some(tokio::spawn(async move {
            let mut piped = JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                piped.spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(redis).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        }));
    }

    /// Closes every connection through the proxy and refuses new ones.
    pub(crate) async fn cut(&mut self) {
        if let Some(connections) = self.connections.take() {
            // Aborting the task drops the listener and, with the JoinSet, every connection.
            connections.abort();
            let _ = connections.await;
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(connections) = &self.connections {
            connections.abort();
        }
    }
}
