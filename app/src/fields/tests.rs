//! Walks the registry: unique kinds, documented types, fixtures through validate/normalize,
//! configurations checked, and each input's server-rendered HTML snapshotted.

use std::collections::HashSet;

use leptos::prelude::*;
use serde_json::{Value, json};

use super::*;

#[test]
fn kinds_are_unique_and_documented() {
    let mut kinds = HashSet::new();
    for t in REGISTRY {
        let meta = t.meta();
        assert!(kinds.insert(meta.kind), "duplicate kind {}", meta.kind);
        assert!(lookup(meta.kind).is_some());
        for text in [
            meta.name,
            meta.icon,
            meta.doc.what,
            meta.doc.stored,
            meta.doc.validation,
            meta.doc.example,
        ] {
            assert!(!text.is_empty(), "{} is missing metadata", meta.kind);
        }
    }
    let expected = [
        "short_text",
        "long_text",
        "number",
        "email",
        "phone",
        "url",
        "select",
        "radio",
        "multiselect",
        "checkbox",
        "rating",
        "date",
        "file",
        "hidden",
    ];
    assert_eq!(
        REGISTRY.iter().map(|t| t.meta().kind).collect::<Vec<_>>(),
        expected
    );
}

#[test]
fn every_type_passes_its_own_fixtures() {
    for t in REGISTRY {
        let kind = t.meta().kind;
        let fixtures = t.fixtures();
        let config = t
            .check_config(&fixtures.config)
            .unwrap_or_else(|e| panic!("{kind}: fixture config rejected: {e:?}"));
        for (input, stored) in &fixtures.valid {
            assert_eq!(
                t.validate(input, &config, true),
                Vec::<String>::new(),
                "{kind}: {input} should be valid"
            );
            assert_eq!(
                t.normalize(input, &config, true).as_ref(),
                Some(stored),
                "{kind}: {input}"
            );
        }
        assert!(
            !fixtures.invalid.is_empty(),
            "{kind} needs invalid fixtures"
        );
        for input in &fixtures.invalid {
            let errors = t.validate(input, &config, false);
            assert_eq!(errors.len(), 1, "{kind}: {input} should be rejected");
            assert!(!errors[0].is_empty());
            assert_eq!(t.normalize(input, &config, false), None, "{kind}: {input}");
        }
    }
}

#[test]
fn empty_answers_are_required_or_absent() {
    for t in REGISTRY {
        let config = t.default_config();
        for empty in [Value::Null, json!(""), json!("   ")] {
            assert_eq!(
                t.answer(&empty, &config, true),
                Err(REQUIRED.to_owned()),
                "{}",
                t.meta().kind
            );
            assert_eq!(
                t.answer(&empty, &config, false),
                Ok(None),
                "{}",
                t.meta().kind
            );
        }
    }
}

#[test]
fn default_configs_are_valid_and_bad_ones_name_the_setting() {
    for t in REGISTRY {
        assert!(
            t.check_config(&t.default_config()).is_ok(),
            "{}",
            t.meta().kind
        );
        assert!(
            t.check_config(&Value::Null).is_ok(),
            "{}: null config means defaults",
            t.meta().kind
        );
        let unknown = t.check_config(&json!({"no_such_setting": 1})).unwrap_err();
        assert!(
            unknown[0].1.contains("no_such_setting"),
            "{}: {unknown:?}",
            t.meta().kind
        );
    }
    let dup = lookup("select").unwrap().check_config(
        &json!({"options": [{"value": "a", "label": "A"}, {"value": "a", "label": "B"}]}),
    );
    assert_eq!(
        dup.unwrap_err(),
        vec![(
            "options".to_owned(),
            "the value \"a\" is used twice".to_owned()
        )]
    );
    let range = lookup("number")
        .unwrap()
        .check_config(&json!({"min": 10, "max": 1}))
        .unwrap_err();
    assert_eq!(range[0].0, "min");
    let pattern = lookup("short_text")
        .unwrap()
        .check_config(&json!({"pattern": "(unclosed"}))
        .unwrap_err();
    assert_eq!(pattern[0].0, "pattern");
    let country = lookup("phone")
        .unwrap()
        .check_config(&json!({"default_country": "de"}))
        .unwrap_err();
    assert_eq!(country[0].0, "default_country");
}

#[test]
fn inputs_render_on_the_server() {
    for t in REGISTRY {
        let kind = t.meta().kind;
        let fixtures = t.fixtures();
        let html = Owner::new().with(|| {
            let ctx = InputCtx {
                html_id: format!("q-{kind}"),
                name: kind.to_owned(),
                label: format!("{} question", t.meta().name),
                required: true,
                placeholder: t.common(&fixtures.config).placeholder(),
                value: RwSignal::new(
                    fixtures
                        .valid
                        .first()
                        .map(|(v, _)| v.clone())
                        .unwrap_or(Value::Null),
                ),
                invalid: false,
                described_by: format!("q-{kind}-help q-{kind}-error"),
                disabled: false,
            };
            t.input_view(ctx, &fixtures.config).to_html()
        });
        insta::assert_snapshot!(format!("input_{kind}"), html);
    }
}
