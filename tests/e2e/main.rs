//! End-to-end tests: a real platform server, real WASM connectors and a real
//! (simulated) upstream, all over loopback HTTP. One module per feature.

mod api;
mod common;
mod formats;
mod listing;
mod loading;
mod lookup;
mod read_only;
mod sandbox;
mod upstream_errors;
