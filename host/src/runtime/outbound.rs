//! Outgoing HTTP for connectors. wasmtime-wasi-http's default sender connects
//! wherever the guest asks and never consults socket checks, so the platform
//! sends requests itself: only to `host:port` pairs in the connector's
//! allowlist, only to addresses that pass the address policy after DNS
//! resolution (so a name cannot be pointed at loopback or the private network),
//! connecting to the checked address rather than resolving again, with
//! timeouts and a cap on the response body.

use super::gate::{CallBudget, UpstreamGate};
use bytes::Bytes;
use http::uri::Scheme;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame};
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpStream;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

/// One allowed destination.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AllowedHost {
    host: String,
    port: u16,
    literal: Option<IpAddr>,
}

/// Where one connector may connect, and how.
#[derive(Debug)]
pub(crate) struct OutboundPolicy {
    allowed: Vec<AllowedHost>,
    allow_private: bool,
    max_response_bytes: u64,
    timeout: Duration,
}

impl OutboundPolicy {
    /// Parses `host:port` entries.
    ///
    /// # Errors
    /// Every entry that is not `host:port`.
    pub(crate) fn new(
        entries: &[String],
        allow_private: bool,
        max_response_bytes: u64,
        timeout: Duration,
    ) -> Result<Self, Vec<String>> {
        let mut allowed = Vec::new();
        let mut problems = Vec::new();
        for e in entries {
            match parse_host_port(e) {
                Some((host, port)) => allowed.push(AllowedHost {
                    literal: host.parse().ok(),
                    host,
                    port,
                }),
                None => problems.push(format!("allowed host {e:?} is not host:port")),
            }
        }
        if problems.is_empty() {
            Ok(Self {
                allowed,
                allow_private,
                max_response_bytes,
                timeout,
            })
        } else {
            Err(problems)
        }
    }

    fn find(&self, host: &str, port: u16) -> Option<&AllowedHost> {
        self.allowed
            .iter()
            .find(|a| a.port == port && a.host.eq_ignore_ascii_case(host))
    }
}

fn parse_host_port(s: &str) -> Option<(String, u16)> {
    let (host, port) = s.trim().rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host.contains(['/', '@', ' ']) {
        return None;
    }
    Some((host.to_ascii_lowercase(), port.parse().ok()?))
}

/// A refused outgoing request, kept so the host can tell the consumer why the
/// connector failed rather than relay the connector's guess.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Denial {
    pub(crate) target: String,
    pub(crate) reason: String,
    pub(crate) kind: DenialKind,
}

/// What refused a request; each gives the consumer a different error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DenialKind {
    /// The connector's network policy (allowed hosts and addresses).
    Policy,
    /// The query's ceiling of upstream calls, with its value.
    Ceiling(u32),
    /// The agency's rate or concurrency limit, which would have held the
    /// call past its deadline.
    Throttled,
    /// The upstream's answer ran past the response cap (bytes); the
    /// connection was dropped there, so the rest was never read.
    ResponseTooLarge(u64),
}

/// Records a refused request and gives the error the guest sees for it.
fn refuse(
    denials: &Mutex<Vec<Denial>>,
    target: String,
    reason: String,
    kind: DenialKind,
) -> HttpError {
    record(denials, target, reason, kind);
    HttpError::HttpRequestDenied
}

fn record(denials: &Mutex<Vec<Denial>>, target: String, reason: String, kind: DenialKind) {
    lock(denials).push(Denial {
        target,
        reason,
        kind,
    });
}

/// Who the request is for; sent upstream so the provider can see who asks and why.
#[derive(Debug, Clone)]
pub(crate) struct Forwarded {
    pub(crate) request_id: String,
    pub(crate) consumer: String,
    pub(crate) purpose: String,
    /// Signs the three with method, path and date, so the provider can
    /// check they came from the platform unchanged (docs/authentication.md).
    pub(crate) secret: Option<Arc<str>>,
}

/// Outgoing connections one instance may hold open at once; more wait.
const MAX_CONNECTIONS_PER_INSTANCE: usize = 8;

