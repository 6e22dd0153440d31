//! The form document: parsing, validation paths, generated ids and identifiers, answers.

use serde_json::json;

use super::answers::{UnknownKeys, check_answers, visibility};
use super::*;

fn sales_intake() -> serde_json::Value {
    json!({
        "name": "Sales intake", "description": "Tell us about you", "settings": {"enabled": true},
        "fields": [
            {"id": "f_email", "identifier": "email", "label": "Work email", "type": "email", "required": true,
             "config": {"placeholder": "you@company.com"}},
            {"identifier": "country", "label": "Country", "type": "select",
             "config": {"options": [{"value": "US", "label": "United States"}, {"value": "DE", "label": "Germany"}]}},
            {"identifier": "vat", "label": "VAT number", "type": "short_text", "required": true,
             "visible_if": {"==": [{"var": "country"}, "DE"]}},
            {"identifier": "size", "label": "Company size", "type": "number"}
        ],
        "routes": [
            {"id": "r1", "name": "Enterprise", "rule": {">=": [{"var": "size"}, 500]},
             "action": {"type": "event_type", "value": "/team/sales/enterprise?email={email}"}}
        ],
        "fallback": {"action": {"type": "message", "value": "Thanks, we will be in touch."}}
    })
}

fn parse(v: serde_json::Value) -> FormDefinition {
    FormDefinition::from_json(&v.to_string()).unwrap()
}

#[test]
fn the_documented_shape_parses_validates_and_round_trips() {
    let def = validate_definition(parse(sales_intake())).unwrap();
    assert_eq!(def.fields[0].id, "f_email", "given ids are kept");
    assert!(!def.fields[1].id.is_empty(), "missing ids are generated");
    assert_eq!(
        def.fields[1].config["placeholder"], "",
        "configs are completed with defaults"
    );
    let again: FormDefinition =
        serde_json::from_str(&serde_json::to_string(&def).unwrap()).unwrap();
    assert_eq!(again, def);
}

#[test]
fn problems_are_reported_by_path() {
    let mut doc = sales_intake();
    doc["fields"][1]["config"]["options"] = json!([]);
    doc["fields"][3]["type"] = json!("slider");
    doc["fields"][2]["identifier"] = json!("email");
    doc["fields"][0]["visible_if"] = json!({"==": [{"var": "size"}, 1]});
    doc["routes"][0]["action"]["value"] = json!("no-slash");
    doc["name"] = json!("  ");
    let Err(AppError::Validation { fields, .. }) = validate_definition(parse(doc)) else {
        panic!("should fail")
    };
    let paths: Vec<&str> = fields.keys().map(String::as_str).collect();
    assert_eq!(
        paths,
        [
            "fields[0].visible_if",
            "fields[1].config.options",
            "fields[2].identifier",
            "fields[3].type",
            "name",
            "routes[0].action.value"
        ]
    );
    assert!(fields["fields[3].type"][0].contains("slider"));
    assert!(fields["fields[0].visible_if"][0].contains("not an earlier field"));
}

