mod common;
mod messages;
mod pg_exec;
mod props;
mod sql_golden;
