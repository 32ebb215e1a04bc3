//! Rendering an [`crate::Outcome`]: human (miette), JSON, and the rules listing.

pub mod human;
pub mod json;
pub mod rules;
