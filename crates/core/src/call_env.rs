//! Per-call `env` may come from an untrusted caller (an HTTP request): its
//! keys are checked before anything runs (CONTRACT §14). Refused: a name
//! that is not a plain identifier (a key holding `=` would rewrite another
//! variable), the runtime's own `ALYX_*`, and the variables through which an
//! interpreter or the dynamic loader loads or runs code, unless the host
//! lists the name in `allowCallEnv`. Manifest `env` is the author's and is
//! not checked.

use std::collections::BTreeMap;

use crate::outcome::{Code, ErrorInfo};

/// Exact names that make some runtime load or run code.
const CODE_LOADING: &[&str] = &[
    "NODE_OPTIONS",
    "NODE_PATH",
    "BASH_ENV",
    "ENV",
    "SHELLOPTS",
    "PS4",
    "RUBYOPT",
    "RUBYLIB",
    "GCONV_PATH",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "GOFLAGS",
    "BROWSER",
];

/// Prefixes of such names (`PYTHONSTARTUP`, `LD_PRELOAD`, `BASH_FUNC_x%%`…).
const CODE_LOADING_PREFIXES: &[&str] =
    &["BASH_FUNC_", "PYTHON", "PERL5", "LD_", "DYLD_", "DENO_", "BUN_", "PYENV_", "ALYX_"];

/// `Ok` when every key and value may reach the function; otherwise an
/// `INVALID_INPUT` naming the first offending key.
pub fn validate(env: &BTreeMap<String, String>, allowed: &[String]) -> Result<(), ErrorInfo> {
    for (key, value) in env {
        if let Some(why) = refusal(key, value, allowed) {
            return Err(ErrorInfo::new(Code::InvalidInput, format!("env key {key:?}: {why}")));
        }
    }
    Ok(())
}

fn refusal(key: &str, value: &str, allowed: &[String]) -> Option<&'static str> {
    if !is_identifier(key) {
        return Some("must match ^[A-Za-z_][A-Za-z0-9_]*$");
    }
    if value.contains('\0') {
        return Some("its value contains a NUL byte");
    }
    if key.starts_with("ALYX_") {
        return Some("ALYX_ variables are set by the runtime");
    }
    let loads_code = CODE_LOADING.contains(&key) || CODE_LOADING_PREFIXES.iter().any(|p| key.starts_with(p));
    if loads_code && !allowed.iter().any(|a| a == key) {
        return Some("makes a runtime load or run code (the host may allow it with allowCallEnv)");
    }
    None
}

fn is_identifier(key: &str) -> bool {
    let mut bytes = key.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(key: &str, value: &str, allowed: &[&str]) -> Result<(), ErrorInfo> {
        let allowed: Vec<String> = allowed.iter().map(|s| s.to_string()).collect();
        validate(&BTreeMap::from([(key.to_string(), value.to_string())]), &allowed)
    }

    #[test]
    fn ordinary_keys_pass() {
        for key in ["API_KEY", "x", "_private", "Path2", "NODE_ENV", "PYENV", "DEN", "ALYX"] {
            assert!(check(key, "v", &[]).is_ok(), "{key}");
        }
    }

    #[test]
    fn refused_keys_name_themselves() {
        let refused = [
            ("NODE_OPTIONS", "--import=data:text/javascript,1"),
            ("BASH_ENV", "$(id)"),
            ("BASH_FUNC_echo%%", "() { id; }"),
            ("PYTHONWARNINGS", "all:0:antigravity.x:0:0"),
            ("PYTHONSTARTUP", "x"),
            ("BROWSER", "id"),
            ("PYENV_VERSION", "system"),
            ("ALYX_AUTH={\"id\":\"admin\",\"x\":\"", "\"}"),
            ("ALYX_AUTH", "{}"),
            ("LD_PRELOAD", "/tmp/x.so"),
            ("DYLD_INSERT_LIBRARIES", "x"),
            ("DENO_DIR", "/tmp"),
            ("BUN_OPTIONS", "x"),
            ("PERL5OPT", "-Mx"),
            ("RUBYOPT", "-rx"),
            ("GOFLAGS", "-toolexec=x"),
            ("ENV", "/tmp/x"),
            ("PS4", "$(id)"),
            ("", "x"),
            ("1ABC", "x"),
            ("A-B", "x"),
            ("A B", "x"),
            ("É", "x"),
            ("OK", "a\0b"),
        ];
        for (key, value) in refused {
            let e = check(key, value, &[]).unwrap_err();
            assert_eq!(e.code, "INVALID_INPUT");
            assert!(e.message.contains(&format!("{key:?}")), "{key}: {}", e.message);
        }
    }

    #[test]
    fn allow_call_env_lets_a_named_variable_through_but_never_alyx_or_bad_syntax() {
        assert!(check("NODE_OPTIONS", "--enable-source-maps", &["NODE_OPTIONS"]).is_ok());
        assert!(check("PYTHONWARNINGS", "x", &["NODE_OPTIONS"]).is_err());
        assert!(check("ALYX_AUTH", "{}", &["ALYX_AUTH"]).is_err());
        assert!(check("A=B", "x", &["A=B"]).is_err());
    }
}
