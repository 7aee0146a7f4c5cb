//! LGSP host: loads sandboxed WebAssembly connectors and serves their tables
//! through SQL (Apache DataFusion) and a REST API (axum).
//!
//! - [`runtime`]: wasmtime, connector loading and sandboxed calls;
//! - [`query`]: DataFusion catalog, pushdown and read-only SQL;
//! - [`catalogs`]: shared catalogs (danh mục dùng chung), versioned and date-aware;
//! - [`auth`]: signed requests, sessions, rate limits, admin sessions and the
//!   per-request policy from grants (registry in `lgsp-access`);
//! - [`policy`]: grants enforced inside SQL (visible tables and columns,
//!   masks, row filters);
//! - [`publish`]: connectors published by agencies: signed uploads,
//!   versions, retirement, rollback, suspension, sealed configuration;
//! - [`api`]: HTTP routes, error envelope, result formats;
//! - [`server`]: wiring it together; [`config`]: settings; [`cli`]: the `lgsp` command.

pub mod api;
pub mod audit;
pub mod auth;
pub mod catalogs;
pub mod cli;
pub mod config;
pub mod db;
pub mod metrics;
pub mod monitor;
pub mod policy;
mod private_file;
pub mod publish;
pub mod query;
pub mod runtime;
pub mod server;

pub use config::Config;
pub use server::{RunningServer, StartError, start};
