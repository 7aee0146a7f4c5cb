//! The wasmtime engine configured for untrusted code: component model, pooling
//! allocator, epoch interruption, bounded stacks; plus the epoch ticker thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig};

/// Engine-wide sandbox settings (per-connector limits live in the manifest).
#[derive(Debug, Clone, Copy)]
pub struct EngineSettings {
    /// Connector instances alive at once (each scan holds one).
    pub max_instances: u32,
    /// The largest memory any connector may be granted, in bytes.
    pub max_memory_bytes: usize,
    /// Wasm stack per call, in bytes.
    pub max_stack_bytes: usize,
    /// How often the epoch advances; deadlines are checked at this granularity.
    pub epoch_tick: Duration,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            max_instances: 128,
            max_memory_bytes: 512 << 20,
            max_stack_bytes: 1 << 20,
            epoch_tick: Duration::from_millis(10),
        }
    }
}

/// Builds the engine.
///
/// # Errors
/// When wasmtime rejects the configuration (e.g. the host cannot reserve the
/// pool's virtual memory).
pub(crate) fn build(settings: &EngineSettings) -> wasmtime::Result<Engine> {
    let n = settings.max_instances.max(1);
    let mut pool = PoolingAllocationConfig::default();
    // A Rust component instance is a handful of core instances and tables (the
    // main module plus adapter shims) and one linear memory.
    pool.total_component_instances(n)
        .total_core_instances(n.saturating_mul(8))
        .total_memories(n.saturating_mul(2))
        .total_tables(n.saturating_mul(8))
        .total_stacks(n)
        .max_memory_size(settings.max_memory_bytes)
        .max_unused_warm_slots(n.min(32))
        // Reset the first pages of a reused slot with memset rather than
        // madvise: a fresh instance then takes fewer page faults.
        .linear_memory_keep_resident(1 << 20)
        .table_keep_resident(64 << 10);

    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .max_wasm_stack(settings.max_stack_bytes)
        .async_stack_size(settings.max_stack_bytes + (1 << 20))
        .cranelift_opt_level(OptLevel::Speed)
        .parallel_compilation(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config)
}

/// Advances the engine's epoch on a fixed tick until dropped.
pub(crate) struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EpochTicker {
    pub(crate) fn start(engine: Engine, tick: Duration) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("lgsp-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(tick);
                    engine.increment_epoch();
                }
            })?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
