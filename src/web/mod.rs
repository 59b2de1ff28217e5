//! The web side: the comparison site `verdict archive` writes (`site`), the
//! service `verdict serve` runs (`serve`: unsubscribe, sign-up, votes, counted
//! links, the site), the community vote it records (`votes`) and the clicks on
//! links to tools it counts (`clicks`).

pub mod clicks;
pub mod serve;
pub mod site;
pub mod votes;
