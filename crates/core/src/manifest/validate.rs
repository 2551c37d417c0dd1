//! The rules of CONTRACT §5, as the Alyx Go implementation enforced them,
//! checked on a decoded manifest. The first broken rule is reported.

use super::duration::parse_duration;
use super::error::ManifestError;
use super::memory::parse_memory_mb;
use super::schedule_formats::{check_cron, is_rfc3339, is_time_zone};
use super::types::{BuildConfig, Hook, Manifest, Route, Schedule};

/// The built-in runtimes. The parser accepts any `runtime`, because custom
/// runtimes exist; callers check it with [`Manifest::validate_runtime`].
pub const DEFAULT_RUNTIMES: [&str; 7] = ["deno", "node", "bun", "python", "go", "ruby", "binary"];

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

impl Manifest {
    /// Checks `runtime` (when given) against the runtimes the caller knows,
    /// e.g. [`DEFAULT_RUNTIMES`] plus the custom ones.
    pub fn validate_runtime<S: AsRef<str>>(&self, known: &[S]) -> Result<(), ManifestError> {
        let Some(runtime) = &self.runtime else {
            return Ok(());
        };
        if known.iter().any(|k| k.as_ref() == runtime) {
            return Ok(());
        }
        let list: Vec<&str> = known.iter().map(AsRef::as_ref).collect();
        let msg = format!("unknown runtime {runtime:?} (known: {})", list.join(", "));
        Err(ManifestError::new("runtime", msg))
    }
}

pub(super) fn validate(m: &Manifest) -> Result<(), ManifestError> {
    require("name", &m.name)?;
    if let Some(timeout) = &m.timeout {
        parse_duration(timeout).map_err(|e| ManifestError::new("timeout", e))?;
    }
    if let Some(memory) = &m.memory {
        parse_memory_mb(memory).map_err(|e| ManifestError::new("memory", e))?;
    }
    for (i, route) in m.routes.iter().enumerate() {
        check_route(&format!("routes[{i}]"), route)?;
    }
    for (i, hook) in m.hooks.iter().enumerate() {
        check_hook(&format!("hooks[{i}]"), hook)?;
    }
    for (i, schedule) in m.schedules.iter().enumerate() {
        check_schedule(&format!("schedules[{i}]"), schedule)?;
    }
    match &m.build {
        Some(build) => check_build(build),
        None => Ok(()),
    }
}

fn require(field: &str, value: &str) -> Result<(), ManifestError> {
    match value.trim().is_empty() {
        true => Err(ManifestError::new(field, "is required")),
        false => Ok(()),
    }
}

/// `value` must be one of `allowed`; absent values are the caller's concern.
fn one_of(field: &str, what: &str, value: &str, allowed: &[&str]) -> Result<(), ManifestError> {
    if allowed.contains(&value) {
        return Ok(());
    }
    let msg = format!("invalid {what} {value:?} (expected {})", allowed.join(", "));
    Err(ManifestError::new(field, msg))
}

fn check_route(at: &str, route: &Route) -> Result<(), ManifestError> {
    let field = format!("{at}.path");
    require(&field, &route.path)?;
    if !route.path.starts_with('/') {
        let msg = format!("must start with \"/\", got {:?}", route.path);
        return Err(ManifestError::new(field, msg));
    }
    let field = format!("{at}.methods");
    if route.methods.is_empty() {
        return Err(ManifestError::new(field, "at least one method is required"));
    }
    match route.methods.iter().find(|m| !METHODS.contains(&m.as_str())) {
        Some(bad) => Err(ManifestError::new(field, format!("invalid method {bad:?}"))),
        None => Ok(()),
    }
}

fn check_hook(at: &str, hook: &Hook) -> Result<(), ManifestError> {
    let field = format!("{at}.type");
    require(&field, &hook.r#type)?;
    one_of(&field, "hook type", &hook.r#type, &["database", "auth", "webhook"])?;
    if hook.r#type != "webhook" {
        let what = format!("is required for {} hooks", hook.r#type);
        for (name, value) in [("source", &hook.source), ("action", &hook.action)] {
            if value.as_deref().is_none_or(|v| v.trim().is_empty()) {
                return Err(ManifestError::new(format!("{at}.{name}"), what));
            }
        }
    } else {
        let Some(v) = &hook.verification else {
            let msg = "is required for webhook hooks";
            return Err(ManifestError::new(format!("{at}.verification"), msg));
        };
        let field = format!("{at}.verification.type");
        require(&field, &v.r#type)?;
        one_of(&field, "verification type", &v.r#type, &["hmac-sha256", "hmac-sha1"])?;
        require(&format!("{at}.verification.header"), &v.header)?;
        require(&format!("{at}.verification.secret"), &v.secret)?;
    }
    if let Some(mode) = &hook.mode {
        one_of(&format!("{at}.mode"), "mode", mode, &["sync", "async"])?;
    }
    if let Some(timeout) = hook.config.as_ref().and_then(|c| c.timeout.as_ref()) {
        let field = format!("{at}.config.timeout");
        parse_duration(timeout).map_err(|e| ManifestError::new(field, e))?;
    }
    Ok(())
}

fn check_schedule(at: &str, s: &Schedule) -> Result<(), ManifestError> {
    require(&format!("{at}.name"), &s.name)?;
    let field = format!("{at}.type");
    require(&field, &s.r#type)?;
    one_of(&field, "schedule type", &s.r#type, &["cron", "interval", "one_time"])?;
    let field = format!("{at}.expression");
    require(&field, &s.expression)?;
    let checked = match s.r#type.as_str() {
        "interval" => parse_duration(&s.expression).map(|_| ()),
        "one_time" => match is_rfc3339(s.expression.trim()) {
            true => Ok(()),
            false => Err(format!("invalid RFC 3339 timestamp {:?}", s.expression)),
        },
        _ => check_cron(&s.expression),
    };
    checked.map_err(|e| ManifestError::new(field, e))?;
    match &s.timezone {
        Some(tz) if !is_time_zone(tz) => {
            let msg = format!("unknown time zone {tz:?} (expected an IANA name like \"Europe/Paris\")");
            Err(ManifestError::new(format!("{at}.timezone"), msg))
        }
        _ => Ok(()),
    }
}

fn check_build(build: &BuildConfig) -> Result<(), ManifestError> {
    require("build.command", &build.command)?;
    if let Some(timeout) = &build.timeout {
        parse_duration(timeout).map_err(|e| ManifestError::new("build.timeout", e))?;
    }
    require("build.output", &build.output)
}
