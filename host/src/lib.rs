//! LGSP host: loads sandboxed WebAssembly connectors and serves their tables
//! through SQL (Apache DataFusion) and a REST API (axum).
//!
//! - [`runtime`]: wasmtime, connector loading and sandboxed calls;
//! - [`query`]: DataFusion catalog, pushdown and read-only SQL;
//! - [`catalogs`]: shared catalogs (danh mục dùng chung), versioned and date-aware;
//! - [`api`]: HTTP routes, error envelope, result formats;
//! - [`server`]: wiring it together; [`config`]: settings; [`cli`]: the `lgsp` command.

pub mod api;
pub mod catalogs;
pub mod cli;
pub mod config;
pub mod query;
pub mod runtime;
pub mod server;

pub use config::Config;
pub use server::{RunningServer, StartError, start};
