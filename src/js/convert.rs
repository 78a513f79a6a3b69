//! Reading JS arguments into engine inputs. Type errors become `validation/invalid_input`
//! errors that name the option and show the value received; nothing here can trap.

use super::reflect::{is_array, object_keys};
use crate::engine::token;
use crate::error::{quote, EngineError, Result};
use crate::model::*;
use js_sys::{ArrayBuffer, Object, Reflect, Uint8Array};
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::{JsCast, JsValue};

fn unreadable(path: &str) -> EngineError {
    EngineError::invalid(format!("{path} could not be read (a getter or a Proxy trap threw)"))
}

/// A short description of a JS value for error messages: `number 5`, `string "x"`, `null`.
pub fn describe(v: &JsValue) -> String {
    if v.is_undefined() {
        "undefined".into()
    } else if v.is_null() {
        "null".into()
    } else if let Some(s) = v.as_string() {
        format!("string {}", quote(&s))
    } else if let Some(n) = v.as_f64() {
        format!("number {n}")
    } else if let Some(b) = v.as_bool() {
        format!("boolean {b}")
    } else if v.is_bigint() {
        "bigint".into()
    } else if v.is_function() {
        "function".into()
    } else if is_array(v).unwrap_or(false) {
        "array".into()
    } else if v.is_symbol() {
        "symbol".into()
    } else {
        "object".into()
    }
}

fn wrong(path: &str, expected: &str, got: &JsValue) -> EngineError {
    EngineError::invalid(format!("{path} must be {expected}, got {}", describe(got)))
}

/// The option name `key` as a JS string, made once per name: making it again on every read (a
/// UTF-8 decode across the boundary) was about 5 % of an append (BENCHMARKS.md, item 8).
/// The names are the facade's own literals, so the cache stays small; it is keyed by the
/// literal's address and length.
fn js_key(key: &'static str) -> JsValue {
    thread_local! {
        static KEYS: RefCell<HashMap<(usize, usize), JsValue>> = RefCell::new(HashMap::new());
    }
    // Cloned out before the read: a getter may call back into the module and read options too.
    KEYS.with(|keys| {
        keys.borrow_mut()
            .entry((key.as_ptr() as usize, key.len()))
            .or_insert_with(|| JsValue::from_str(key))
            .clone()
    })
}

/// An options object (`undefined`/`null` read as `{}`), named for error messages.
pub struct Opts {
    obj: JsValue,
    name: String,
}

impl Opts {
    pub fn new(value: &JsValue, name: &str) -> Result<Opts> {
        if value.is_undefined() || value.is_null() {
            return Ok(Opts { obj: Object::new().into(), name: name.into() });
        }
        if !value.is_object() || value.is_function() || is_array(value).ok_or_else(|| unreadable(name))? {
            return Err(wrong(name, "an object", value));
        }
        Ok(Opts { obj: value.clone(), name: name.into() })
    }

    pub fn path(&self, key: &'static str) -> String {
        format!("{}.{key}", self.name)
    }

    pub fn get(&self, key: &'static str) -> Result<JsValue> {
        Reflect::get(&self.obj, &js_key(key))
            .map_err(|_| EngineError::invalid(format!("{} could not be read", self.path(key))))
    }

    fn present(&self, key: &'static str) -> Result<Option<JsValue>> {
        let v = self.get(key)?;
        Ok(if v.is_undefined() { None } else { Some(v) })
    }

    pub fn string(&self, key: &'static str) -> Result<Option<String>> {
        self.present(key)?
            .map(|v| v.as_string().ok_or_else(|| wrong(&self.path(key), "a string", &v)))
            .transpose()
    }

    pub fn string_or(&self, key: &'static str, default: &str) -> Result<String> {
        Ok(self.string(key)?.unwrap_or_else(|| default.into()))
    }

    pub fn required_string(&self, key: &'static str) -> Result<String> {
        self.string(key)?
            .ok_or_else(|| EngineError::invalid(format!("{} is required (a string)", self.path(key))))
    }

    pub fn number(&self, key: &'static str) -> Result<Option<f64>> {
        self.present(key)?
            .map(|v| match v.as_f64() {
                Some(n) if n.is_finite() => Ok(n),
                _ => Err(wrong(&self.path(key), "a finite number", &v)),
            })
            .transpose()
    }

    /// A whole number within JS's safe integer range.
    pub fn integer(&self, key: &'static str) -> Result<Option<i64>> {
        self.present(key)?.map(|v| integer(&v, &self.path(key))).transpose()
    }

