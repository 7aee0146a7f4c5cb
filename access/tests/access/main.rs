//! Integration tests of the registry over a real SQLite file, one module per feature.

mod admins;
mod agencies;
mod applications;
mod grants;
mod keys;
mod migrations;
mod support;
