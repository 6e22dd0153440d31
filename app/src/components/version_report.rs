//! An uploaded version's verification report: the security scan, the compatibility check
//! and the performance test, each with its findings, and what each sample run used.

use leptos::prelude::*;

use crate::apps::view::{ReportSection, VerificationReport};

#[component]
pub fn VersionReport(report: VerificationReport) -> impl IntoView {
    let section = |name: &'static str, section: ReportSection| {
        view! {
            <li data-test=format!("report-{name}")>
                <strong>{name}": "</strong>
                {if section.passed {
                    view! { <span class="badge badge-success">"passed"</span> }.into_any()
                } else {
                    view! { <span class="badge badge-danger">"failed"</span> }.into_any()
                }}
                <ul>
                    {section.findings.into_iter().map(|finding| view! { <li>{finding}</li> }).collect_view()}
                </ul>
            </li>
        }
    };
    let runs = report.runs.clone();
    view! {
        <div class="report" data-test="report">
            <ul class="report-sections">
                {section("security", report.security)}
                {section("compatibility", report.compatibility)}
                {section("performance", report.performance)}
            </ul>
            {(!runs.is_empty()).then(|| view! {
                <table class="table small">
                    <thead><tr><th>"Hook"</th><th>"Result"</th><th>"Instructions"</th><th>"Time"</th><th>"Peak memory"</th></tr></thead>
                    <tbody>
                        {runs.into_iter().map(|run| view! {
                            <tr data-test="trial-run">
                                <td>{run.hook}</td>
                                <td>{run.result}</td>
                                <td>{format!("{} of {}", run.fuel, run.fuel_limit)}</td>
                                <td>{format!("{:.2} ms of {} ms", run.micros as f64 / 1000.0, run.time_limit_ms)}</td>
                                <td>{format!("{:.1} of {} MiB", run.peak_memory as f64 / 1_048_576.0, run.memory_limit >> 20)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </div>
    }
}
