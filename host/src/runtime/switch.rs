//! The administrator's kill switch: one per connector name, shared by every
//! loaded version of it, so that suspending takes effect at once for new
//! scans whichever version a request was routed to.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Whether a connector is suspended.
#[derive(Debug, Default)]
pub struct KillSwitch {
    suspended: AtomicBool,
}

impl KillSwitch {
    /// Stops (`true`) or resumes (`false`) new scans.
    pub fn set(&self, suspended: bool) {
        self.suspended.store(suspended, Ordering::SeqCst);
    }

    /// Whether new scans are refused.
    pub fn is_suspended(&self) -> bool {
        self.suspended.load(Ordering::SeqCst)
    }
}

/// The switches by connector name.
#[derive(Debug, Default)]
pub(crate) struct Switches(Mutex<HashMap<String, Arc<KillSwitch>>>);

impl Switches {
    pub(crate) fn get(&self, name: &str) -> Arc<KillSwitch> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(name.to_owned())
            .or_default()
            .clone()
    }
}