/// The `WasiHttpHooks` of one store.
pub(crate) struct OutboundHooks {
    policy: Arc<OutboundPolicy>,
    denials: Arc<Mutex<Vec<Denial>>>,
    forwarded: Option<Forwarded>,
    connections: Arc<tokio::sync::Semaphore>,
    gate: Arc<UpstreamGate>,
    budget: Option<Arc<CallBudget>>,
    /// The ceiling this instance ran into, if any: it stays set so that a
    /// connector that swallows the refusal cannot return a silently partial
    /// answer.
    ceiling_hit: Option<u32>,
}

impl OutboundHooks {
    pub(crate) fn new(
        policy: Arc<OutboundPolicy>,
        forwarded: Option<Forwarded>,
        gate: Arc<UpstreamGate>,
        budget: Option<Arc<CallBudget>>,
    ) -> Self {
        Self {
            policy,
            denials: Arc::default(),
            forwarded,
            connections: Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS_PER_INSTANCE)),
            gate,
            budget,
            ceiling_hit: None,
        }
    }

    /// The per-query ceiling this instance's calls ran into, if any.
    pub(crate) fn ceiling_hit(&self) -> Option<u32> {
        self.ceiling_hit
    }

    /// How many requests this store has had refused so far.
    pub(crate) fn denial_count(&self) -> usize {
        lock(&self.denials).len()
    }

    /// The first request refused after the first `since` refusals.
    pub(crate) fn denial_since(&self, since: usize) -> Option<Denial> {
        lock(&self.denials).get(since).cloned()
    }

    /// The first answer this instance had cut off at the response cap, if
    /// any: like the ceiling, it stays, so that a connector that took the
    /// cut-off read for the whole answer cannot pass it on as complete.
    pub(crate) fn response_cut(&self) -> Option<Denial> {
        lock(&self.denials)
            .iter()
            .find(|d| matches!(d.kind, DenialKind::ResponseTooLarge(_)))
            .cloned()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

type SendFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                ),
                HttpError,
            >,
        > + Send,
>;

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> SendFuture {
        let uri = request.uri().clone();
        let Some(authority) = uri.authority() else {
            return Box::new(async { Err(HttpError::HttpRequestUriInvalid) });
        };
        let https = uri.scheme() == Some(&Scheme::HTTPS);
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let target = format!("{host}:{port}");
        let deny = |denials: &Mutex<Vec<Denial>>, reason: String, kind| {
            let e = refuse(denials, target.clone(), reason, kind);
            Box::new(async { Err(e) }) as SendFuture
        };
        let Some(allowed) = self.policy.find(&host, port).cloned() else {
            return deny(
                &self.denials,
                "it is not among the connector's allowed upstream hosts".into(),
                DenialKind::Policy,
            );
        };
        if https {
            return deny(
                &self.denials,
                "HTTPS upstreams are not supported by this platform build yet".into(),
                DenialKind::Policy,
            );
        }
        if let Some(budget) = &self.budget
            && !budget.take()
        {
            let max = budget.max();
            self.ceiling_hit = Some(max);
            return deny(
                &self.denials,
                format!("the query reached its ceiling of {max} upstream calls"),
                DenialKind::Ceiling(max),
            );
        }
        if let Some(f) = &self.forwarded {
            set_forwarded_headers(&mut request, f);
        }
        let gate = self.gate.clone();
        let policy = self.policy.clone();
        let denials = self.denials.clone();
        let connections = self.connections.clone();
        Box::new(async move {
            let addr = match resolve(&allowed, &policy).await {
                Ok(addr) => addr,
                Err((reason, detail)) => {
                    tracing::warn!(target = %target, reason, detail, "outgoing request refused");
                    return Err(refuse(
                        &denials,
                        target,
                        reason.to_owned(),
                        DenialKind::Policy,
                    ));
                }
            };
            // This instance's own connection cap first, so that an instance
            // waiting on itself holds none of the agency's shared slots; then
            // the agency's limits (shared by every request), refused rather
            // than waited for when they would hold the call past its deadline.
            let permit = connections
                .acquire_owned()
                .await
                .map_err(|_| HttpError::ConnectionLimitReached)?;
            let upstream_slot = match gate.admit(policy.timeout).await {
                Ok(slot) => slot,
                Err(reason) => {
                    return Err(refuse(
                        &denials,
                        target,
                        reason.to_owned(),
                        DenialKind::Throttled,
                    ));
                }
            };
            let cap = ResponseCap {
                denials,
                target,
                limit: policy.max_response_bytes,
            };
            send(
                addr,
                request,
                options,
                &policy,
                cap,
                (permit, upstream_slot),
            )
            .await
        })
    }
}

