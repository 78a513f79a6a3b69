//! Plain records shared by every layer: ids, state literals, operation inputs and results.

mod ids;
mod record;
mod spec;
mod state;

pub use ids::ExecutionId;
pub use record::*;
pub use spec::*;
pub use state::*;