    pub fn strings(&self, key: &'static str) -> Result<Option<Vec<String>>> {
        let Some(v) = self.present(key)? else { return Ok(None) };
        let path = self.path(key);
        if !is_array(&v).ok_or_else(|| unreadable(&path))? {
            return Err(wrong(&path, "an array of strings", &v));
        }
        // Read through Reflect: an array may be a Proxy whose `length` or items throw.
        let length = Reflect::get(&v, &"length".into()).map_err(|_| unreadable(&path))?;
        let length = length.as_f64().unwrap_or(0.0);
        if length > 10_000.0 {
            return Err(EngineError::invalid(format!("{path} has {length} entries; too many")));
        }
        (0..length as u32)
            .map(|i| {
                let item = Reflect::get_u32(&v, i).map_err(|_| unreadable(&format!("{path}[{i}]")))?;
                item.as_string().ok_or_else(|| wrong(&format!("{path}[{i}]"), "a string", &item))
            })
            .collect::<Result<_>>()
            .map(Some)
    }

    /// `string | Uint8Array` (an ArrayBuffer is accepted too): strings are stored as UTF-8.
    pub fn bytes(&self, key: &'static str) -> Result<Option<Vec<u8>>> {
        self.present(key)?.map(|v| bytes(&v, &self.path(key))).transpose()
    }

    pub fn object(&self, key: &'static str) -> Result<Option<Opts>> {
        self.present(key)?.map(|v| Opts::new(&v, &self.path(key))).transpose()
    }

    /// A `Record<string, string>`.
    pub fn string_record(&self, key: &'static str) -> Result<Option<Vec<(String, String)>>> {
        let Some(rec) = self.object(key)? else { return Ok(None) };
        let keys = object_keys(&rec.obj).map_err(|_| unreadable(&rec.name))?;
        keys.iter()
            .map(|js_key| {
                let k = js_key.as_string().unwrap_or_default();
                let path = format!("{}.{k}", rec.name);
                let v = Reflect::get(&rec.obj, &js_key).map_err(|_| unreadable(&path))?;
                let v = v.as_string().ok_or_else(|| wrong(&path, "a string", &v))?;
                Ok((k, v))
            })
            .collect::<Result<_>>()
            .map(Some)
    }
}

pub fn integer(v: &JsValue, path: &str) -> Result<i64> {
    match v.as_f64() {
        Some(n) if n.is_finite() && n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0 => Ok(n as i64),
        _ => Err(wrong(path, "a whole number", v)),
    }
}

pub fn bytes(v: &JsValue, path: &str) -> Result<Vec<u8>> {
    if let Some(s) = v.as_string() {
        return Ok(s.into_bytes());
    }
    if let Some(array) = v.dyn_ref::<Uint8Array>() {
        return Ok(array.to_vec());
    }
    if let Some(buffer) = v.dyn_ref::<ArrayBuffer>() {
        return Ok(Uint8Array::new(buffer).to_vec());
    }
    Err(wrong(path, "a string, a Uint8Array or an ArrayBuffer", v))
}

pub fn string(v: &JsValue, path: &str) -> Result<String> {
    v.as_string().ok_or_else(|| wrong(path, "a string", v))
}

pub fn attempt_index(v: &JsValue) -> Result<u32> {
    let n = integer(v, "attemptIndex")?;
    u32::try_from(n)
        .map_err(|_| EngineError::invalid(format!("attemptIndex {n} is out of range 0..={}", u32::MAX)))
}

pub fn execution_id(v: &JsValue) -> Result<String> {
    v.as_string().ok_or_else(|| wrong("executionId", "a string", v))
}

/// The token of a handle object (or a bare token string).
pub fn handle_token(v: &JsValue) -> Result<String> {
    if v.is_string() {
        return Ok(token_text(v));
    }
    if v.is_null() || v.is_undefined() {
        return Err(wrong("handle", "a Handle returned by claim()", v));
    }
    let opts = Opts::new(v, "handle").map_err(|_| wrong("handle", "a Handle returned by claim()", v))?;
    match opts.present("token")? {
        Some(t) if t.is_string() => Ok(token_text(&t)),
        Some(t) => Err(wrong(&opts.path("token"), "a string", &t)),
        None => Err(EngineError::invalid("handle.token is missing: pass the Handle returned by claim()")),
    }
}

/// The text of a token string. A worker passes the same token call after call, and copying its
/// ~200 characters out of JS each time was ~6 % of an append (BENCHMARKS.md, round 3), so the
/// last one is kept with its JS string; any other string (JS `!==`) is copied afresh.
fn token_text(js: &JsValue) -> String {
    thread_local! {
        static LAST: RefCell<Option<(JsValue, String)>> = const { RefCell::new(None) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if let Some((seen, text)) = last.as_ref() {
            if seen == js {
                return text.clone();
            }
        }
        let text = js.as_string().unwrap_or_default();
        *last = Some((js.clone(), text.clone()));
        text
    })
}

