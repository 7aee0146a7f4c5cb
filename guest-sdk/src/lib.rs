//! Write LGSP data connectors in Rust.
//!
//! A connector is a WebAssembly component that serves one agency's database as
//! tables. With this crate a connector is mostly mapping logic:
//!
//! 1. [`Connector::describe`] declares tables with [`Table`] and [`Column`]
//!    builders: types, personal-data classes, catalog references and the key
//!    columns the upstream needs ([`Table::access_path`]).
//! 2. [`Connector::scan`] reads the key filters from the [`ScanRequest`]
//!    ([`ScanRequest::text_values`]), calls the upstream with [`HttpClient`],
//!    and maps records into batches with [`ScanRequest::batch_builder`].
//!    Paginated upstreams use [`source::paged`].
//!    Map upstream values to the shared catalogs' codes with [`catalogs`]
//!    (names → codes, old administrative codes → today's), so that every
//!    connector normalizes the same way.
//! 3. [`Connector::health`] checks the upstream ([`Dependency::check`]).
//! 4. [`export!`] wires it to the `lgsp:connector` world.
//!
//! Build with `cargo build --release --target wasm32-wasip2`. See
//! `docs/connector-guide.md` for a walk-through.
//!
//! # Examples
//! ```no_run
//! use lgsp_guest::*;
//!
//! struct Hello;
//!
//! impl Connector for Hello {
//!     fn describe() -> Description {
//!         Description::new("hello", env!("CARGO_PKG_VERSION"), "A greeting")
//!             .table(Table::new("greeting", "One row").column(Column::text("text", "Greeting")))
//!     }
//!     fn scan(request: ScanRequest) -> Result<Box<dyn BatchSource>> {
//!         let mut batch = request.batch_builder(1);
//!         batch.row(|r| r.set("text", "Xin chào"));
//!         Ok(source::single(batch.finish()?))
//!     }
//!     fn health() -> Health {
//!         Health::new()
//!     }
//! }
//!
//! lgsp_guest::export!(Hello);
//! # fn main() {}
//! ```

#[doc(hidden)]
pub mod adapter;
mod batch;
pub mod bindings;
pub mod catalogs;
mod date;
mod error;
mod filter;
mod health;
mod host;
mod http;
mod request;
mod schema;
pub mod source;
pub mod testing;

pub use arrow_array::RecordBatch;
pub use batch::{BatchBuilder, Cell, Row};
pub use date::Date;
pub use error::{Error, ErrorKind, Result};
pub use filter::{Filter, FilterOp, Value};
pub use health::{Dependency, Health, Status};
pub use host::{Level, config, log, required_config};
pub use http::{HttpClient, Response, percent_encode};
pub use request::{RequestContext, ScanRequest};
pub use schema::{Column, ColumnType, Description, PersonalData, Table};
pub use source::BatchSource;

/// A data connector. Implement it on a unit struct and pass that to [`export!`].
///
/// Each scan, describe or health check runs in a fresh instance, with no state
/// kept between requests, under
/// the platform's deadline, memory limit and output cap.
pub trait Connector {
    /// The connector's name, version and tables. Called often: keep it cheap and
    /// never call the upstream from it.
    fn describe() -> Description;

    /// Starts a scan. Validate identifiers and key filters here, before any
    /// upstream call, and return `bad-request` with the reason when they are
    /// wrong.
    ///
    /// # Errors
    /// A typed [`Error`]; it reaches the consumer with its message.
    fn scan(request: ScanRequest) -> Result<Box<dyn BatchSource>>;

    /// Checks the upstream (level-2 health).
    fn health() -> Health;
}

/// Exports a [`Connector`] as the component's `lgsp:connector/source` interface.
#[macro_export]
macro_rules! export {
    ($connector:ty) => {
        #[doc(hidden)]
        #[allow(unsafe_code)]
        mod __lgsp_export {
        use super::*;

        pub struct __LgspExport;

        impl $crate::bindings::exports::lgsp::connector::source::Guest for __LgspExport {
            type BatchStream = $crate::adapter::BatchStreamResource;

            fn describe() -> $crate::bindings::lgsp::connector::types::ConnectorInfo {
                $crate::adapter::describe::<$connector>()
            }

            fn scan(
                request: $crate::bindings::lgsp::connector::types::ScanRequest,
            ) -> ::core::result::Result<
                $crate::bindings::exports::lgsp::connector::source::BatchStream,
                $crate::bindings::lgsp::connector::types::ConnectorError,
            > {
                $crate::adapter::scan::<$connector>(request)
            }

            fn health() -> $crate::bindings::lgsp::connector::types::HealthReport {
                $crate::adapter::health::<$connector>()
            }
        }

        $crate::bindings::export_world!(__LgspExport with_types_in $crate::bindings);
        }
    };
}
