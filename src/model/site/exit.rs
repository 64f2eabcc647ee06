//! amdump's exit code for a night, as Amanda 3.x computes it from the night's DLE fates.

use super::RunResult;
use crate::model::outcome::DleFate;

impl RunResult {
    /// amdump's exit code for this night, as 3.x computes it (`perl/Amanda/Amdump.pm`: the
    /// first bad exit of planner or driver, OR amreport's mask). `Report.pm`: any FAIL line of a
    /// DLE that was not dumped sets 4 (`STATUS_FAILED`); `planner.c`, `main`: an empty schedule
    /// makes the planner exit 1. Errors the model has no part in (a chunker's `FATAL`) are not
    /// counted, so a real night can show 1 more.
    pub fn amdump_exit(&self) -> i32 {
        let mut code = 0;
        if self.dles.iter().any(|d| d.fate != Some(DleFate::Dumped)) {
            code |= 4;
        }
        if !self.dles.is_empty()
            && self
                .dles
                .iter()
                .all(|d| d.fate == Some(DleFate::NotScheduled))
        {
            code |= 1;
        }
        code
    }
}
