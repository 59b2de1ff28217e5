//! What the flows share on disk and in keys: file access that names its path and
//! writes atomically (`fs`), the one durable append with its torn-tail policy
//! (`append_log`), the subscriber and suppression lists (`lists`) and the keyed
//! values that only this newsletter can make (`tokens`).

pub mod append_log;
pub mod faults;
pub mod fs;
pub mod lists;
pub mod lock;
pub mod tokens;
