//! The web side: the comparison site `verdict archive` writes (`site`), the
//! service `verdict serve` runs (`serve`: unsubscribe, sign-up, votes, the site)
//! and the community vote it records (`votes`).

pub mod routes;
pub mod serve;
pub mod site;
pub mod votes;
