//! Criterion benchmark of what one event costs an uploaded app (issue 13): a fresh instance
//! of a trivial filter (`server/tests/plugins/hostile` in its `accept` mode, which returns
//! at once), made and called through `wasm::Runtime::handle` under the filter limits, as
//! the hook runtime calls it for every `form.beforeSubmit`. The time includes the hand-off
//! to the apps' threads and back.
//!
//! `cargo bench -p server --bench wasm_event` (builds the component with rustup's
//! wasm32-unknown-unknown target first).

use app::apps::wasm::{Event, Limits, Outcome, Runtime};
use criterion::{Criterion, criterion_group, criterion_main};

/// Builds the test app with the example's build script; the component's path.
fn component() -> Vec<u8> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::process::Command::new("bash")
        .arg(root.join("examples/apps/domain-filter/build.sh"))
        .arg(root.join("server/tests/plugins/hostile"))
        .output()
        .expect("bash runs");
    assert!(out.status.success(), "the build failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let path = String::from_utf8_lossy(&out.stdout).lines().last().expect("a path").trim().to_owned();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn event(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let runtime = Runtime::new(rt.handle().clone()).expect("the wasm runtime starts");
    let compiled = runtime.compile(&component()).expect("it compiles");
    let prepared = runtime.prepare("bench", &compiled).expect("it links");
    let event = Event {
        hook: "form.beforeSubmit".into(),
        payload_json: app::hooks::CATALOG.iter().find(|p| p.name == "form.beforeSubmit").unwrap().sample.into(),
        config_json: r#"{"mode":"accept"}"#.into(),
    };
    let mut group = c.benchmark_group("wasm event");
    group.bench_function("instantiate and call a trivial filter", |b| {
        b.iter(|| {
            let (outcome, _) = rt.block_on(runtime.handle(&prepared, "hostile", None, event.clone(), Limits::FILTER));
            assert!(matches!(outcome, Ok(Outcome::Accept(None))), "{outcome:?}");
        })
    });
    group.finish();

    // What the instance itself took (made, called, dropped), without the hand-off.
    let mut inside: Vec<u64> = (0..2000)
        .map(|_| rt.block_on(runtime.handle(&prepared, "hostile", None, event.clone(), Limits::FILTER)).1.micros)
        .collect();
    inside.sort_unstable();
    println!(
        "inside the app thread, over {} events: median {} µs, p99 {} µs",
        inside.len(),
        inside[inside.len() / 2],
        inside[inside.len() * 99 / 100]
    );
}

criterion_group!(benches, event);
criterion_main!(benches);
