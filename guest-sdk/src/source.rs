//! Where a scan's batches come from: a trait for any source, plus ready-made
//! sources for the common shapes (one batch, a list, a paged upstream listing,
//! a lookup of many keys in chunks).

use crate::error::Result;
use arrow_array::RecordBatch;

/// Produces the batches of one scan, pulled one at a time by the host.
///
/// Implement it for an upstream that streams; most connectors use
/// [`single`], [`from_batches`], [`paged`] or [`chunked`] instead.
pub trait BatchSource {
    /// The next batch, or `None` when the scan is done.
    ///
    /// # Errors
    /// Any [`crate::Error`]; the scan stops there.
    fn next_batch(&mut self) -> Result<Option<RecordBatch>>;
}

/// A scan with no rows.
pub fn empty() -> Box<dyn BatchSource> {
    from_batches(Vec::new())
}

/// A scan of exactly one batch.
pub fn single(batch: RecordBatch) -> Box<dyn BatchSource> {
    from_batches(vec![batch])
}

/// A scan of batches already in memory.
pub fn from_batches(batches: Vec<RecordBatch>) -> Box<dyn BatchSource> {
    Box::new(VecSource(batches.into_iter()))
}

struct VecSource(std::vec::IntoIter<RecordBatch>);

impl BatchSource for VecSource {
    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        Ok(self.0.next())
    }
}

/// What [`paged`] asks the fetch function for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page number.
    pub page: u32,
    /// Rows still needed under the query's `LIMIT`, if it has one; use it to
    /// ask the upstream for a smaller page.
    pub rows_wanted: Option<u64>,
}

/// One page of an upstream listing.
#[derive(Debug, Clone)]
pub struct Page {
    /// The rows of the page.
    pub batch: RecordBatch,
    /// Whether the upstream has no further page.
    pub last: bool,
}

/// A scan over a paginated upstream listing. Fetches one page per batch the host
/// pulls, so nothing is fetched ahead of need, and stops at `limit` rows.
///
/// # Examples
/// ```
/// use lgsp_guest::source::{paged, Page};
/// use lgsp_guest::{Column, Table, testing};
/// let table = Table::new("t", "").column(Column::int64("n", ""));
/// let req = testing::scan_request(&table, &["n"]);
/// let mut calls = 0;
/// let mut scan = paged(Some(3), move |p| {
///     calls += 1;
///     let mut b = req.batch_builder(2);
///     for i in 0..2 { b.row(|r| r.set("n", i64::from(p.page) * 10 + i)); }
///     Ok(Page { batch: b.finish()?, last: p.page == 5 })
/// });
/// let mut rows = 0;
/// while let Some(batch) = scan.next_batch().unwrap() { rows += batch.num_rows(); }
/// assert_eq!(rows, 3); // two pages fetched, the second cut to one row
/// ```
pub fn paged<F>(limit: Option<u64>, fetch: F) -> Box<dyn BatchSource>
where
    F: FnMut(PageRequest) -> Result<Page> + 'static,
{
    Box::new(Paged {
        fetch,
        next_page: 1,
        remaining: limit,
        done: false,
    })
}

struct Paged<F> {
    fetch: F,
    next_page: u32,
    remaining: Option<u64>,
    done: bool,
}

impl<F> BatchSource for Paged<F>
where
    F: FnMut(PageRequest) -> Result<Page>,
{
    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if self.done || self.remaining == Some(0) {
            return Ok(None);
        }
        let page = (self.fetch)(PageRequest {
            page: self.next_page,
            rows_wanted: self.remaining,
        })?;
        self.next_page += 1;
        self.done = page.last || page.batch.num_rows() == 0;
        let mut batch = page.batch;
        if let Some(remaining) = self.remaining.as_mut() {
            let keep = (*remaining).min(batch.num_rows() as u64);
            batch = batch.slice(0, keep as usize);
            *remaining -= keep;
        }
        Ok(Some(batch))
    }
}

/// A lookup of many keys against an upstream that takes `size` keys per call:
/// one call per chunk, made when the host pulls the next batch. Unlike
/// [`paged`], a chunk that finds nothing does not end the scan (the next chunk
/// may still match), and it stops at `limit` rows.
///
/// # Examples
/// ```
/// use lgsp_guest::source::chunked;
/// use lgsp_guest::{Column, Table, testing};
/// let table = Table::new("t", "").column(Column::int64("n", ""));
/// let req = testing::scan_request(&table, &["n"]);
/// let keys: Vec<i64> = (1..=7).collect();
/// let mut calls = 0;
/// let mut scan = chunked(None, keys, 3, move |chunk: &[i64]| {
///     calls += 1;
///     let mut b = req.batch_builder(chunk.len());
///     // Only the last chunk (key 7) "exists" upstream.
///     for k in chunk.iter().filter(|k| **k == 7) { b.row(|r| r.set("n", *k)); }
///     b.finish()
/// });
/// let mut rows = 0;
/// while let Some(batch) = scan.next_batch().unwrap() { rows += batch.num_rows(); }
/// assert_eq!(rows, 1); // the two empty chunks before it did not stop the scan
/// ```
pub fn chunked<T, F>(
    limit: Option<u64>,
    keys: Vec<T>,
    size: usize,
    fetch: F,
) -> Box<dyn BatchSource>
where
    T: Clone + 'static,
    F: FnMut(&[T]) -> Result<RecordBatch> + 'static,
{
    let chunks: Vec<Vec<T>> = keys.chunks(size.max(1)).map(<[T]>::to_vec).collect();
    Box::new(Chunked {
        chunks: chunks.into_iter(),
        fetch,
        remaining: limit,
    })
}

struct Chunked<T, F> {
    chunks: std::vec::IntoIter<Vec<T>>,
    fetch: F,
    remaining: Option<u64>,
}

impl<T, F> BatchSource for Chunked<T, F>
where
    F: FnMut(&[T]) -> Result<RecordBatch>,
{
    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        while self.remaining != Some(0) {
            let Some(chunk) = self.chunks.next() else {
                return Ok(None);
            };
            let mut batch = (self.fetch)(&chunk)?;
            if batch.num_rows() == 0 {
                continue;
            }
            if let Some(remaining) = self.remaining.as_mut() {
                let keep = (*remaining).min(batch.num_rows() as u64);
                batch = batch.slice(0, keep as usize);
                *remaining -= keep;
            }
            return Ok(Some(batch));
        }
        Ok(None)
    }
}
