//! JSON Schemas of what portsim reads and writes, generated from the types themselves
//! (schemars), so they cannot drift: the scenario format and the `--format json` outputs
//! `portsim.run/1`, `portsim.compare/1` and `portsim.check/1`. `docs/schemas/` holds copies;
//! a test keeps them equal to what this prints.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};

/// The documents that have a schema, by the name `portsim schema NAME` takes.
pub const NAMES: [&str; 4] = ["scenario", "run", "compare", "check"];

/// The schema named `name` (one of [`NAMES`]) as pretty JSON with a final newline.
pub fn schema(name: &str) -> Option<String> {
    let (schema, id) = match name {
        "scenario" => (
            read::<crate::scenario::schema::ScenarioFile>(),
            "portsim scenario",
        ),
        "run" => (write::<super::json::RunReport>(), super::json::RUN_SCHEMA),
        "compare" => (
            write::<crate::study::compare::Comparison>(),
            crate::study::compare::COMPARE_SCHEMA,
        ),
        "check" => (
            write::<crate::study::check::results::CheckReport>(),
            crate::study::check::results::CHECK_SCHEMA,
        ),
        _ => return None,
    };
    let mut v = schema.to_value();
    if name == "scenario" {
        v = with_base(v);
    }
    v["title"] = serde_json::json!(id);
    let mut text = serde_json::to_string_pretty(&v).expect("a schema serialises");
    text.push('\n');
    Some(text)
}

/// A scenario file is either complete, or names a `base` file and `overrides` for it (see
/// `scenario::base`); the other keys of such a file replace the base's, so none is required.
fn with_base(mut complete: serde_json::Value) -> serde_json::Value {
    let defs = complete
        .as_object_mut()
        .and_then(|o| o.remove("$defs"))
        .unwrap_or_default();
    let schema = complete
        .as_object_mut()
        .and_then(|o| o.remove("$schema"))
        .unwrap_or_default();
    let mut defs = defs.as_object().cloned().unwrap_or_default();
    defs.insert("ScenarioFile".into(), complete);
    serde_json::json!({
        "$schema": schema,
        "description": "A portsim scenario: complete, or built on a base file with overrides.",
        "anyOf": [
            { "$ref": "#/$defs/ScenarioFile" },
            {
                "description": "Built on another scenario file: its keys, then the overrides, then this file's other keys.",
                "type": "object",
                "required": ["base"],
                "properties": {
                    "base": {
                        "description": "The base scenario's file, relative to this one.",
                        "type": "string"
                    },
                    "overrides": {
                        "description": "PATH=VALUE strings applied to the base in order, as `--set` takes them.",
                        "type": "array",
                        "items": { "type": "string" }
                    }
                }
            }
        ],
        "$defs": defs
    })
}

/// What a file must hold to be read as `T`.
fn read<T: JsonSchema>() -> Schema {
    SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator()
        .into_root_schema_for::<T>()
}

/// What portsim writes as `T`.
fn write<T: JsonSchema>() -> Schema {
    SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<T>()
}
