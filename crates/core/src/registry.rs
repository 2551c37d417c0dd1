//! Runtimes (CONTRACT §5): which command runs a function, what is special
//! about each (as data), and what to tell a user who has not installed it.
//! Where the command is found: `resolve.rs`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A runtime as users write it in `options.runtimes`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct RuntimeSpec {
    /// `"python3"` or `["python3", "-S"]`: a program and its leading args.
    pub command: Command,
    /// Args before the entry. Absent: an override of a default runtime keeps
    /// the default's (`deno` keeps `run -A`); given (even `[]`): exactly these.
    #[serde(default)]
    pub args: Option<Vec<String>>,
    #[serde(default)]
    pub extensions: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Command {
    One(String),
    Many(Vec<String>),
}

/// How a runtime turns an entry file into a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Launch {
    /// `program args… entry`
    Interpreter,
    /// Go sources: compiled once to a cached binary, then executed.
    GoBuild,
    /// The entry is the program.
    Binary,
}

#[derive(Debug, Clone)]
pub struct RuntimeDef {
    pub name: String,
    /// Candidates tried in order (python3, then python).
    pub programs: Vec<String>,
    pub args: Vec<String>,
    pub extensions: Vec<String>,
    pub launch: Launch,
    /// Host variables the runtime needs, passed through when set.
    pub host_env: Vec<String>,
    pub install_hint: String,
    /// Added or replaced through `options.runtimes`.
    pub custom: bool,
    /// Flags before the entry that make the runtime respect a manifest
    /// `memory` limit itself (`{mb}` is replaced); the sampler still enforces it.
    pub memory_args: Vec<String>,
    /// Environment variables with the same purpose (`{mb}` is replaced).
    pub memory_env: Vec<(String, String)>,
    /// Arguments that make the program print its version.
    pub version_args: Vec<String>,
    /// Interpreters inside a function's directory that win over a bare
    /// program name (a Python `.venv/`); see `resolve.rs`.
    pub local_programs: Vec<String>,
    /// Args that make the interpreter print its own path, to see through a
    /// version-manager shim (`sys.executable`); see `resolve.rs`.
    pub real_path_query: Option<Vec<String>>,
    /// The search-path variable the bundled SDK folder is appended to.
    pub sdk_path_var: Option<String>,
}

impl RuntimeDef {
    pub fn memory_args(&self, mb: u64) -> Vec<String> {
        self.memory_args.iter().map(|a| a.replace("{mb}", &mb.to_string())).collect()
    }

    pub fn memory_env(&self, mb: u64) -> Vec<(String, String)> {
        self.memory_env.iter().map(|(k, v)| (k.clone(), v.replace("{mb}", &mb.to_string()))).collect()
    }

    /// Python's extras: a function's own virtualenv, shims seen through.
    fn with_python_extras(mut self) -> Self {
        let bin = if cfg!(windows) { "Scripts/python.exe" } else { "bin/python" };
        self.local_programs = [".venv", "venv"].iter().map(|env| format!("{env}/{bin}")).collect();
        self.real_path_query = Some(vec!["-c".into(), "import sys; print(sys.executable)".into()]);
        self
    }

    fn with_sdk_path(mut self, var: &str) -> Self {
        self.sdk_path_var = Some(var.into());
        self
    }

    fn with_memory(mut self, args: &[&str], env: &[(&str, &str)]) -> Self {
        self.memory_args = args.iter().map(|s| s.to_string()).collect();
        self.memory_env = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        self
    }
}

#[derive(Debug, Clone)]
pub struct Registry {
    defs: BTreeMap<String, RuntimeDef>,
}

fn def(
    name: &str,
    programs: &[&str],
    args: &[&str],
    exts: &[&str],
    launch: Launch,
    env: &[&str],
    hint: &str,
) -> RuntimeDef {
    let strings = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect();
    RuntimeDef {
        name: name.into(),
        programs: strings(programs),
        args: strings(args),
        extensions: strings(exts),
        launch,
        host_env: strings(env),
        install_hint: hint.into(),
        custom: false,
        memory_args: Vec::new(),
        memory_env: Vec::new(),
        version_args: vec![if launch == Launch::GoBuild { "version" } else { "--version" }.to_string()],
        local_programs: Vec::new(),
        real_path_query: None,
        sdk_path_var: None,
    }
}

