//! A connector that misbehaves on purpose, one table per kind of misbehaviour, so
//! that the sandbox tests can prove each limit holds and that the next request
//! still works. Never publish it.
//!
//! Tables (each with one `n BIGINT` column, listable without filters):
//! `ok` (three rows), `empty`, `spin` (endless loop), `memory` (allocates without
//! bound), `recursion` (unbounded recursion), `panic`, `big_output` (batches until
//! the output cap), `tiny_batches` (one row per batch, many batches),
//! `forbidden_http` (calls the configured `forbidden_url`, a host not on the
//! allowlist), `private_name_http` (calls `private_name_url`, an allowlisted
//! name that resolves to loopback), `redirect_http` (calls `allowed_url`,
//! which the test makes answer with a redirect elsewhere, and follows it),
//! `huge_http` (calls `allowed_url`, which the test makes answer with
//! gigabytes, and reads without a limit of its own), `huge_swallow_http`
//! (the same, but ignores the failed read and answers three rows as if all
//! were well).
//! `probe_fs`, `probe_env` and `probe_socket` try to read a file, list the
//! environment and open a TCP socket, and report what happened in `payload`.
//! `numbers` returns `LIMIT` rows (100,000 without one) in batches of 8,192, to
//! measure the per-row cost of crossing the sandbox.
//! `counter` returns how many scans this instance has served, so a test can
//! see that every request gets a fresh instance.
//! With configuration `mode = "spin-describe"`, `describe()` never returns.

use lgsp_guest::{
    BatchSource, Column, Connector, Description, Error, Health, RecordBatch, Result, ScanRequest,
    Table, source,
};

/// The hostile test connector.
pub struct Hostile;

/// Scans served by this instance; state that must not survive a request.
static SCANS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

const TABLES: &[&str] = &[
    "ok",
    "empty",
    "spin",
    "memory",
    "recursion",
    "panic",
    "big_output",
    "tiny_batches",
    "forbidden_http",
    "private_name_http",
    "counter",
    "probe_fs",
    "probe_env",
    "probe_socket",
    "numbers",
    "swallow_http",
    "redirect_http",
    "huge_http",
    "huge_swallow_http",
];

impl Connector for Hostile {
    fn describe() -> Description {
        if lgsp_guest::config("mode").as_deref() == Some("spin-describe") {
            spin();
        }
        let mut d = Description::new(
            "hostile",
            env!("CARGO_PKG_VERSION"),
            "Misbehaves on purpose",
        );
        for name in TABLES {
            d = d.table(
                Table::new(*name, "test table")
                    .column(Column::int64("n", "a number"))
                    .column(Column::text("payload", "filler")),
            );
        }
        d
    }