fn set_forwarded_headers<B>(request: &mut http::Request<B>, f: &Forwarded) {
    use lgsp_auth::outbound as out;
    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let method = request.method().as_str().to_owned();
    let headers = request.headers_mut();
    for name in [
        out::REQUEST_ID_HEADER,
        out::CONSUMER_HEADER,
        out::UPSTREAM_PURPOSE_HEADER,
        lgsp_auth::DATE_HEADER,
        out::SIGNATURE_HEADER,
    ] {
        // A connector must not be able to speak for the platform.
        headers.remove(name);
    }
    let now = chrono::Utc::now();
    let forwarded = out::Forwarded {
        request_id: f.request_id.clone(),
        consumer: f.consumer.clone(),
        purpose: f.purpose.clone(),
    };
    let signed = f.secret.as_ref().and_then(|secret| {
        out::sign_upstream(secret.as_bytes(), &method, &path_and_query, &forwarded, now)
            .map_err(|e| tracing::warn!(error = %e, "cannot sign the upstream request"))
            .ok()
    });
    let values = signed.unwrap_or_else(|| {
        vec![
            (out::REQUEST_ID_HEADER, forwarded.request_id.clone()),
            (out::CONSUMER_HEADER, forwarded.consumer.clone()),
            (
                out::UPSTREAM_PURPOSE_HEADER,
                out::encode_purpose(&forwarded.purpose),
            ),
            (lgsp_auth::DATE_HEADER, lgsp_auth::format_date(now)),
        ]
    });
    for (name, value) in values {
        if let Ok(v) = http::HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
}

/// The address to connect to, checked against the policy. A refusal gives a
/// reason for the consumer and details (addresses, resolver errors) for the log.
async fn resolve(
    allowed: &AllowedHost,
    policy: &OutboundPolicy,
) -> Result<SocketAddr, (&'static str, String)> {
    if let Some(ip) = allowed.literal {
        // An address the administrator wrote down is reached exactly.
        return Ok(SocketAddr::new(ip, allowed.port));
    }
    let addrs: Vec<SocketAddr> = tokio::time::timeout(
        policy.timeout,
        tokio::net::lookup_host((allowed.host.as_str(), allowed.port)),
    )
    .await
    .map_err(|_| ("its DNS lookup timed out", String::new()))?
    .map_err(|e| ("its DNS lookup failed", e.to_string()))?
    .collect();
    let Some(first) = addrs.first().copied() else {
        return Err(("its name resolves to no address", String::new()));
    };
    // Loopback, link-local (cloud metadata) and reserved space are never
    // reachable through a name; private networks only when the manifest says so.
    let allowed = |ip: IpAddr| is_public(ip) || (policy.allow_private && is_private_network(ip));
    if let Some(bad) = addrs.iter().find(|a| !allowed(a.ip())) {
        return Err((
            "its name resolves to a loopback, private or reserved address",
            bad.ip().to_string(),
        ));
    }
    Ok(first)
}

/// RFC 1918 and unique-local addresses: where agency systems live on the
/// government's network.
fn is_private_network(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// Whether an address is on the public internet (not loopback, private,
/// link-local, shared, reserved, multicast or documentation space).
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (18..20).contains(&o[1]))
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let seg = v6.segments();
            let embedded_v4 = |hi: u16, lo: u16| {
                std::net::Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8)
            };
            // Addresses that carry an IPv4 address inside: judge that one.
            if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return is_public(IpAddr::V4(embedded_v4(seg[6], seg[7])));
            }
            if seg[0] == 0x2002 {
                return is_public(IpAddr::V4(embedded_v4(seg[1], seg[2])));
            }
            if seg[..6] == [0; 6] {
                return false; // IPv4-compatible (deprecated), loopback, unspecified
            }
            let seg0 = seg[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg0 & 0xfe00) == 0xfc00
                || (seg0 & 0xffc0) == 0xfe80
                || seg0 == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

