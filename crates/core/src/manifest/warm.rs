//! `warm` (CONTRACT §10): `true`, `false`, or `{ mode, min, max, idle,
//! maxRequests }`, from a manifest or from `RuntimeOptions.warm`. One
//! validator for both, so both name the same fields in their errors.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::duration::parse_duration;
use super::error::ManifestError;

/// How a warm function's processes serve calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WarmMode {
    /// Long-lived processes, one call at a time each (the worker protocol).
    Worker,
    /// One-shot processes started ahead of the call, blocked on stdin.
    Standby,
}

impl WarmMode {
    pub fn as_str(self) -> &'static str {
        match self {
            WarmMode::Worker => "worker",
            WarmMode::Standby => "standby",
        }
    }
}

/// A validated `warm` setting with its defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WarmSpec {
    pub mode: WarmMode,
    /// Processes kept ready even when idle.
    pub min: u32,
    /// Processes of this function at once.
    pub max: u32,
    /// A ready process above `min` idle this long is stopped.
    pub idle_ms: u64,
    /// Worker: replaced after this many calls; 0 = never.
    pub max_requests: u64,
}

/// The default `max`: one process per CPU.
fn default_max() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| n.get() as u32)
}

impl WarmSpec {
    pub fn idle(&self) -> Duration {
        Duration::from_millis(self.idle_ms)
    }

    /// Reads `warm` from its JSON form. `None` for `false`. A bare number
    /// for `idle` is seconds in a manifest (like `timeout`) and milliseconds
    /// from the host (`bare_idle_ms`). Errors name the field (`warm.max`).
    pub fn from_json(value: &Value, bare_idle_ms: bool) -> Result<Option<WarmSpec>, ManifestError> {
        let fields = match value {
            Value::Bool(false) | Value::Null => return Ok(None),
            Value::Bool(true) => return Ok(Some(WarmSpec::defaults(WarmMode::Worker, default_max()))),
            Value::String(s) if s == "true" => return Ok(Some(WarmSpec::defaults(WarmMode::Worker, default_max()))),
            Value::String(s) if s == "false" => return Ok(None),
            Value::Object(fields) => fields,
            _ => return Err(ManifestError::new("warm", "expected true, false or a mapping")),
        };
        let mode = match fields.get("mode") {
            None | Some(Value::Null) => WarmMode::Worker,
            Some(Value::String(m)) if m == "worker" => WarmMode::Worker,
            Some(Value::String(m)) if m == "standby" => WarmMode::Standby,
            Some(other) => {
                let message = format!("invalid mode {} (expected worker, standby)", text_of(other));
                return Err(ManifestError::new("warm.mode", message));
            }
        };
        let min = count(fields.get("min"), "warm.min")?.unwrap_or(1);
        let max = count(fields.get("max"), "warm.max")?.unwrap_or_else(|| u64::from(default_max()).max(min));
        if max < 1 {
            return Err(ManifestError::new("warm.max", "must be ≥ 1"));
        }
        let (min, max) = (u32::try_from(min).map_err(|_| too_big("warm.min"))?, max);
        let max = u32::try_from(max).map_err(|_| too_big("warm.max"))?;
        if min > max {
            return Err(ManifestError::new("warm.min", format!("must be ≤ max ({max}), got {min}")));
        }
        let idle_ms = match fields.get("idle") {
            None | Some(Value::Null) => 60_000,
            Some(Value::Number(n)) if bare_idle_ms => n.as_u64().ok_or_else(|| bad_idle(&n.to_string()))?,
            Some(other) => {
                let text = match other {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let d = parse_duration(&text).map_err(|e| ManifestError::new("warm.idle", e))?;
                u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
            }
        };
        let max_requests = count(fields.get("maxRequests"), "warm.maxRequests")?.unwrap_or(0);
        Ok(Some(WarmSpec { mode, min, max, idle_ms, max_requests }))
    }

    fn defaults(mode: WarmMode, max: u32) -> WarmSpec {
        WarmSpec { mode, min: 1, max: max.max(1), idle_ms: 60_000, max_requests: 0 }
    }
}

/// A non-negative integer (a YAML scalar may arrive as a string).
fn count(value: Option<&Value>, field: &str) -> Result<Option<u64>, ManifestError> {
    let parsed = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
        Some(_) => None,
    };
    match parsed {
        Some(n) => Ok(Some(n)),
        None => Err(ManifestError::new(
            field,
            format!("expected a non-negative integer, got {}", text_of(value.unwrap_or(&Value::Null))),
        )),
    }
}

fn text_of(value: &Value) -> String {
    value.to_string()
}

fn too_big(field: &str) -> ManifestError {
    ManifestError::new(field, "is too large")
}

fn bad_idle(text: &str) -> ManifestError {
    ManifestError::new("warm.idle", format!("invalid duration {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn warm_values_and_the_field_each_error_names() {
        let ok = |v: Value| WarmSpec::from_json(&v, false).unwrap();
        assert_eq!(ok(json!(false)), None);
        let t = ok(json!(true)).unwrap();
        assert_eq!((t.mode, t.min, t.idle_ms, t.max_requests), (WarmMode::Worker, 1, 60_000, 0));
        assert!(t.max >= 1);
        let s = ok(json!({"mode": "standby", "min": "0", "max": 3, "idle": "5s", "maxRequests": 10})).unwrap();
        assert_eq!(s, WarmSpec { mode: WarmMode::Standby, min: 0, max: 3, idle_ms: 5000, max_requests: 10 });
        assert_eq!(ok(json!({"idle": 2})).unwrap().idle_ms, 2000);
        assert_eq!(WarmSpec::from_json(&json!({"idle": 2}), true).unwrap().unwrap().idle_ms, 2);
        let cases = [
            (json!({"max": 0}), "warm.max", "must be ≥ 1"),
            (json!({"min": 5, "max": 2}), "warm.min", "must be ≤ max (2), got 5"),
            (json!({"mode": "hot"}), "warm.mode", "invalid mode \"hot\" (expected worker, standby)"),
            (json!({"min": -1}), "warm.min", "expected a non-negative integer, got -1"),
            (json!({"maxRequests": "x"}), "warm.maxRequests", "expected a non-negative integer, got \"x\""),
            (json!({"idle": "soon"}), "warm.idle", ""),
            (json!([1]), "warm", "expected true, false or a mapping"),
        ];
        for (value, field, message) in cases {
            let err = WarmSpec::from_json(&value, false).unwrap_err();
            assert_eq!(err.field, field, "{value}");
            assert!(err.message.starts_with(message), "{value}: {}", err.message);
        }
    }
}