    fn scan(request: ScanRequest) -> Result<Box<dyn BatchSource>> {
        match request.table_name() {
            "ok" => Ok(source::single(rows(&request, 0..3, 0)?)),
            "probe_fs" => probe(
                &request,
                match std::fs::read("/etc/passwd") {
                    Ok(bytes) => format!("read {} bytes", bytes.len()),
                    Err(e) => format!("error: {e}"),
                },
            ),
            "probe_env" => probe(
                &request,
                format!(
                    "{} variables, {} arguments",
                    std::env::vars_os().count(),
                    std::env::args_os().count()
                ),
            ),
            "probe_socket" => {
                let target =
                    lgsp_guest::config("socket_target").unwrap_or_else(|| "127.0.0.1:80".into());
                probe(
                    &request,
                    match std::net::TcpStream::connect(target.as_str()) {
                        Ok(_) => format!("connected to {target}"),
                        Err(e) => format!("error: {e}"),
                    },
                )
            }
            "numbers" => Ok(Box::new(Numbers {
                request,
                next: 0,
                end: 0,
                started: false,
            })),
            "counter" => {
                let served = SCANS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                Ok(source::single(rows(&request, served..served + 1, 0)?))
            }
            "empty" => Ok(source::empty()),
            "spin" => spin(),
            "memory" => grow_memory(),
            "recursion" => Ok(source::single(rows(&request, 0..recurse(1) as i64, 0)?)),
            "panic" => panic!("deliberate panic in the hostile connector"),
            "big_output" => Ok(Box::new(Repeat {
                batch: rows(&request, 0..1024, 1024)?,
                left: u32::MAX,
            })),
            "tiny_batches" => Ok(Box::new(Repeat {
                batch: rows(&request, 0..1, 0)?,
                left: 5_000,
            })),
            "forbidden_http" | "private_name_http" => {
                let key = if request.table_name() == "forbidden_http" {
                    "forbidden_url"
                } else {
                    "private_name_url"
                };
                let url = lgsp_guest::required_config(key)?;
                let response = lgsp_guest::HttpClient::new(&url)?.get("/", &[])?;
                Err(Error::internal(format!(
                    "the forbidden request went through with HTTP {}",
                    response.status()
                )))
            }
            "redirect_http" => {
                // The platform does not follow redirects; a connector that
                // does makes a new request, which meets the allowlist again.
                let url = lgsp_guest::required_config("allowed_url")?;
                let first = lgsp_guest::HttpClient::new(&url)?.get("", &[("probe", "redirect")])?;
                let Some(location) = first.header("location").map(str::to_owned) else {
                    return Err(Error::internal(format!(
                        "expected a redirect, got HTTP {}",
                        first.status()
                    )));
                };
                let followed = lgsp_guest::HttpClient::new(&location)?.get("", &[])?;
                Err(Error::internal(format!(
                    "the redirect to {location} went through with HTTP {}",
                    followed.status()
                )))
            }
            "huge_http" => {
                let url = lgsp_guest::required_config("allowed_url")?;
                let response = lgsp_guest::HttpClient::new(&url)?
                    .max_body_bytes(usize::MAX)
                    .get("", &[("probe", "huge")])?;
                Err(Error::internal(format!(
                    "read {} bytes without being stopped",
                    response.body().len()
                )))
            }
            "huge_swallow_http" => {
                let url = lgsp_guest::required_config("allowed_url")?;
                let _ignored = lgsp_guest::HttpClient::new(&url)?
                    .max_body_bytes(usize::MAX)
                    .get("", &[("probe", "swallowed-huge")]);
                Ok(source::single(rows(&request, 0..3, 0)?))
            }
            "swallow_http" => {
                // Ten calls whose failures it ignores, then an answer as if
                // all were well: the host must not let that pass as complete.
                let url = lgsp_guest::required_config("private_name_url")?;
                let client = lgsp_guest::HttpClient::new(&url)?;
                for _ in 0..10 {
                    let _ignored = client.get("/", &[]);
                }
                Ok(source::single(rows(&request, 0..3, 0)?))
            }
            other => Err(Error::bad_request(format!("no table {other}"))),
        }
    }

    fn health() -> Health {
        Health::new()
    }
}

fn rows(
    request: &ScanRequest,
    range: std::ops::Range<i64>,
    payload_len: usize,
) -> Result<RecordBatch> {
    let filler = "x".repeat(payload_len);
    let mut b = request.batch_builder(range.clone().count());
    for n in range {
        b.row(|r| {
            r.set("n", n);
            r.set("payload", filler.as_str());
        });
    }
    b.finish()
}

fn probe(request: &ScanRequest, outcome: String) -> Result<Box<dyn BatchSource>> {
    let mut b = request.batch_builder(1);
    b.row(|r| {
        r.set("n", 0i64);
        r.set("payload", outcome.as_str());
    });
    Ok(source::single(b.finish()?))
}

/// Rows `0..limit` in batches of 8,192.
struct Numbers {
    request: ScanRequest,
    next: i64,
    end: i64,
    started: bool,
}

impl BatchSource for Numbers {
    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if !self.started {
            self.started = true;
            self.end = self
                .request
                .limit()
                .map_or(100_000, |l| l.min(i64::MAX as u64) as i64);
        }
        if self.next >= self.end {
            return Ok(None);
        }
        let upto = (self.next + 8192).min(self.end);
        let batch = rows(&self.request, self.next..upto, 8)?;
        self.next = upto;
        Ok(Some(batch))
    }
}

fn spin() -> ! {
    let mut i: u64 = 0;
    loop {
        i = std::hint::black_box(i.wrapping_add(1));
    }
}

fn grow_memory() -> ! {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        hoard.push(std::hint::black_box(vec![1u8; 1 << 20]));
    }
}

fn recurse(depth: u64) -> u64 {
    // Never true; black_box keeps the compiler from seeing that or turning
    // the recursion into a loop.
    if std::hint::black_box(depth) == u64::MAX {
        return 0;
    }
    std::hint::black_box(recurse(depth + 1)) + 1
}

struct Repeat {
    batch: RecordBatch,
    left: u32,
}

impl BatchSource for Repeat {
    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        Ok(Some(self.batch.clone()))
    }
}

lgsp_guest::export!(Hostile);