async fn send(
    addr: SocketAddr,
    mut request: http::Request<WasiBody>,
    options: Option<RequestOptions>,
    policy: &OutboundPolicy,
    cap: ResponseCap,
    permit: (
        tokio::sync::OwnedSemaphorePermit,
        Option<tokio::sync::OwnedSemaphorePermit>,
    ),
) -> Result<
    (
        http::Response<WasiBody>,
        Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ),
    HttpError,
> {
    let pick = |o: Option<Duration>| o.unwrap_or(policy.timeout).min(policy.timeout);
    let connect_timeout = pick(options.and_then(|o| o.connect_timeout));
    let first_byte_timeout = pick(options.and_then(|o| o.first_byte_timeout));
    let between_bytes_timeout = pick(options.and_then(|o| o.between_bytes_timeout));

    let stream = tokio::time::timeout(connect_timeout, TcpStream::connect(addr))
        .await
        .map_err(|_| HttpError::ConnectionTimeout)?
        .map_err(|_| HttpError::ConnectionRefused)?;
    let (mut sender, conn) = tokio::time::timeout(
        connect_timeout,
        hyper::client::conn::http1::handshake(TokioIo::new(stream)),
    )
    .await
    .map_err(|_| HttpError::ConnectionTimeout)?
    .map_err(HttpError::from)?;
    // The connection, and with it the permit, lives as long as its driver.
    let conn = tokio::spawn(async move {
        let result = conn.await;
        drop(permit);
        result
    });

    // The request arrives in absolute form; on a direct connection the
    // request line carries only the path (the Host header names the host).
    let path = request
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    *request.uri_mut() = path.parse().map_err(|_| HttpError::HttpRequestUriInvalid)?;

    let response = tokio::time::timeout(first_byte_timeout, sender.send_request(request))
        .await
        .map_err(|_| HttpError::ConnectionReadTimeout)?
        .map_err(HttpError::from)?;
    let response = response.map(|incoming| {
        LimitedBody::new(
            incoming.map_err(HttpError::from).boxed_unsync(),
            cap,
            between_bytes_timeout,
        )
        .boxed_unsync()
    });
    let io = async move {
        match conn.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(HttpError::from(e)),
            Err(_) => Err(HttpError::ConnectionTerminated),
        }
    };
    Ok((response, Box::new(io)))
}

/// Where a response that runs past the cap is reported, so the consumer
/// hears that the platform stopped it rather than whatever the connector
/// makes of a cut-off body.
struct ResponseCap {
    denials: Arc<Mutex<Vec<Denial>>>,
    target: String,
    limit: u64,
}

type UpstreamBody = http_body_util::combinators::UnsyncBoxBody<Bytes, HttpError>;

/// A response body with a size cap and an idle timeout.
struct LimitedBody {
    /// Dropped at the cap, which closes the connection: nothing past the
    /// cap is read.
    inner: Option<UpstreamBody>,
    remaining: u64,
    cap: ResponseCap,
    idle: Pin<Box<tokio::time::Sleep>>,
    idle_timeout: Duration,
}

impl LimitedBody {
    fn new(inner: UpstreamBody, cap: ResponseCap, idle_timeout: Duration) -> Self {
        Self {
            inner: Some(inner),
            remaining: cap.limit,
            cap,
            idle: Box::pin(tokio::time::sleep(idle_timeout)),
            idle_timeout,
        }
    }

    fn cut_off(&mut self) -> HttpError {
        self.inner = None;
        let limit = self.cap.limit;
        record(
            &self.cap.denials,
            self.cap.target.clone(),
            format!(
                "its answer ran past the response cap of {}",
                super::error::size_text(limit)
            ),
            DenialKind::ResponseTooLarge(limit),
        );
        HttpError::HttpResponseBodySize(Some(limit))
    }
}

