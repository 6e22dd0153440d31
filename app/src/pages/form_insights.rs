//! `/forms/{id}/insights`: submissions over time, hits per route and answer distributions,
//! drawn as SVG with the numbers in a table beside each chart.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::forms::{INSIGHT_PERIODS, InsightsData, form_insights};
use crate::components::auth::RequireUser;
use crate::components::errors::ErrorPage;
use crate::forms::insights::Bar;

#[component]
pub fn FormInsightsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let days = move || {
        query
            .read()
            .get("days")
            .and_then(|d| d.parse::<i64>().ok())
            .unwrap_or(30)
    };
    let data = Resource::new(move || (id(), days()), |(id, days)| form_insights(id, days));
    view! {
        <Title text="Insights" />
        <RequireUser let:_user>
            <Suspense fallback=|| view! { <p class="muted">"Loading insights…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(data) => view! { <InsightsView data /> }.into_any(),
                        Err(error) => view! { <ErrorPage error /> }.into_any(),
                    }
                })}
            </Suspense>
        </RequireUser>
    }
}

#[component]
fn InsightsView(data: InsightsData) -> impl IntoView {
    let InsightsData {
        form_id,
        name,
        days,
        insights,
    } = data;
    view! {
        <section class="page" data-test="insights-page">
            <div class="page-head">
                <div>
                    <A href="/forms">"← All forms"</A>
                    <h1>{name}" — insights"</h1>
                </div>
                <div class="editor-actions">
                    <A href=format!("/forms/{form_id}/responses") attr:class="button button-secondary button-small">"Responses"</A>
                    <A href=format!("/forms/{form_id}/edit") attr:class="button button-secondary button-small">"Edit form"</A>
                </div>
            </div>
            <nav class="periods" aria-label="Period">
                {INSIGHT_PERIODS.into_iter().map(|d| view! {
                    <a href=format!("?days={d}") aria-current=(d == days).then_some("page")>{format!("Last {d} days")}</a>
                }).collect_view()}
            </nav>
            <p class="muted" data-test="insights-total">{format!("{} responses in the last {days} days (UTC)", insights.total)}</p>
            <Insight title="Submissions per day".to_owned() id="per-day".to_owned() head="Day"
                rows=insights.per_day.iter().filter(|b| b.count > 0).rev().cloned().collect()
                empty="No submissions in this period.">
                <ColumnChart bars=insights.per_day.clone() />
            </Insight>
            <Insight title="Hits per route".to_owned() id="per-route".to_owned() head="Route"
                rows=insights.per_route.clone() empty="">
                <BarChart bars=insights.per_route.clone() />
            </Insight>
            {insights.attribution.into_iter().map(|breakdown| view! {
                <Insight title=format!("{} ({} recorded)", breakdown.label, breakdown.answered)
                    id=format!("data-{}", breakdown.identifier) head="Value" rows=breakdown.bars.clone() empty="">
                    <BarChart bars=breakdown.bars.clone() />
                </Insight>
            }).collect_view()}
            {insights.fields.into_iter().map(|field| view! {
                <Insight title=format!("{} ({} answered)", field.label, field.answered)
                    id=format!("field-{}", field.identifier) head="Answer" rows=field.bars.clone() empty="">
                    <BarChart bars=field.bars.clone() />
                </Insight>
            }).collect_view()}
        </section>
    }
}

/// A chart beside the table of its numbers.
#[component]
fn Insight(
    title: String,
    id: String,
    head: &'static str,
    rows: Vec<Bar>,
    empty: &'static str,
    children: Children,
) -> impl IntoView {
    let title_id = format!("{id}-title");
    view! {
        <section class="card insight" aria-labelledby=title_id data-test=format!("insight-{id}")>
            <h2 id=title_id.clone()>{title}</h2>
            <div class="insight-body">
                <figure class="insight-chart">{children()}</figure>
                <div class="insight-table">
                    {if rows.is_empty() {
                        view! { <p class="muted">{empty}</p> }.into_any()
                    } else {
                        view! {
                            <table class="compact">
                                <thead><tr><th scope="col">{head}</th><th scope="col" class="num">"Count"</th></tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|b| view! {
                                        <tr data-test="insight-row"><td>{b.label}</td><td class="num">{b.count}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }}
                </div>
            </div>
        </section>
    }
}

const WIDTH: f64 = 600.0;

/// Vertical columns, one per day, with the highest count marked on the axis.
#[component]
fn ColumnChart(bars: Vec<Bar>) -> impl IntoView {
    const HEIGHT: f64 = 160.0;
    const LEFT: f64 = 32.0;
    const BOTTOM: f64 = 20.0;
    let max = bars.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let n = bars.len().max(1) as f64;
    let step = (WIDTH - LEFT) / n;
    let plot = HEIGHT - BOTTOM;
    let first = bars.first().map(|b| b.label.clone()).unwrap_or_default();
    let last = bars.last().map(|b| b.label.clone()).unwrap_or_default();
    let summary = format!("Submissions per day from {first} to {last}; at most {max} a day.");
    view! {
        <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" class="chart" preserveAspectRatio="none">
            <title>{summary}</title>
            <line x1=LEFT y1="0" x2=LEFT y2=plot class="axis" />
            <line x1=LEFT y1=plot x2=WIDTH y2=plot class="axis" />
            <text x=LEFT - 4.0 y="10" class="tick" text-anchor="end">{max}</text>
            <text x=LEFT - 4.0 y=plot class="tick" text-anchor="end">"0"</text>
            {bars.iter().enumerate().filter(|(_, b)| b.count > 0).map(|(i, b)| {
                let h = plot * b.count as f64 / max as f64;
                view! {
                    <rect x=LEFT + i as f64 * step + step * 0.1 y=plot - h width=(step * 0.8).max(0.5) height=h class="bar">
                        <title>{format!("{}: {}", b.label, b.count)}</title>
                    </rect>
                }
            }).collect_view()}
            <text x=LEFT y=HEIGHT - 4.0 class="tick">{first}</text>
            <text x=WIDTH y=HEIGHT - 4.0 class="tick" text-anchor="end">{last}</text>
        </svg>
    }
}

/// Horizontal bars with their labels and counts.
#[component]
fn BarChart(bars: Vec<Bar>) -> impl IntoView {
    const ROW: f64 = 26.0;
    const LABEL: f64 = 180.0;
    const COUNT: f64 = 48.0;
    let max = bars.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let height = ROW * bars.len().max(1) as f64;
    let span = WIDTH - LABEL - COUNT;
    view! {
        <svg viewBox=format!("0 0 {WIDTH} {height}") role="img" class="chart">
            <title>{bars.iter().map(|b| format!("{}: {}", b.label, b.count)).collect::<Vec<_>>().join("; ")}</title>
            {bars.iter().enumerate().map(|(i, b)| {
                let y = i as f64 * ROW;
                let w = span * b.count as f64 / max as f64;
                let label = if b.label.chars().count() > 26 {
                    format!("{}…", b.label.chars().take(25).collect::<String>())
                } else {
                    b.label.clone()
                };
                view! {
                    <text x=LABEL - 8.0 y=y + ROW * 0.65 text-anchor="end" class="label">{label}</text>
                    <rect x=LABEL y=y + 4.0 width=w.max(if b.count > 0 { 1.0 } else { 0.0 }) height=ROW - 8.0 class="bar" />
                    <text x=LABEL + w + 6.0 y=y + ROW * 0.65 class="tick">{b.count}</text>
                }
            }).collect_view()}
        </svg>
    }
}
