mod blend_exec;
mod common;
mod fuzz_corpus;
mod messages;
mod pg_exec;
mod props;
mod sql_golden;