impl Body for LimitedBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        let Some(inner) = self.inner.as_mut() else {
            // Cut off already: the error was given once.
            return Poll::Ready(None);
        };
        match Pin::new(inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let len = data.len() as u64;
                    if len > self.remaining {
                        return Poll::Ready(Some(Err(self.cut_off())));
                    }
                    self.remaining -= len;
                }
                let deadline = tokio::time::Instant::now() + self.idle_timeout;
                self.idle.as_mut().reset(deadline);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match self.idle.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(HttpError::ConnectionReadTimeout))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(Body::is_end_stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_addresses() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(private.parse().expect("ip")), "{private}");
        }
        for public in [
            "8.8.8.8",
            "203.113.131.1",
            "2001:4860::8888",
            "64:ff9b::808:808",
        ] {
            assert!(is_public(public.parse().expect("ip")), "{public}");
        }
    }

    #[test]
    fn parses_allowlist_entries() {
        let p = OutboundPolicy::new(
            &[
                "127.0.0.1:8701".into(),
                "API.example.vn:443".into(),
                "[::1]:80".into(),
            ],
            false,
            1,
            Duration::from_secs(1),
        )
        .expect("valid");
        assert!(p.find("127.0.0.1", 8701).is_some());
        assert!(p.find("api.example.vn", 443).is_some());
        assert!(p.find("::1", 80).is_some_and(|h| h.literal.is_some()));
        assert!(p.find("127.0.0.1", 8702).is_none());
        let bad = OutboundPolicy::new(
            &["nohostport".into(), "a:b".into()],
            false,
            1,
            Duration::from_secs(1),
        )
        .expect_err("invalid");
        assert_eq!(bad.len(), 2);
    }

    /// Reads `chunks` through a cap of `limit` bytes: the bytes that got
    /// through, the error that ended the body (if any), and the refusals
    /// recorded.
    async fn through_cap(chunks: &[usize], limit: u64) -> (usize, Option<String>, Vec<Denial>) {
        let frames: Vec<Result<Frame<Bytes>, HttpError>> = chunks
            .iter()
            .map(|n| Ok(Frame::data(Bytes::from(vec![b'x'; *n]))))
            .collect();
        let inner = http_body_util::StreamBody::new(futures::stream::iter(frames)).boxed_unsync();
        let denials = Arc::new(Mutex::new(Vec::new()));
        let cap = ResponseCap {
            denials: denials.clone(),
            target: "10.0.0.1:80".into(),
            limit,
        };
        let mut body = LimitedBody::new(inner, cap, Duration::from_secs(5));
        let (mut read, mut error) = (0, None);
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(f) => read += f.data_ref().map_or(0, Bytes::len),
                Err(e) => error = Some(e.to_string()),
            }
        }
        let recorded = lock(&denials).clone();
        (read, error, recorded)
    }

    #[tokio::test]
    async fn an_answer_of_exactly_the_cap_passes_and_one_byte_more_is_cut_off_once() {
        let (read, error, denials) = through_cap(&[600, 424], 1024).await;
        assert_eq!((read, error, denials.len()), (1024, None, 0));

        let (read, error, denials) = through_cap(&[600, 425, 4096, 4096], 1024).await;
        assert_eq!(read, 600, "nothing past the cap is handed on");
        assert!(error.is_some());
        assert_eq!(
            denials,
            [Denial {
                target: "10.0.0.1:80".into(),
                reason: "its answer ran past the response cap of 1024 bytes".into(),
                kind: DenialKind::ResponseTooLarge(1024),
            }],
            "recorded once, and the rest was never polled"
        );
    }

    #[test]
    fn private_networks_never_include_loopback_or_metadata() {
        assert!(is_private_network("10.0.0.5".parse().expect("ip")));
        assert!(is_private_network("fd12::1".parse().expect("ip")));
        assert!(!is_private_network("127.0.0.1".parse().expect("ip")));
        assert!(!is_private_network("169.254.169.254".parse().expect("ip")));
    }
}
