//! A local HTTP/1.1 double for the remote providers' tests: listens on 127.0.0.1:0, records
//! every request (path, headers, JSON body) and answers from a script, byte by byte when asked.
//!
//! Written on tokio's TCP directly rather than a framework so a reply can be cut anywhere
//! (mid-line, mid-event), stall for a while, or never come: the failures the client must survive.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A request as the double received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Header names lowercased.
    pub headers: BTreeMap<String, String>,
    pub body: serde_json::Value,
}

/// One scripted reply.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Wait before the status line (a silent server).
    pub delay_before_headers: Duration,
    /// Body pieces, each written after its delay; the body ends when the connection closes.
    pub pieces: Vec<(Duration, Vec<u8>)>,
    /// Keep the connection open this long after the last piece (a stalled stream).
    pub hold_open: Duration,
}

impl Reply {
    pub fn json(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            delay_before_headers: Duration::ZERO,
            pieces: vec![(Duration::ZERO, body.as_bytes().to_vec())],
            hold_open: Duration::ZERO,
        }
    }

    /// A streamed body cut into `piece_bytes`-byte pieces (to split lines and events anywhere).
    pub fn event_stream(body: &str, piece_bytes: usize) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream".into())],
            delay_before_headers: Duration::ZERO,
            pieces: body
                .as_bytes()
                .chunks(piece_bytes.max(1))
                .map(|piece| (Duration::from_millis(1), piece.to_vec()))
                .collect(),
            hold_open: Duration::ZERO,
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay_before_headers = delay;
        self
    }

    pub fn then_stall(mut self, hold_open: Duration) -> Self {
        self.hold_open = hold_open;
        self
    }
}

/// A running double.
pub struct Double {
    pub address: SocketAddr,
    recorded: Arc<Mutex<Vec<Recorded>>>,
}

impl Double {
    /// Starts a double that answers the scripted replies in order (and 599 once they run out,
    /// which fails the test that did not expect another request).
    pub async fn start(replies: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let recorded = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::from(replies)));
        let log = Arc::clone(&recorded);
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let log = Arc::clone(&log);
                let script = Arc::clone(&script);
                tokio::spawn(async move {
                    let Some(request) = read_request(&mut socket).await else {
                        return;
                    };
                    log.lock().unwrap().push(request);
                    let reply =
                        script.lock().unwrap().pop_front().unwrap_or_else(|| {
                            Reply::json(599, "{\"error\":\"script exhausted\"}")
                        });
                    let _ = write_reply(&mut socket, reply).await;
                });
            }
        });
        Self { address, recorded }
    }

    /// The base URL a provider should be given (with the `/v1` segment).
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.address)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.recorded.lock().unwrap().clone()
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Recorded> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(position) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break position + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let headers: BTreeMap<String, String> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_lowercase(), value.trim().to_owned()))
        .collect();
    let length: usize = headers.get("content-length")?.parse().ok()?;
    while buffer.len() < header_end + length {
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let body = serde_json::from_slice(&buffer[header_end..header_end + length])
        .unwrap_or(serde_json::Value::Null);
    Some(Recorded {
        method,
        path,
        headers,
        body,
    })
}

async fn write_reply(socket: &mut tokio::net::TcpStream, reply: Reply) -> std::io::Result<()> {
    tokio::time::sleep(reply.delay_before_headers).await;
    let mut head = format!(
        "HTTP/1.1 {} Scripted\r\nconnection: close\r\n",
        reply.status
    );
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    socket.write_all(head.as_bytes()).await?;
    socket.flush().await?;
    for (delay, piece) in reply.pieces {
        tokio::time::sleep(delay).await;
        socket.write_all(&piece).await?;
        socket.flush().await?;
    }
    tokio::time::sleep(reply.hold_open).await;
    socket.shutdown().await
}

/// A fixture's text from `tests/fixtures/`.
pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}
