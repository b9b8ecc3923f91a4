//! The accept loop: HTTP/1 connections served by hyper with the routes of [`super::api`],
//! bounded before any request is read.
//!
//! - At most [`MAX_CONNECTIONS`] connections are open at once; a further one waits in the
//!   kernel's listen backlog until one closes, so idle or slow clients cannot use up the
//!   server's memory or file handles.
//! - A request's head (request line and headers) must arrive within [`HEADER_TIMEOUT`] of
//!   the connection opening or of the previous answer, or the connection is closed: a client
//!   that sends its headers a byte at a time ("slowloris") holds no place for long. The
//!   head is also capped in size by hyper (about 400 KiB), bodies by the routes (4 MiB).
//! - A request's body must arrive within [`BODY_TIMEOUT`] of its route starting to read it
//!   ([`body`]), or the answer is 408 and the connection is closed: a client that sends its
//!   headers and then trickles the body holds no place for long either.
//!
//! On shutdown it stops accepting, lets each connection finish its request under way
//! (running simulations are stopped by then, so streams end), and closes them.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

/// Connections open at once.
pub const MAX_CONNECTIONS: usize = 256;
/// Time allowed for a request's head to arrive.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Time allowed for a request's body to arrive, once its head has.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// The body of `request`, capped by the route's `DefaultBodyLimit`, if it arrives within
/// `timeout`. Otherwise the answer to send: the cap's refusal (413), or 408 Request Timeout
/// with `Connection: close`, so that the rest of a slow body is never waited for.
pub async fn body(request: Request, timeout: Duration) -> Result<Bytes, Response> {
    match tokio::time::timeout(timeout, Bytes::from_request(request, &())).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(refused)) => Err(refused.into_response()),
        Err(_) => {
            let mut r = (
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request's body did not arrive within {} s",
                    timeout.as_secs_f64()
                ),
            )
                .into_response();
            r.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            Err(r)
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then until every connection has
/// finished (the caller caps that wait).
pub async fn serve(listener: TcpListener, app: Router, shutdown: impl Future<Output = ()>) {
    serve_with(listener, app, shutdown, MAX_CONNECTIONS, HEADER_TIMEOUT).await;
}

/// [`serve`] with its limits given.
async fn serve_with(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()>,
    connections: usize,
    header_timeout: Duration,
) {
    let places = Arc::new(Semaphore::new(connections));
    let (stop, stopped) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let place = tokio::select! {
            place = places.clone().acquire_owned() => place.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file handles, or a connection reset before it was accepted: the
                // next accept may succeed.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let _place = place;
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            let mut conn = pin!(builder.serve_connection(TokioIo::new(stream), service));
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = stopped.wait_for(|s| *s) => conn.as_mut().graceful_shutdown(),
            }
            let _ = conn.await;
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every place back: every connection closed.
    let _ = places.acquire_many(connections as u32).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::{get, post};
    use std::io::{Read, Write};
    use std::net::TcpStream;

    /// A server with `connections` places and header timeout `timeout`; its port.
    async fn server(connections: usize, timeout: Duration) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = Router::new().route("/", get(|| async { "hello" })).route(
            "/body",
            post(|request: Request| async move {
                match body(request, Duration::from_millis(300)).await {
                    Ok(b) => format!("{} bytes", b.len()).into_response(),
                    Err(refused) => refused,
                }
            }),
        );
        tokio::spawn(serve_with(
            listener,
            app,
            std::future::pending(),
            connections,
            timeout,
        ));
        port
    }

    /// Sends `head` on a new connection and reads until the server closes it (at most 5 s).
    fn exchange(port: u16, head: &[u8]) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(head).unwrap();
        let mut answer = Vec::new();
        s.read_to_end(&mut answer)
            .expect("the server closed the connection within 5 s");
        String::from_utf8_lossy(&answer).into_owned()
    }

    const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_slow_head_is_cut_off() {
        let port = server(4, Duration::from_millis(300)).await;
        let slow = tokio::task::spawn_blocking(move || exchange(port, b"GET / HTTP/1.1\r\nHost"));
        let answer = slow.await.unwrap();
        assert!(!answer.contains("hello"), "{answer}");
        let ok = tokio::task::spawn_blocking(move || exchange(port, GET));
        assert!(ok.await.unwrap().ends_with("hello"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn connections_beyond_the_cap_wait_for_a_place() {
        let port = server(2, Duration::from_secs(60)).await;
        let idle = [
            TcpStream::connect(("127.0.0.1", port)).unwrap(),
            TcpStream::connect(("127.0.0.1", port)).unwrap(),
        ];
        // Both places are taken: a third waits.
        let third = tokio::task::spawn_blocking(move || exchange(port, GET));
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(
            !third.is_finished(),
            "a third connection was served at once"
        );
        drop(idle);
        let answer = third.await.unwrap();
        assert!(answer.ends_with("hello"), "{answer}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_slow_body_is_cut_off_with_408() {
        let port = server(4, Duration::from_secs(60)).await;
        const HEAD: &[u8] = b"POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n";
        // The whole body at once: read.
        let whole =
            b"POST /body HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 10\r\n\r\n0123456789";
        let ok = tokio::task::spawn_blocking(move || exchange(port, whole));
        let answer = ok.await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(answer.ends_with("10 bytes"), "{answer}");
        // The head, then a byte every 100 ms: the body would be whole after 1 s, but it is
        // not waited for beyond 300 ms.
        let slow = tokio::task::spawn_blocking(move || {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            s.write_all(HEAD).unwrap();
            let mut writer = s.try_clone().unwrap();
            let trickle = std::thread::spawn(move || {
                for b in b"0123456789" {
                    std::thread::sleep(Duration::from_millis(100));
                    // Once the server has closed the connection, writes fail.
                    if writer.write_all(&[*b]).is_err() {
                        break;
                    }
                }
            });
            let mut answer = Vec::new();
            let read = s.read_to_end(&mut answer);
            trickle.join().unwrap();
            read.expect("the server closed the connection within 5 s");
            String::from_utf8_lossy(&answer).into_owned()
        });
        let answer = slow.await.unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
            "{answer}"
        );
        assert!(answer.contains("connection: close\r\n"), "{answer}");
        assert!(
            answer.ends_with("the request's body did not arrive within 0.3 s"),
            "{answer}"
        );
    }
}
