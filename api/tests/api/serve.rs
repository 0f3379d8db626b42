use std::io::{Read, Write};

use crossdock_api::ApiError;
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
