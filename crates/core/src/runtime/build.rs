//! `build(name?)`: running build steps and Go compiles on request.

use super::Runtime;
use crate::build::BuildReport;
use crate::function::load;
use crate::outcome::{Code, ErrorInfo};
use crate::watch::Watched;

impl Runtime {
    /// Runs a function's build step (or Go compile) now if it is stale.
    pub async fn build(&self, name: &str) -> Result<Option<BuildReport>, ErrorInfo> {
        let host = self.host_env();
        let engine = &self.engine;
        let function = load(self.functions_dir(), name, &engine.registry, &host).map_err(|e| e.to_error())?;
        let runtime = engine.runtime_of(&function)?;
        let env = engine.function_env(&function, runtime, &host);
        engine.command(&function, runtime, &env, &host).await.map(|(_, ready)| ready.report)
    }

    /// `build(name?)`: runs the build of `name`, or of every function that
    /// has one (a build step or Go sources), now if stale. A failed build is
    /// a report with `success: false`; an unknown name is an `Err`.
    pub async fn build_reports(&self, name: Option<&str>) -> Result<Vec<FunctionBuild>, ErrorInfo> {
        let names = match name {
            Some(name) => vec![name.to_string()],
            None => {
                let (valid, _) = self.known_names();
                valid.into_iter().filter(|n| self.builds_on_change(n)).collect()
            }
        };
        let mut reports = Vec::with_capacity(names.len());
        for name in names {
            let report = match Runtime::build(self, &name).await {
                Ok(Some(r)) => FunctionBuild { name, built: true, report: r },
                Ok(None) => FunctionBuild { name, built: false, report: BuildReport::skipped() },
                Err(e) if e.code == Code::BuildFailed.as_str() => {
                    FunctionBuild { name, built: true, report: BuildReport::from_error(&e) }
                }
                Err(e) => return Err(e),
            };
            reports.push(report);
        }
        Ok(reports)
    }
}

/// One function's entry in `build()`'s answer.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FunctionBuild {
    pub name: String,
    /// False when the artifact was up to date and nothing ran.
    pub built: bool,
    #[serde(flatten)]
    pub report: BuildReport,
}