fn retry_policy(opts: &Opts) -> Result<RetryPolicy> {
    let max_retries = opts.integer("maxRetries")?.ok_or_else(|| {
        EngineError::invalid(format!("{} is required (a whole number)", opts.path("maxRetries")))
    })?;
    let max_retries = u32::try_from(max_retries).map_err(|_| {
        EngineError::invalid(format!("{} {max_retries} must be >= 0", opts.path("maxRetries")))
    })?;
    let non_negative = |o: &Opts, key: &'static str| -> Result<u64> {
        let n =
            o.integer(key)?.ok_or_else(|| EngineError::invalid(format!("{} is required", o.path(key))))?;
        u64::try_from(n).map_err(|_| EngineError::invalid(format!("{} {n} must be >= 0", o.path(key))))
    };
    let backoff = match opts.object("backoff")? {
        None => RetryPolicy::default().backoff,
        Some(b) => match b.required_string("type")?.as_str() {
            "fixed" => Backoff::Fixed { delay_ms: non_negative(&b, "delayMs")? },
            "exponential" => Backoff::Exponential {
                initial_delay_ms: non_negative(&b, "initialDelayMs")?,
                max_delay_ms: non_negative(&b, "maxDelayMs")?,
                multiplier: b
                    .number("multiplier")?
                    .ok_or_else(|| EngineError::invalid(format!("{} is required", b.path("multiplier"))))?,
            },
            other => {
                return Err(EngineError::invalid(format!(
                    "{} {} must be \"fixed\" or \"exponential\"",
                    b.path("type"),
                    quote(other)
                )))
            }
        },
    };
    Ok(RetryPolicy { max_retries, backoff })
}

pub fn create_spec(v: &JsValue) -> Result<CreateSpec> {
    let o = Opts::new(v, "spec")?;
    let d = CreateSpec::default();
    Ok(CreateSpec {
        execution_id: o.string("executionId")?,
        lane: o.string_or("lane", &d.lane)?,
        priority: o.integer("priority")?.unwrap_or(0),
        capabilities: o.strings("capabilities")?.unwrap_or_default(),
        payload: o.bytes("payload")?,
        namespace: o.string_or("namespace", &d.namespace)?,
        kind: o.string_or("kind", &d.kind)?,
        tags: o.string_record("tags")?.unwrap_or_default().into_iter().collect(),
        delay_until_ms: o.integer("delayUntilMs")?,
        retry_policy: o.object("retryPolicy")?.map(|p| retry_policy(&p)).transpose()?,
    })
}

pub fn claim_spec(v: &JsValue) -> Result<ClaimSpec> {
    let o = Opts::new(v, "options")?;
    let worker_id = o.required_string("workerId")?;
    Ok(ClaimSpec {
        lane: o.string_or("lane", "default")?,
        capabilities: o.strings("capabilities")?.unwrap_or_default(),
        worker_instance_id: o.string("workerInstanceId")?.unwrap_or_else(|| worker_id.clone()),
        worker_id,
        lease_ttl_ms: o.integer("leaseTtlMs")?.unwrap_or(30_000),
    })
}

pub fn progress(v: &JsValue) -> Result<(Option<f64>, Option<String>)> {
    let o = Opts::new(v, "progress")?;
    Ok((o.number("percent")?, o.string("message")?))
}

pub fn failure(v: &JsValue) -> Result<(String, FailClass)> {
    let o = Opts::new(v, "failure")?;
    let message = o.required_string("message")?;
    let class = match o.string("classification")? {
        None => FailClass::Transient,
        Some(c) => FailClass::parse(&c).ok_or_else(|| {
            EngineError::invalid(format!(
                "failure.classification {} must be one of transient, infra_crash, permanent, timeout, cancelled",
                quote(&c)
            ))
        })?,
    };
    Ok((message, class))
}

/// A handle, a bare token string, or an execution id string: a string is a token when it
/// decodes as one (ids start with `{fp:`, which is not base64).
pub fn cancel_target(v: &JsValue) -> Result<CancelTarget> {
    if let Some(text) = v.as_string() {
        return Ok(if token::looks_like_token(&text) {
            CancelTarget::Handle(text)
        } else {
            CancelTarget::Execution(text)
        });
    }
    Ok(CancelTarget::Handle(
        handle_token(v).map_err(|_| wrong("cancel target", "a Handle or an executionId string", v))?,
    ))
}