#[test]
fn unknown_keys_and_malformed_documents_are_refused_with_a_reason() {
    let err = FormDefinition::from_json(r#"{"name": "x", "colour": "red"}"#).unwrap_err();
    assert!(err.to_string().contains("colour"), "{err}");
    let err =
        FormDefinition::from_json(r#"{"name": "x", "fields": [{"label": "A"}]}"#).unwrap_err();
    assert!(err.to_string().contains("type"), "{err}");
    assert!(FormDefinition::from_json("not json").is_err());
}

#[test]
fn identifiers_come_from_labels_and_stay_unique() {
    assert_eq!(identifier_from_label("Work email"), "work_email");
    assert_eq!(identifier_from_label("  2nd choice? "), "q_2nd_choice");
    assert_eq!(identifier_from_label("Ünïcode ☃"), "n_code");
    assert_eq!(identifier_from_label("!!!"), "question");
    let def = validate_definition(parse(json!({"name": "x", "fields": [
        {"label": "Name", "type": "short_text"}, {"label": "Name", "type": "short_text"}
    ]})))
    .unwrap();
    assert_eq!(
        (
            def.fields[0].identifier.as_str(),
            def.fields[1].identifier.as_str()
        ),
        ("name", "name_2")
    );
}

fn raw(pairs: &[(&str, serde_json::Value)]) -> answers::RawAnswers {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

#[test]
fn answers_are_normalized_and_hidden_fields_dropped() {
    let def = validate_definition(parse(sales_intake())).unwrap();
    // VAT is required only while visible (country = DE).
    let us = raw(&[
        ("email", json!("Ada@Example.com")),
        ("country", json!("US")),
        ("vat", json!("DE123")),
        ("size", json!("42")),
    ]);
    let checked = check_answers(&def, &us, UnknownKeys::Ignore).unwrap();
    assert_eq!(checked.values["email"], "Ada@example.com");
    assert_eq!(checked.values["size"], 42);
    assert!(
        !checked.values.contains_key("vat"),
        "a hidden field's value is dropped"
    );
    assert_eq!(checked.stored["f_email"].label, "Work email");

    let de = raw(&[("email", json!("a@b.co")), ("country", json!("DE"))]);
    let errors = check_answers(&def, &de, UnknownKeys::Ignore).unwrap_err();
    assert_eq!(errors["vat"], vec![crate::fields::REQUIRED.to_owned()]);
    assert!(visibility(&def, &de)["vat"]);
    assert!(!visibility(&def, &us)["vat"]);
}

#[test]
fn forged_submissions_are_rejected_or_cleaned() {
    let def = validate_definition(parse(sales_intake())).unwrap();
    let forged = raw(&[
        ("email", json!(["a@b.co"])),
        ("country", json!("FR")),
        ("size", json!({"$gt": 1})),
        ("is_admin", json!(true)),
    ]);
    let errors = check_answers(&def, &forged, UnknownKeys::Reject).unwrap_err();
    assert!(errors["email"][0].contains("email address"));
    assert!(errors["country"][0].contains("options"));
    assert!(errors["size"][0].contains("number"));
    assert!(errors["is_admin"][0].contains("not a field"));
    // On the public page unknown keys are dropped rather than refused.
    let long = raw(&[
        ("email", json!("a@b.co")),
        ("is_admin", json!(true)),
        ("size", json!("12")),
    ]);
    let checked = check_answers(&def, &long, UnknownKeys::Ignore).unwrap();
    assert!(!checked.values.contains_key("is_admin"));
}

#[test]
fn deleted_and_unknown_type_fields_are_skipped() {
    let mut def = validate_definition(parse(sales_intake())).unwrap();
    def.fields[3].deleted = true;
    def.fields[1].kind = "from_the_future".into();
    let live: Vec<&str> = def.live_fields().map(|f| f.identifier.as_str()).collect();
    assert_eq!(live, ["email", "vat"]);
    let checked = check_answers(
        &def,
        &raw(&[("email", json!("a@b.co")), ("size", json!(5))]),
        UnknownKeys::Ignore,
    )
    .unwrap();
    assert!(!checked.values.contains_key("size"));
}

#[test]
fn off_site_booking_paths_and_answer_chosen_hosts_are_refused() {
    let with_action = |kind: &str, value: &str| {
        let mut def = json!({
            "name": "Actions",
            "fields": [{"identifier": "x", "label": "X", "type": "short_text"}],
            "routes": [],
            "fallback": {"action": {"type": kind, "value": value}}
        });
        def["fallback"]["action"]["value"] = json!(value);
        validate_definition(serde_json::from_value(def).unwrap())
    };
    for bad in [
        "/\\evil.example",
        "//evil.example",
        "/\t/evil.example",
        "/a\nb",
        "evil.example",
        "/ok\\..\\x",
    ] {
        let err = with_action("event_type", bad).expect_err(bad);
        assert!(
            format!("{err:?}").contains("booking page"),
            "{bad}: {err:?}"
        );
    }
    assert!(with_action("event_type", "/team/sales?x={x}").is_ok());
    for bad in [
        "https://a.example{x}",
        "https://{x}.example/",
        "https://user{x}@a.example/",
    ] {
        let err = with_action("external_url", bad).expect_err(bad);
        assert!(
            format!("{err:?}").contains("placeholders"),
            "{bad}: {err:?}"
        );
    }
    assert!(with_action("external_url", "https://a.example/{x}?q={x}#{x}").is_ok());
}

#[test]
fn posted_pairs_are_collected_in_one_pass() {
    let def = parse(json!({
        "name": "Collect",
        "fields": [
            {"identifier": "tags", "label": "Tags", "type": "multiselect",
             "config": {"options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]}},
            {"identifier": "name", "label": "Name", "type": "short_text"},
            {"identifier": "cv", "label": "CV", "type": "file"}
        ]
    }));
    let pairs = [
        ("tags", "a"),
        ("name", "Ada"),
        ("tags", "b"),
        ("name", "Eve"),
        ("cv", "x"),
        ("other", "y"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let raw = answers::collect(&def, pairs);
    assert_eq!(raw.get("tags"), Some(&json!(["a", "b"])));
    assert_eq!(raw.get("name"), Some(&json!("Ada")), "the first value wins");
    assert!(!raw.contains_key("cv"), "files come only as uploads");
    assert!(!raw.contains_key("other"));
    // Many pairs cost one pass: 100,000 pairs of a name the form lacks are dropped quickly
    // (a rescan per field would be fields × pairs).
    let many = (0..100_000).map(|i| (format!("k{i}"), "v".to_owned()));
    assert!(answers::collect(&def, many).is_empty());
}

#[test]
fn display_conditions_follow_their_own_field_in_a_draft_without_ids() {
    // The builder previews drafts whose fields have no ids yet.
    let def: FormDefinition = serde_json::from_value(json!({
        "name": "Draft",
        "fields": [
            {"identifier": "country", "label": "Country", "type": "short_text"},
            {"identifier": "vat", "label": "VAT", "type": "short_text",
             "visible_if": {"==": [{"var": "country"}, "DE"]}},
            {"identifier": "email", "label": "Email", "type": "email"}
        ]
    }))
    .unwrap();
    assert!(def.fields.iter().all(|f| f.id.is_empty()));
    let shown = visibility(&def, &raw(&[("country", json!("US"))]));
    assert_eq!(shown.get("vat"), Some(&false));
    assert_eq!(
        shown.get("email"),
        Some(&true),
        "another field's condition does not apply"
    );
    let shown = visibility(&def, &raw(&[("country", json!("DE"))]));
    assert_eq!(shown.get("vat"), Some(&true));
}
