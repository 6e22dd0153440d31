//! Criterion benchmark of what one event costs an uploaded app (issue 13): a fresh instance
//! of a trivial filter (`server/tests/plugins/hostile` in its `accept` mode, which returns
//! at once), made and called through `wasm::Runtime::handle` under the filter limits, as
//! the hook runtime calls it for every `form.beforeSubmit`: the instance alone, as timed on
//! the app thread from the moment the event begins there, and the whole call with the
//! hand-off to that thread and back.
//!
//! `cargo bench -p server --bench wasm_event` (builds the component with rustup's
//! wasm32-unknown-unknown target first).

use std::time::Duration;

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
    let runtime = Runtime::new(rt.handle().clone(), Default::default()).expect("the wasm runtime starts");
    let compiled = runtime.compile(&component()).expect("it compiles");
    let prepared = runtime.prepare("bench", &compiled).expect("it links");
    let event = Event {
        hook: "form.beforeSubmit".into(),
        payload_json: app::hooks::CATALOG.iter().find(|p| p.name == "form.beforeSubmit").unwrap().sample.into(),
        config_json: r#"{"mode":"accept"}"#.into(),
    };
    let mut group = c.benchmark_group("wasm event");
    // The instance alone: its store with fuel, deadline and limiter, instantiation and the
    // call, as timed on the app thread from the moment the event began there
    // (`Measured::micros`, whole µs; the store's drop follows).
    group.bench_function("instantiate and call a trivial filter", |b| {
        b.iter_custom(|iters| {
            let mut inside = Duration::ZERO;
            for _ in 0..iters {
                let (outcome, measured) = rt.block_on(runtime.handle(&prepared, "hostile", None, event.clone(), Limits::FILTER));
                assert!(matches!(outcome, Ok(Outcome::Accept(None))), "{outcome:?}");
                inside += Duration::from_micros(measured.micros);
            }
            inside
        })
    });
    // The same through `Runtime::handle` as a caller waits for it: with the hand-off to an
    // app thread and the answer's way back.
    group.bench_function("the same, with the hand-off to an app thread and back", |b| {
        b.iter(|| {
            let (outcome, _) = rt.block_on(runtime.handle(&prepared, "hostile", None, event.clone(), Limits::FILTER));
            assert!(matches!(outcome, Ok(Outcome::Accept(None))), "{outcome:?}");
        })
    });
    group.finish();
}

criterion_group!(benches, event);
criterion_main!(benches);
