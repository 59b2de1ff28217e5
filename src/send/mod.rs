//! Sending an issue: who gets it (`audience`), one message per reader
//! (`message`), where it goes (`transport`), the run with its relays, pools and
//! pacing (`dispatch`), what each reader's outcome was (`ledger`) and what the
//! relays did across runs (`relay_book`); and whether it will reach the inbox
//! at all (`doctor`).

pub mod audience;
pub mod dispatch;
pub mod doctor;
pub mod ledger;
pub mod message;
pub mod relay_book;
pub mod transport;
