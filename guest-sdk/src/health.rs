//! Level-2 health reports: an overall status plus one entry per dependency.

use crate::bindings::lgsp::connector::types as wit;

/// Health of the connector or one dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Working.
    Up,
    /// Working, but slow or partly failing.
    Degraded,
    /// Not working.
    Down,
}

impl Status {
    fn into_wit(self) -> wit::HealthStatus {
        match self {
            Self::Up => wit::HealthStatus::Up,
            Self::Degraded => wit::HealthStatus::Degraded,
            Self::Down => wit::HealthStatus::Down,
        }
    }
}

/// The check of one dependency.
#[derive(Debug, Clone)]
pub struct Dependency {
    name: String,
    status: Status,
    latency_ms: Option<u32>,
    message: Option<String>,
}

impl Dependency {
    /// A dependency called `name` in `status`.
    pub fn new(name: impl Into<String>, status: Status) -> Self {
        Self {
            name: name.into(),
            status,
            latency_ms: None,
            message: None,
        }
    }

    /// Runs `check` and reports dependency `name` as it went: up, or down
    /// with the error's message, with the time the check took.
    ///
    /// # Examples
    /// ```
    /// use lgsp_guest::{Dependency, Error, Health, Status};
    /// let h = Health::new().dependency(Dependency::check("upstream", || {
    ///     Err(Error::upstream_error("the upstream refused the call"))
    /// }));
    /// assert_eq!(h.status(), Status::Down);
    /// ```
    pub fn check(name: impl Into<String>, check: impl FnOnce() -> crate::Result<()>) -> Self {
        let started = std::time::Instant::now();
        let dependency = match check() {
            Ok(()) => Self::new(name, Status::Up),
            Err(e) => Self::new(name, Status::Down).message(e.to_string()),
        };
        let ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
        dependency.latency_ms(ms)
    }

    /// How long the check took.
    pub fn latency_ms(mut self, ms: u32) -> Self {
        self.latency_ms = Some(ms);
        self
    }

    /// What the check found (no secrets).
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }
}

/// A level-2 health report. Its overall status is the worst of its dependencies
/// unless set explicitly.
///
/// # Examples
/// ```
/// use lgsp_guest::{Dependency, Health, Status};
/// let h = Health::new().dependency(Dependency::new("upstream", Status::Down));
/// assert_eq!(h.status(), Status::Down);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Health {
    status: Option<Status>,
    dependencies: Vec<Dependency>,
}

impl Health {
    /// A report with no dependencies (status up).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a dependency check.
    pub fn dependency(mut self, dependency: Dependency) -> Self {
        self.dependencies.push(dependency);
        self
    }

    /// Overrides the overall status.
    pub fn with_status(mut self, status: Status) -> Self {
        self.status = Some(status);
        self
    }

    /// The overall status.
    pub fn status(&self) -> Status {
        self.status.unwrap_or_else(|| {
            let statuses = self.dependencies.iter().map(|d| d.status);
            if statuses.clone().any(|s| s == Status::Down) {
                Status::Down
            } else if statuses.clone().any(|s| s == Status::Degraded) {
                Status::Degraded
            } else {
                Status::Up
            }
        })
    }

    pub(crate) fn into_wit(self) -> wit::HealthReport {
        wit::HealthReport {
            status: self.status().into_wit(),
            dependencies: self
                .dependencies
                .into_iter()
                .map(|d| wit::DependencyHealth {
                    name: d.name,
                    status: d.status.into_wit(),
                    latency_ms: d.latency_ms,
                    message: d.message,
                })
                .collect(),
        }
    }
}
