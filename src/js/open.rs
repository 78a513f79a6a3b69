//! `open(options)`: reads the options into a [`StorageSpec`] and a clock; the store layer does
//! the rest (which backend, which VFS). `durableObject: ctx.storage` selects a Durable Object's
//! own storage.

use super::convert::{describe, Opts};
use super::host::JsHost;
use crate::engine::Engine;
use crate::error::{quote, EngineError, Result};
use crate::store::{StorageSpec, Store};
use wasm_bindgen::{JsCast, JsValue};

pub struct Opened {
    pub engine: Engine,
    pub name: String,
    pub storage: &'static str,
}

pub async fn open(options: &JsValue) -> Result<Opened> {
    let o = Opts::new(options, "options")?;
    let storage = o.string_or("storage", "memory")?;
    let name = o.string_or("name", "flowfabric.db")?;
    let image = o.bytes("image")?;
    let now = o.get("now")?;
    let clock = if now.is_undefined() {
        None
    } else {
        Some(now.dyn_into::<js_sys::Function>().map_err(|v| {
            EngineError::invalid(format!("options.now must be a function, got {}", describe(&v)))
        })?)
    };
    let durable_object = o.get("durableObject")?;
    let storage = if durable_object.is_undefined() { storage } else { "durable-object".into() };
    let spec = match storage.as_str() {
        "memory" => StorageSpec::Memory { image },
        "durable-object" if durable_object.is_undefined() => return Err(EngineError::invalid(
            "options.durableObject is required for storage \"durable-object\": pass the object's ctx.storage",
        )),
        "durable-object" if image.is_some() => {
            return Err(EngineError::invalid("options.image can only seed a memory database"))
        }
        "durable-object" => StorageSpec::DurableObject { storage: durable_object, name: name.clone() },
        "opfs" if image.is_some() => {
            return Err(EngineError::invalid("options.image can only seed a memory database"))
        }
        "opfs" => StorageSpec::Opfs { name: name.clone() },
        other => {
            return Err(EngineError::invalid(format!(
                "options.storage {} must be \"memory\", \"opfs\" or \"durable-object\"",
                quote(other)
            )))
        }
    };
    let store = Store::open(spec).await?;
    let storage = store.kind();
    Ok(Opened { engine: Engine::new(store, Box::new(JsHost::new(clock))), name, storage })
}
