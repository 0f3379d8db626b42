use std::io::{Read, Write};
use std::time::{Duration, Instant};

use crossdock_api::{ApiError, ServeOptions};
use tokio::net::TcpListener;

use crate::fixture::fixture;

#[tokio::test(flavor = "multi_thread")]
async fn serves_over_tcp_and_stops_on_the_shutdown_future() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crossdock_api::serve_on(
        fixture().state.clone(),
        listener,
        async {
            let _ = stopped.await;
        },
    ));
    let token = fixture().token("planner").to_string();
    let response = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(
            format!("GET /api/kpis/definitions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    })
    .await
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("line_fill_rate"), "{response}");
    assert!(
        !response.contains("gross_margin"),
        "a planner sees no margin: {response}"
    );
    stop.send(()).unwrap();
    let result = tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .expect("the server stops")
        .unwrap();
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_address_in_use_is_a_bind_error() {
    let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = taken.local_addr().unwrap();
    let err = crossdock_api::serve(fixture().state.clone(), addr, std::future::pending())
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Bind { .. }), "{err:?}");
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}

/// A GET of /api/health on a fresh connection: the whole answer.
async fn health_over_tcp(addr: std::net::SocketAddr) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads until the server closes the connection (EOF or reset); false when
/// it is still open after `within`.
async fn closed_within(s: &mut tokio::net::TcpStream, within: Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 4096];
    tokio::time::timeout(within, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

async fn half_sent(addr: std::net::SocketAddr, n: usize) -> Vec<tokio::net::TcpStream> {
    use tokio::io::AsyncWriteExt;
    let mut out = Vec::new();
    for _ in 0..n {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .unwrap();
        out.push(s);
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn half_sent_requests_cannot_starve_other_clients_and_are_closed() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let options = ServeOptions {
        header_read_timeout: Duration::from_secs(1),
        body_read_timeout: Duration::from_secs(1),
        max_connections: 16,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crossdock_api::serve_with(
        fixture().state.clone(),
        listener,
        options,
        async {
            let _ = stopped.await;
        },
    ));

    // Under the connection limit: a normal request is answered at once.
    let mut slow = half_sent(addr, 10).await;
    let started = Instant::now();
    let answer = health_over_tcp(addr).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );

    // Over it: the server keeps its descriptors, and the normal request is
    // answered once the header timeout has closed the slow ones before it.
    slow.extend(half_sent(addr, 20).await);
    let started = Instant::now();
    let answer = tokio::time::timeout(Duration::from_secs(10), health_over_tcp(addr))
        .await
        .expect("answered while 30 half-sent requests are held");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // Every half-sent request's connection is closed by the server.
    for (i, s) in slow.iter_mut().enumerate() {
        assert!(
            closed_within(s, Duration::from_secs(5)).await,
            "half-sent connection {i} still open"
        );
    }

    // An idle keep-alive connection is closed after the same timeout.
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 4096];
        let n = s.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
        let idle = Instant::now();
        assert!(closed_within(&mut s, Duration::from_secs(5)).await);
        assert!(
            idle.elapsed() >= Duration::from_millis(500),
            "{:?}",
            idle.elapsed()
        );
    }

    stop.send(()).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops")
        .unwrap();
    assert!(result.is_ok(), "{result:?}");
}
