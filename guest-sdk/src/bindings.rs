//! Generated bindings for the `lgsp:connector` world. Connector authors rarely need
//! these directly: the rest of the SDK wraps them.
#![allow(missing_docs, unreachable_pub, unsafe_code, clippy::all)]

wit_bindgen::generate!({
    world: "connector",
    path: "../wit",
    pub_export_macro: true,
    export_macro_name: "export_world",
    default_bindings_module: "::lgsp_guest::bindings",
});
