//! `portsim check`'s outputs: a table for people, JSON (`portsim.check/1`), and JUnit XML.

use crate::study::check::judge::Verdict;
use crate::study::check::results::{CheckReport, ExpectationResult, ScenarioResult, Spec};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use std::fmt::Write;

impl CheckReport {
    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("check report serialises");
        s.push('\n');
        s
    }

    /// The table, the failures with their reasons, and the totals.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let n = self.scenarios.len();
        let _ = writeln!(
            o,
            "portsim check: {} expectations in {n} scenario{}",
            self.totals.expectations,
            if n == 1 { "" } else { "s" }
        );
        if let Some(f) = self.fault {
            let _ = writeln!(o, "FAULT INJECTED on purpose: {f}");
        }
        for b in &self.blessed {
            let old = if b.old.is_empty() {
                "(none)"
            } else {
                b.old.as_str()
            };
            let _ = writeln!(o, "blessed {}: sha256 {old} -> {}", b.file, b.new);
        }
        let rows: Vec<[&str; 5]> = self
            .scenarios
            .iter()
            .flat_map(|s| {
                s.expectations.iter().map(move |e| {
                    [
                        s.scenario.as_str(),
                        e.name.as_str(),
                        e.judged.expected.as_str(),
                        e.judged.measured_text.as_str(),
                        e.judged.verdict.word(),
                    ]
                })
            })
            .collect();
        let head = ["scenario", "expectation", "expected", "measured", "verdict"];
        let mut w = head.map(str::len);
        for r in &rows {
            for (i, c) in r.iter().enumerate() {
                w[i] = w[i].max(c.chars().count());
            }
        }
        let line = |o: &mut String, r: &[&str; 5]| {
            let _ = writeln!(
                o,
                "{:<a$}  {:<b$}  {:<c$}  {:<d$}  {}",
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                a = w[0],
                b = w[1],
                c = w[2],
                d = w[3]
            );
        };
        let _ = writeln!(o);
        line(&mut o, &head);
        for r in &rows {
            line(&mut o, r);
        }
        let failed: Vec<(&ScenarioResult, &ExpectationResult)> = self
            .scenarios
            .iter()
            .flat_map(|s| s.expectations.iter().map(move |e| (s, e)))
            .filter(|(_, e)| e.judged.verdict != Verdict::Pass)
            .collect();
        if !failed.is_empty() {
            let _ = writeln!(o, "\nFailures");
            for (s, e) in failed {
                let _ = writeln!(
                    o,
                    "  {} / {} ({}): {}",
                    s.scenario,
                    e.name,
                    s.file,
                    e.judged.verdict.word()
                );
                let _ = writeln!(o, "    {}", e.judged.message);
                if let Spec::Bound(c) = &e.spec {
                    let _ = writeln!(o, "    why: {}", c.why);
                }
            }
        }
        if !self.skipped.is_empty() {
            let _ = writeln!(
                o,
                "\nNo expect block (not checked): {}",
                self.skipped.join(", ")
            );
        }
        let t = &self.totals;
        let _ = writeln!(
            o,
            "\n{} expectations: {} pass, {} fail, {} inconclusive",
            t.expectations, t.pass, t.fail, t.inconclusive
        );
        // The closing line CI systems read: an inconclusive check counts as failed (exit 1).
        let _ = writeln!(
            o,
            "check: {} passed, {} failed",
            t.pass,
            t.fail + t.inconclusive
        );
        o
    }

    /// JUnit XML: one test suite per scenario file, one test case per expectation.
    pub fn to_junit(&self) -> String {
        let mut report = Report::new("portsim check");
        for s in &self.scenarios {
            let mut suite = TestSuite::new(s.file.as_str());
            for e in &s.expectations {
                let j = &e.judged;
                let status = match j.verdict {
                    Verdict::Pass => TestCaseStatus::success(),
                    v => {
                        let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                        st.set_message(j.message.as_str());
                        st.set_type(match v {
                            Verdict::Inconclusive => "inconclusive",
                            _ => "expectation-failed",
                        });
                        let mut d = format!(
                            "expected: {}\nmeasured: {}\n{}",
                            j.expected, j.measured_text, j.message
                        );
                        if let Spec::Bound(c) = &e.spec {
                            let _ = write!(d, "\nwhy: {}", c.why);
                        }
                        st.set_description(d);
                        st
                    }
                };
                let mut case = TestCase::new(e.name.as_str(), status);
                case.set_classname(format!("portsim.check.{}", s.scenario));
                let mut out = format!("expected: {}\nmeasured: {}", j.expected, j.measured_text);
                if let Spec::Bound(c) = &e.spec {
                    let _ = write!(out, "\nwhy: {}", c.why);
                }
                case.set_system_out(out);
                suite.add_test_case(case);
            }
            report.add_test_suite(suite);
        }
        report.to_string().expect("JUnit report serialises")
    }
}
