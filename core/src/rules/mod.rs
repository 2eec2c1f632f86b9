//! Game rules: the JsonLogic condition language, compiled once.

pub mod logic;