pub fn frame_spec(v: &JsValue) -> Result<FrameSpec> {
    let o = Opts::new(v, "frame")?;
    let payload = o
        .bytes("payload")?
        .ok_or_else(|| EngineError::invalid("frame.payload is required (a string or a Uint8Array)"))?;
    let kind = match o.string("kind")? {
        None => FrameKind::Stdout,
        Some(k) => FrameKind::parse(&k).ok_or_else(|| {
            EngineError::invalid(format!(
                "frame.kind {} must be one of stdout, stderr, event, blob",
                quote(&k)
            ))
        })?,
    };
    let mode_value = o.get("mode")?;
    let mode = if mode_value.is_undefined() {
        AppendMode::Durable
    } else if let Some(m) = mode_value.as_string() {
        match m.as_str() {
            "durable" => AppendMode::Durable,
            "summary" => AppendMode::Summary,
            other => {
                return Err(EngineError::invalid(format!(
                    "frame.mode {} must be \"durable\", \"summary\" or {{ bestEffort: {{ ttlMs }} }}",
                    quote(other)
                )))
            }
        }
    } else {
        let m = Opts::new(&mode_value, "frame.mode")?;
        let be = m.object("bestEffort")?.ok_or_else(|| {
            EngineError::invalid("frame.mode must be \"durable\", \"summary\" or { bestEffort: { ttlMs } }")
        })?;
        let ttl = be
            .integer("ttlMs")?
            .ok_or_else(|| EngineError::invalid("frame.mode.bestEffort.ttlMs is required"))?;
        let ttl_ms = u32::try_from(ttl).ok().filter(|t| *t > 0).ok_or_else(|| {
            EngineError::invalid(format!(
                "frame.mode.bestEffort.ttlMs {ttl} is out of range 1..={}",
                u32::MAX
            ))
        })?;
        AppendMode::BestEffort { ttl_ms }
    };
    Ok(FrameSpec {
        payload,
        kind,
        frame_type: o.string("frameType")?,
        correlation_id: o.string("correlationId")?,
        mode,
    })
}

pub fn read_spec(v: &JsValue) -> Result<ReadSpec> {
    let o = Opts::new(v, "options")?;
    Ok(ReadSpec {
        from: o.string_or("from", "start")?,
        to: o.string_or("to", "end")?,
        limit: o.integer("limit")?.unwrap_or(100),
    })
}

pub fn visibility(o: &Opts) -> Result<Visibility> {
    let text = o.string_or("visibility", "all")?;
    Visibility::parse(&text).ok_or_else(|| {
        EngineError::invalid(format!(
            "{} {} must be \"all\" or \"exclude_best_effort\"",
            o.path("visibility"),
            quote(&text)
        ))
    })
}

pub fn tail_spec(v: &JsValue, default_after: Option<&str>) -> Result<TailSpec> {
    let o = Opts::new(v, "options")?;
    let after = match default_after {
        Some(d) => o.string_or("after", d)?,
        None => o.required_string("after")?,
    };
    Ok(TailSpec {
        after,
        block_ms: o.integer("blockMs")?.unwrap_or(0),
        limit: o.integer("limit")?.unwrap_or(100),
        visibility: visibility(&o)?,
    })
}

fn public_state(o: &Opts) -> Result<Option<PublicState>> {
    o.string("publicState")?
        .map(|s| {
            PublicState::parse(&s).map_err(|_| {
                EngineError::invalid(format!(
                    "{} {} must be one of waiting, delayed, active, completed, failed, cancelled",
                    o.path("publicState"),
                    quote(&s)
                ))
            })
        })
        .transpose()
}

pub fn list_spec(v: &JsValue) -> Result<ListSpec> {
    let o = Opts::new(v, "options")?;
    Ok(ListSpec {
        lane: o.string("lane")?,
        public_state: public_state(&o)?,
        after: o.string("after")?,
        limit: o.integer("limit")?.unwrap_or(100),
    })
}

pub fn completions_spec(v: &JsValue) -> Result<CompletionsSpec> {
    let o = Opts::new(v, "options")?;
    Ok(CompletionsSpec {
        after: o.string("after")?,
        lane: o.string("lane")?,
        namespace: o.string("namespace")?,
    })
}

pub fn lease_history_spec(v: &JsValue) -> Result<LeaseHistorySpec> {
    let o = Opts::new(v, "options")?;
    Ok(LeaseHistorySpec { after: o.string("after")?, execution_id: o.string("executionId")? })
}
