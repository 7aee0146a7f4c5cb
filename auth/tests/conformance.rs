//! Keeps the documentation and the Python example client in step with the Rust implementation.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use http::{HeaderMap, HeaderName, HeaderValue, header::AUTHORIZATION};
use lgsp_auth::vectors::{
    TEST_RSA_PRIVATE_KEY_PEM, TEST_RSA_PUBLIC_KEY_PEM, UPSTREAM_VECTOR, VECTORS,
};
use lgsp_auth::{
    Algorithm, Authorization, CONTENT_SHA256_HEADER, RequestToSign, VerifyingKey, body_sha256_hex,
    canonical_request, check_date, check_nonce, verify,
};

fn repo_file(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

const CLIENT: &str = "examples/python/lgsp_client.py";

#[test]
fn the_documentation_prints_every_vector() {
    let path = repo_file("docs/authentication.md");
    let doc = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    for v in VECTORS {
        assert!(
            doc.contains(v.canonical),
            "docs/authentication.md lacks the canonical request of {}:\n{}",
            v.name,
            v.canonical
        );
        assert!(doc.contains(v.signature_hex), "{}: signature", v.name);
        assert!(
            doc.contains(&v.authorization()),
            "{}: Authorization",
            v.name
        );
        assert!(doc.contains(v.path_and_query), "{}: request target", v.name);
    }
    let u = UPSTREAM_VECTOR;
    assert!(doc.contains(u.string_to_sign), "upstream string to sign");
    assert!(doc.contains(u.signature_hex), "upstream signature");
    assert!(doc.contains(u.purpose_header), "upstream purpose header");
    assert!(
        doc.contains(TEST_RSA_PRIVATE_KEY_PEM.trim_end()),
        "test RSA private key"
    );
    assert!(
        doc.contains(TEST_RSA_PUBLIC_KEY_PEM.trim_end()),
        "test RSA public key"
    );
}

#[test]
fn the_documentation_lists_every_error_code() {
    let doc = std::fs::read_to_string(repo_file("docs/authentication.md")).unwrap();
    for code in [
        "unsigned_request",
        "malformed_authorization",
        "unsupported_algorithm",
        "algorithm_not_allowed",
        "unknown_access_key",
        "key_revoked",
        "key_expired",
        "application_suspended",
        "agency_inactive",
        "missing_signed_header",
        "bad_signature",
        "clock_skew",
        "nonce_reused",
        "invalid_nonce",
        "body_hash_mismatch",
        "invalid_session",
        "session_expired",
        "session_destination",
        "purpose_required",
        "purpose_not_granted",
        "rate_limited",
        "quota_exceeded",
    ] {
        assert!(
            doc.contains(&format!("| `{code}` |")),
            "{code} missing from the table"
        );
    }
}

/// Starts `python3 examples/python/lgsp_client.py <args>`; fails clearly without python3.
fn spawn_client(args: &[&str]) -> Child {
    Command::new("python3")
        .arg(repo_file(CLIENT))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "python3 is required to check {CLIENT} against the test vectors ({e}); install Python 3 and make sure `python3` is on PATH"
            )
        })
}

fn finish(child: Child) -> Output {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{CLIENT} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn the_python_client_reproduces_the_hmac_vectors() {
    let hmac: Vec<_> = VECTORS.iter().filter(|v| v.algorithm.is_hmac()).collect();
    assert!(hmac.len() >= 3);
    let input: Vec<serde_json::Value> = hmac
        .iter()
        .map(|v| {
            serde_json::json!({
                "name": v.name, "algorithm": v.algorithm.name(), "access_key": v.access_key,
                "secret_key": v.key, "method": v.method, "path_and_query": v.path_and_query,
                "headers": v.headers.iter().map(|(n, x)| [n, x]).collect::<Vec<_>>(),
                "body": v.body, "signed_headers": v.signed_headers,
            })
        })
        .collect();
    let file = std::env::temp_dir().join(format!("lgsp-hmac-vectors-{}.json", std::process::id()));
    std::fs::write(&file, serde_json::to_vec(&input).unwrap()).unwrap();
    let out = finish(spawn_client(&["vectors", "--file", file.to_str().unwrap()]));
    let _ = std::fs::remove_file(&file);

    let results: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results.len(), hmac.len());
    for (v, r) in hmac.iter().zip(&results) {
        assert_eq!(r["name"], v.name);
        assert_eq!(r["canonical"], v.canonical, "{}: canonical request", v.name);
        assert_eq!(r["signature"], v.signature_hex, "{}: signature", v.name);
        assert_eq!(
            r["authorization"],
            v.authorization(),
            "{}: Authorization",
            v.name
        );
        assert_eq!(
            r["content_sha256"],
            body_sha256_hex(v.body.as_bytes()),
            "{}",
            v.name
        );
    }
}

