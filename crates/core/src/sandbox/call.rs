//! Whether a function is sandboxed, and whether this system can do it;
//! diagnostics for the `write` paths a policy drops.

use super::{effective, support, SandboxPolicy};
use crate::function::FunctionDef;
use crate::outcome::{Code, ErrorInfo};

/// The function's effective policy, or `None` when it runs unsandboxed;
/// `SANDBOX_UNAVAILABLE` when it asks for a sandbox this system cannot
/// enforce. Asked before a call is queued, so such a call fails at once.
pub fn require(host: Option<&SandboxPolicy>, function: &FunctionDef) -> Result<Option<SandboxPolicy>, ErrorInfo> {
    let own = function.manifest.as_ref().and_then(|m| m.sandbox.as_ref());
    let Some((policy, _dropped)) = effective(host, own, &function.dir) else {
        return Ok(None);
    };
    let support = support();
    if !support.available {
        return Err(ErrorInfo::new(
            Code::SandboxUnavailable,
            format!(
                "function \"{}\" asks for a sandbox this system cannot enforce (Landlock ABI {}, 6 needed): it did not run",
                function.name, support.abi
            ),
        ));
    }
    Ok(Some(policy))
}

/// `write` paths the effective policy drops, one diagnostic each: a
/// manifest's outside what the host allows, and any that is missing — the
/// runtime's own (`RuntimeOptions.sandbox.write`) included, for every
/// function it applies to.
pub fn dropped_paths<'a>(
    host: Option<&SandboxPolicy>,
    functions: impl Iterator<Item = &'a FunctionDef>,
) -> Vec<crate::catalog::Diagnostic> {
    let mut out = Vec::new();
    for function in functions {
        let own = function.manifest.as_ref().and_then(|m| m.sandbox.as_ref());
        let dropped = effective(host, own, &function.dir).map(|(_, d)| d).unwrap_or_default();
        let path = match own {
            Some(_) => function.dir.join(crate::function::MANIFEST_FILE),
            None => function.dir.clone(),
        };
        out.extend(dropped.into_iter().map(|message| crate::catalog::Diagnostic {
            name: function.name.clone(),
            path: path.clone(),
            message,
        }));
    }
    out
}
