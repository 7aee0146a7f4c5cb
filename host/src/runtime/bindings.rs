//! Host-side bindings for the `lgsp:connector` world, generated from `wit/`.
#![allow(missing_docs, unreachable_pub, clippy::all)]

wasmtime::component::bindgen!({
    world: "connector",
    path: "../wit",
    exports: { default: async },
});
