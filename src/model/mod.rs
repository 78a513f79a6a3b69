//! Plain records shared by every layer: ids, state literals, operation inputs and results.

mod ids;
mod results;
mod rows;
mod spec;
mod state;

pub use ids::{ExecutionId, StreamKey};
pub use results::*;
pub use rows::*;
pub use spec::*;
pub use state::*;
