//! Label read-back for reports and exports lives in the report crate's SQL;
//! this module only holds what other stages need.