impl Registry {
    pub fn with_defaults() -> Self {
        use Launch::*;
        let defs = [
            def("deno", &["deno"], &["run", "-A"], &[".ts", ".mts", ".tsx"], Interpreter,
                &["DENO_DIR", "DENO_INSTALL_ROOT", "DENO_CERT", "NPM_CONFIG_REGISTRY"],
                "Install Deno: `npm install deno` in your project (or `npm install -g deno`), or `curl -fsSL https://deno.land/install.sh | sh` (https://docs.deno.com/runtime/getting_started/installation/)")
                .with_memory(&["--v8-flags=--max-old-space-size={mb}"], &[]),
            def("node", &["node"], &[], &[".js", ".mjs", ".cjs", ".cts"], Interpreter,
                &["NODE_PATH"],
                "Install Node.js 18 or newer from https://nodejs.org or your package manager (e.g. `apt-get install nodejs`)")
                .with_memory(&["--max-old-space-size={mb}"], &[]),
            def("bun", &["bun"], &["run"], &[], Interpreter,
                &["BUN_INSTALL", "BUN_RUNTIME_TRANSPILER_CACHE_PATH"],
                "Install Bun: `npm install bun` in your project (or `npm install -g bun`), or `curl -fsSL https://bun.sh/install | bash` (https://bun.sh)"),
            def("python", &["python3", "python"], &[], &[".py"], Interpreter,
                &["VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"],
                "Install Python 3 from https://www.python.org/downloads/ or your package manager (e.g. `apt-get install python3`)")
                .with_python_extras()
                .with_sdk_path("PYTHONPATH"),
            def("go", &["go"], &[], &[".go"], GoBuild,
                &["GOROOT", "GOPATH", "GOCACHE", "GOMODCACHE", "GOPROXY", "GOFLAGS", "GOPRIVATE", "GONOSUMDB", "GOTOOLCHAIN", "GOENV"],
                "Install Go from https://go.dev/dl/ (e.g. `apt-get install golang`)")
                .with_memory(&[], &[("GOMEMLIMIT", "{mb}MiB")]),
            def("ruby", &["ruby"], &[], &[".rb"], Interpreter,
                &["GEM_HOME", "GEM_PATH", "BUNDLE_GEMFILE", "RUBYLIB"],
                "Install Ruby from https://www.ruby-lang.org/en/documentation/installation/ (e.g. `apt-get install ruby`)")
                .with_sdk_path("RUBYLIB"),
            def("binary", &[], &[], &[], Binary, &[],
                "A binary function's entry must be an executable file (`chmod +x bootstrap`)"),
        ];
        Registry { defs: defs.into_iter().map(|d| (d.name.clone(), d)).collect() }
    }

    /// Defaults plus the user's runtimes. A user runtime with a default's
    /// name replaces its command; the default's args (unless `args` is
    /// given), extensions (unless given), host variables, version args, Go
    /// compile step and Python extras stay. Memory flags do not: a custom
    /// command may not be the runtime they are for.
    pub fn new(custom: &BTreeMap<String, RuntimeSpec>) -> Result<Self, String> {
        let mut reg = Self::with_defaults();
        for (name, spec) in custom {
            let (program, mut args) = match &spec.command {
                Command::One(p) => (p.clone(), Vec::new()),
                Command::Many(parts) => {
                    let (first, rest) =
                        parts.split_first().ok_or_else(|| format!("runtimes.{name}.command: must not be empty"))?;
                    (first.clone(), rest.to_vec())
                }
            };
            if program.trim().is_empty() {
                return Err(format!("runtimes.{name}.command: must not be empty"));
            }
            let prior = reg.defs.remove(name);
            args.extend(
                spec.args.clone().unwrap_or_else(|| prior.as_ref().map(|p| p.args.clone()).unwrap_or_default()),
            );
            let extensions = if spec.extensions.is_empty() {
                prior.as_ref().map(|p| p.extensions.clone()).unwrap_or_default()
            } else {
                spec.extensions.iter().map(|e| if e.starts_with('.') { e.clone() } else { format!(".{e}") }).collect()
            };
            let launch = match prior.as_ref().map(|p| p.launch) {
                Some(Launch::GoBuild) => Launch::GoBuild,
                _ => Launch::Interpreter,
            };
            let install_hint = format!("Install `{program}` or fix `runtimes.{name}.command` in the runtime options");
            let base = prior.unwrap_or_else(|| def(name, &[], &[], &[], launch, &[], ""));
            let replaced = RuntimeDef {
                programs: vec![program],
                args,
                extensions,
                launch,
                install_hint,
                custom: true,
                memory_args: Vec::new(),
                memory_env: Vec::new(),
                ..base
            };
            reg.defs.insert(name.clone(), replaced);
        }
        Ok(reg)
    }

    pub fn get(&self, name: &str) -> Option<&RuntimeDef> {
        self.defs.get(name)
    }

    pub fn all(&self) -> impl Iterator<Item = &RuntimeDef> {
        self.defs.values()
    }

    /// The runtime an extension belongs to; user runtimes win over defaults.
    pub fn by_extension(&self, ext: &str) -> Option<&RuntimeDef> {
        let mut found = None;
        for d in self.defs.values() {
            if d.extensions.iter().any(|e| e.eq_ignore_ascii_case(ext)) {
                if d.custom {
                    return Some(d);
                }
                found.get_or_insert(d);
            }
        }
        found
    }
}

/// An absolute path for `program`: as given when it has a directory part,
/// else the first executable match on `path`.
pub fn find_program(program: &str, path: Option<OsString>) -> Option<PathBuf> {
    let p = Path::new(program);
    if p.components().count() > 1 || p.is_absolute() {
        let abs = std::path::absolute(p).ok()?;
        return which::which(&abs).ok();
    }
    let cwd = std::env::current_dir().ok()?;
    which::which_in(program, path, cwd).ok()
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
