//! The operations a case is made of, and their proptest strategies. Operations name executions,
//! handles and followers by a number taken modulo how many exist when the step runs, so every
//! shrunk sequence is still a valid one.

use ff_backend_wasm::model::{FailClass, PublicState};
use proptest::prelude::*;
use proptest::sample::select;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    A,
    B,
}

impl Lane {
    pub fn name(self) -> &'static str {
        match self {
            Lane::A => "default",
            Lane::B => "other",
        }
    }
}

#[derive(Debug, Clone)]
pub struct CreateOp {
    pub lane: Lane,
    pub priority: i64,
    /// Requires the `gpu` capability.
    pub gpu: bool,
    /// `delayUntilMs` relative to now (negative: already due).
    pub delay: Option<i64>,
    pub max_retries: u32,
    pub backoff_ms: i64,
}

#[derive(Debug, Clone)]
pub enum FrameOp {
    /// Text, or bytes that are not UTF-8 (read back as base64).
    Durable(Vec<u8>),
    /// The payload: a JSON merge patch, or something the engine must refuse.
    Summary(String),
    BestEffort {
        payload: String,
        ttl: i64,
    },
}

impl FrameOp {
    pub fn payload(&self) -> Vec<u8> {
        match self {
            FrameOp::Durable(bytes) => bytes.clone(),
            FrameOp::Summary(text) | FrameOp::BestEffort { payload: text, .. } => text.clone().into_bytes(),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Op {
    Create(CreateOp),
    /// `createExecution` with the id of an existing execution: `created: false`, no change.
    CreateDuplicate {
        exec: usize,
    },
    Claim {
        lane: Lane,
        gpu: bool,
        ttl: i64,
    },
    Renew {
        h: usize,
    },
    Progress {
        h: usize,
        percent: Option<f64>,
        message: Option<String>,
    },
    Append {
        h: usize,
        frame: FrameOp,
    },
    Complete {
        h: usize,
    },
    Fail {
        h: usize,
        class: FailClass,
    },
    CancelHandle {
        h: usize,
    },
    CancelId {
        exec: usize,
    },
    CancelUnknown,
    /// A handle re-encoded with another epoch or attempt: forged, and fenced as such.
    Forge {
        h: usize,
        epoch_delta: u64,
        attempt_delta: u32,
    },
    ReclaimExpired,
    Clock {
        delta: i64,
    },
    /// Moves the clock to a handle's lease expiry plus `offset`: the boundaries of decision 4.
    ClockToExpiry {
        h: usize,
        offset: i64,
    },
    List {
        lane: Option<Lane>,
        state: Option<PublicState>,
        limit: i64,
    },
    /// Tails attempt `attempt_index - back` (or the next one when `back` is 0 and `next`).
    OpenTail {
        exec: usize,
        back: u32,
        next: bool,
    },
    OpenCompletions {
        from_start: bool,
        lane: Option<Lane>,
    },
    OpenLeases {
        from_start: bool,
        exec: Option<usize>,
    },
    DropFollower {
        i: usize,
    },
}

fn lane() -> impl Strategy<Value = Lane> {
    prop_oneof![3 => Just(Lane::A), 1 => Just(Lane::B)]
}

fn index() -> impl Strategy<Value = usize> {
    0..16usize
}

fn create() -> impl Strategy<Value = CreateOp> {
    let delay = prop_oneof![4 => Just(None), 1 => select(vec![-500i64, 0, 1000, 4000]).prop_map(Some)];
    (lane(), 0..3i64, prop::bool::weighted(0.2), delay, 0..3u32, select(vec![0i64, 500])).prop_map(
        |(lane, priority, gpu, delay, max_retries, backoff_ms)| CreateOp {
            lane,
            priority,
            gpu,
            delay,
            max_retries,
            backoff_ms,
        },
    )
}

/// Summary payloads: valid patches (nested objects, `null`, the sentinel, arrays), and ones the
/// engine must refuse (not JSON, not an object, nested too deep).
fn patch() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (0..5i64).prop_map(|n| n.to_string()),
        Just("null".to_string()),
        Just("\"__ff_null__\"".to_string()),
        Just("[1, {\"x\": \"__ff_null__\"}]".to_string()),
        "[a-z]{0,3}".prop_map(|s| format!("\"{s}\"")),
    ];
    let value = leaf.prop_recursive(3, 12, 3, |inner| {
        prop::collection::vec((select(vec!["a", "b", "c"]), inner), 0..3).prop_map(|fields| {
            let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
            format!("{{{}}}", body.join(", "))
        })
    });
    let object = prop::collection::vec((select(vec!["a", "b", "c"]), value), 0..4).prop_map(|fields| {
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
        format!("{{{}}}", body.join(", "))
    });
    let refused = select(vec![
        "[1]".to_string(),
        "3".into(),
        "null".into(),
        "{".into(),
        "not json".into(),
        format!("{}1{}", "{\"a\":".repeat(18), "}".repeat(18)),
    ]);
    prop_oneof![6 => object, 1 => refused]
}

fn frame() -> impl Strategy<Value = FrameOp> {
    prop_oneof![
        4 => "[a-z]{0,6}".prop_map(|s| FrameOp::Durable(s.into_bytes())),
        1 => (0..255u8).prop_map(|b| FrameOp::Durable(vec![0xff, b])),
        3 => patch().prop_map(FrameOp::Summary),
        3 => ("[a-z]{1,4}", select(vec![100i64, 1000, 60_000]))
            .prop_map(|(payload, ttl)| FrameOp::BestEffort { payload, ttl }),
    ]
}

fn percent() -> impl Strategy<Value = Option<f64>> {
    select(vec![None, Some(0.0), Some(42.5), Some(100.0), Some(-1.0), Some(100.5), Some(f64::NAN)])
}

fn class() -> impl Strategy<Value = FailClass> {
    use FailClass::*;
    prop_oneof![3 => Just(Transient), 1 => Just(InfraCrash), 1 => Just(Permanent), 1 => Just(Timeout), 1 => Just(Cancelled)]
}

fn state() -> impl Strategy<Value = Option<PublicState>> {
    use PublicState::*;
    select(vec![
        None,
        Some(Waiting),
        Some(Delayed),
        Some(Active),
        Some(Completed),
        Some(Failed),
        Some(Cancelled),
    ])
}

pub fn op() -> impl Strategy<Value = Op> {
    let clock = prop_oneof![
        3 => select(vec![1i64, 50, 300, 1000, 2500]),
        2 => select(vec![6000i64, 40_000]),
        2 => select(vec![-1i64, -400, -3000]),
    ];
    prop_oneof![
        4 => create().prop_map(Op::Create),
        1 => index().prop_map(|exec| Op::CreateDuplicate { exec }),
        5 => (lane(), prop::bool::weighted(0.3), select(vec![500i64, 2000, 30_000]))
            .prop_map(|(lane, gpu, ttl)| Op::Claim { lane, gpu, ttl }),
        2 => index().prop_map(|h| Op::Renew { h }),
        1 => (index(), percent(), prop::option::of("[a-z ]{0,8}"))
            .prop_map(|(h, percent, message)| Op::Progress { h, percent, message }),
        8 => (index(), frame()).prop_map(|(h, frame)| Op::Append { h, frame }),
        2 => index().prop_map(|h| Op::Complete { h }),
        2 => (index(), class()).prop_map(|(h, class)| Op::Fail { h, class }),
        1 => index().prop_map(|h| Op::CancelHandle { h }),
        1 => index().prop_map(|exec| Op::CancelId { exec }),
        1 => Just(Op::CancelUnknown),
        1 => (index(), 0..3u64, 0..2u32).prop_map(|(h, epoch_delta, attempt_delta)| Op::Forge {
            h,
            epoch_delta,
            attempt_delta
        }),
        1 => Just(Op::ReclaimExpired),
        4 => clock.prop_map(|delta| Op::Clock { delta }),
        1 => (index(), -1..=1i64).prop_map(|(h, offset)| Op::ClockToExpiry { h, offset }),
        1 => (prop::option::of(lane()), state(), 1..4i64)
            .prop_map(|(lane, state, limit)| Op::List { lane, state, limit }),
        2 => (index(), 0..2u32, any::<bool>()).prop_map(|(exec, back, next)| Op::OpenTail { exec, back, next }),
        1 => (any::<bool>(), prop::option::of(lane()))
            .prop_map(|(from_start, lane)| Op::OpenCompletions { from_start, lane }),
        1 => (any::<bool>(), prop::option::of(index()))
            .prop_map(|(from_start, exec)| Op::OpenLeases { from_start, exec }),
        1 => index().prop_map(|i| Op::DropFollower { i }),
    ]
}