/// One HTTP/1.1 request as received.
struct Received {
    method: String,
    target: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

fn read_request(stream: TcpStream) -> Received {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let mut parts = line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap().to_owned(),
        parts.next().unwrap().to_owned(),
    );
    let mut headers = HeaderMap::new();
    loop {
        let mut raw = Vec::new();
        reader.read_until(b'\n', &mut raw).unwrap();
        let raw = raw.strip_suffix(b"\r\n").unwrap();
        if raw.is_empty() {
            break;
        }
        let colon = raw.iter().position(|b| *b == b':').unwrap();
        let value = raw[colon + 1..].trim_ascii();
        headers.append(
            HeaderName::from_bytes(&raw[..colon]).unwrap(),
            HeaderValue::from_bytes(value).unwrap(),
        );
    }
    let len: usize = headers
        .get("content-length")
        .map_or(0, |v| v.to_str().unwrap().parse().unwrap());
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    let answer = b"{\"columns\":[],\"rows\":[],\"row_count\":0}";
    let mut stream = reader.into_inner();
    write!(
        stream,
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        answer.len()
    )
    .unwrap();
    stream.write_all(answer).unwrap();
    Received {
        method,
        target,
        headers,
        body,
    }
}

/// Runs the client against a one-shot local server and returns the request it sent.
fn capture(args: &[&str]) -> (Received, Output) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let server = format!("http://{}", listener.local_addr().unwrap());
    let mut all = vec!["--server", &server];
    all.extend_from_slice(args);
    let mut child = spawn_client(&all);
    // Guards against a client that never connects; not a timing assertion.
    let deadline = Instant::now() + Duration::from_secs(60);
    let stream = loop {
        match listener.accept() {
            Ok((stream, _)) => break stream,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if let Some(status) = child.try_wait().unwrap() {
                    let out = child.wait_with_output().unwrap();
                    panic!(
                        "{CLIENT} exited ({status}) without calling: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
                assert!(Instant::now() < deadline, "{CLIENT} did not connect");
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("accept: {e}"),
        }
    };
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let received = read_request(stream);
    (received, finish(child))
}

/// Verifies a received request as the platform will.
fn verify_received(r: &Received, secret: &str) -> Authorization {
    let auth = Authorization::parse(r.headers[AUTHORIZATION].to_str().unwrap()).unwrap();
    let req = RequestToSign::from_path_and_query(&r.method, &r.target, &r.headers);
    let canonical =
        canonical_request(auth.algorithm, &auth.access_key, &req, &auth.signed_headers).unwrap();
    verify(
        auth.algorithm,
        &VerifyingKey::hmac(secret),
        &canonical,
        &auth.signature,
    )
    .unwrap();
    assert_eq!(r.headers[CONTENT_SHA256_HEADER], body_sha256_hex(&r.body));
    check_date(
        r.headers["x-lgsp-date"].to_str().unwrap(),
        chrono::Utc::now(),
    )
    .unwrap();
    check_nonce(r.headers["x-lgsp-nonce"].to_str().unwrap()).unwrap();
    auth
}

#[test]
fn python_client_requests_verify_on_the_wire() {
    let purpose = "Xác minh cư trú cho hồ sơ HC-2026/0123";
    let sql = "SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh = '001085012345'";
    let keys = [
        "--access-key",
        "LGSPWIRETEST0000AAAA",
        "--secret-key",
        "wire secret ✓",
    ];
    let (r, out) = capture(
        &[
            &keys[..],
            &[
                "--purpose",
                purpose,
                "query",
                sql,
                "--session",
                "lgsp1.abc.def",
            ],
        ]
        .concat(),
    );
    assert_eq!(
        (r.method.as_str(), r.target.as_str()),
        ("POST", "/v1/query")
    );
    let auth = verify_received(&r, "wire secret ✓");
    assert_eq!(auth.algorithm, Algorithm::HmacSha256);
    assert_eq!(
        auth.signed_headers,
        [
            "x-lgsp-content-sha256",
            "x-lgsp-date",
            "x-lgsp-nonce",
            "x-lgsp-session",
            "x-purpose"
        ]
    );
    assert_eq!(r.headers["x-purpose"].as_bytes(), purpose.as_bytes());
    assert_eq!(r.headers["accept"], "application/json");
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["sql"], sql);
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["row_count"], 0);

    let (r, _) = capture(
        &[
            &keys[..],
            &[
                "--algorithm",
                "LGSP-HMAC-SHA1",
                "get",
                "/v1/tables?b=%7e&a=1+1",
            ],
        ]
        .concat(),
    );
    assert_eq!(
        (r.method.as_str(), r.target.as_str()),
        ("GET", "/v1/tables?b=%7e&a=1+1")
    );
    let auth = verify_received(&r, "wire secret ✓");
    assert_eq!(auth.algorithm, Algorithm::HmacSha1);
    assert_eq!(auth.signed_headers, lgsp_auth::ALWAYS_SIGNED);
}
