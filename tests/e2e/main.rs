//! End-to-end tests: a real platform server, real WASM connectors and a real
//! (simulated) upstream, all over loopback HTTP. One module per feature.

mod access;
mod api;
mod audit;
mod auth;
mod bhxh;
mod catalogs;
mod common;
mod cross_source;
mod dat_dai;
mod doanh_nghiep;
mod formats;
mod grants;
mod joins;
mod listing;
mod loading;
mod lookup;
mod monitor;
mod policy;
mod publishing;
mod read_only;
mod sandbox;
mod upstream_errors;
mod upstream_limits;
