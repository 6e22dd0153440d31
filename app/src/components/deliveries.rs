//! One entry of a delivery log (a webhook endpoint's, an Email notifications
//! installation's): its state, event, outcome and next try, then its event id, the
//! attempts and the body sent. `children` is what may be done with it (send it again).

use leptos::prelude::*;

use crate::apps::webhooks::DeliveryView;
use crate::dates::iso_datetime;

/// What an attempt came to: the error, else the receiver's answer (`protocol` and code,
/// such as "HTTP 204" or "SMTP 250").
fn answer(protocol: &str, status: Option<i64>, error: Option<&String>) -> String {
    match (status, error) {
        (_, Some(error)) => error.clone(),
        (Some(status), None) => format!("{protocol} {status}"),
        (None, None) => String::new(),
    }
}

#[component]
pub fn DeliveryItem(delivery: DeliveryView, protocol: &'static str, children: Children) -> impl IntoView {
    let badge = match delivery.state.as_str() {
        "delivered" => "badge badge-success",
        "failed" => "badge badge-error",
        _ => "badge",
    };
    let outcome = match answer(protocol, delivery.last_status, delivery.last_error.as_ref()) {
        none if none.is_empty() => "Not tried yet".to_owned(),
        outcome => outcome,
    };
    let body = serde_json::to_string_pretty(&delivery.body).unwrap_or_default();
    view! {
        <details class="card delivery" data-test="delivery">
            <summary>
                <span class=badge data-test="delivery-state">{delivery.state.clone()}</span>" "
                <code>{delivery.event.clone()}</code>" · "{iso_datetime(delivery.created_at)}" UTC · "
                <span data-test="delivery-outcome">{outcome}</span>
                {delivery.next_attempt_at.map(|at| view! { <span class="muted">" · next try "{iso_datetime(at)}" UTC"</span> })}
            </summary>
            <p class="small">"Event id "<code data-test="delivery-event-id">{delivery.event_id.clone()}</code></p>
            {children()}
            <table class="compact">
                <thead><tr><th scope="col">"Attempt (UTC)"</th><th scope="col">"Answer"</th><th scope="col">"Took"</th></tr></thead>
                <tbody>
                    {delivery.attempts.iter().map(|a| view! {
                        <tr data-test="attempt">
                            <td>{iso_datetime(a.at)}</td>
                            <td>{answer(protocol, a.status, a.error.as_ref())}</td>
                            <td>{format!("{} ms", a.duration_ms)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <pre class="delivery-body" data-test="delivery-body">{body}</pre>
        </details>
    }
}
