//! The OpenAPI source is well formed: every `$ref` resolves and every operation has an id and
//! documents its error responses in the envelope.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::Value;

fn document() -> Value {
    let text = std::fs::read_to_string(support::root().join("openapi.yaml")).expect("openapi.yaml");
    serde_yaml::from_str(&text).expect("openapi.yaml parses")
}

fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => found.push(target),
                    _ => refs(inner, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, found)),
        _ => {}
    }
}

#[test]
fn every_ref_resolves() {
    let document = document();
    let mut found = Vec::new();
    refs(&document, &mut found);
    assert!(!found.is_empty());
    for target in found {
        let pointer = target.strip_prefix('#').expect("local ref");
        assert!(
            document.pointer(pointer).is_some(),
            "dangling $ref {target}"
        );
    }
}

#[test]
fn every_operation_has_a_unique_id_and_responses() {
    let document = document();
    let mut ids = Vec::new();
    for (path, operations) in document["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().expect("operations") {
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path}"));
            ids.push(id.to_owned());
            let responses = operation["responses"].as_object().expect("responses");
            assert!(
                !responses.is_empty(),
                "{method} {path} documents no responses"
            );
        }
    }
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count, "operationIds repeat");
}
