//! The body of verdicts the published issues add up to: every tool with each
//! comparison it appeared in and its record (panel ship rate over all reviews,
//! mean community vote), every category with its tools, and the leaderboards.

use std::collections::HashMap;

use crate::author::issue::{Issue, Tool, ToolProfiles, slugify};

/// One appearance of a tool in an issue.
#[derive(Debug, Clone, Copy)]
pub(super) struct Appearance<'a> {
    pub issue: &'a Issue,
    pub tool: &'a Tool,
    /// The tool's place in the issue.
    pub index: usize,
}

/// A tool and its record across every published issue.
#[derive(Debug)]
pub(super) struct ToolStanding<'a> {
    /// The page's name: the profile id or the name's slug ([`Tool::key`]).
    pub key: String,
    /// The tool as its page shows it: its newest issue's, with what its
    /// profile says of it (name, category, tagline, pricing, link, logo) over
    /// what that issue said for itself alone.
    pub face: Tool,
    /// Oldest first.
    pub appearances: Vec<Appearance<'a>>,
    pub ships: usize,
    pub reviews: usize,
    /// The community votes shown in its issues, oldest first.
    pub votes: Vec<f64>,
}

impl<'a> ToolStanding<'a> {
    /// The newest issue the tool was in.
    pub(super) fn latest_issue(&self) -> &'a Issue {
        self.appearances[self.appearances.len() - 1].issue
    }

    /// Ships over all the panel's reviews of the tool, in whole percent,
    /// rounded half up.
    pub(super) fn ship_percent(&self) -> u32 {
        percent(self.ships, self.reviews)
    }

    /// The mean of the community votes its issues show, if any.
    pub(super) fn community(&self) -> Option<f64> {
        (!self.votes.is_empty()).then(|| self.votes.iter().sum::<f64>() / self.votes.len() as f64)
    }

    pub(super) fn category_slug(&self) -> String {
        category_slug(&self.face.category)
    }
}

/// A category and the tools whose newest issue files them under it.
#[derive(Debug)]
pub(super) struct CategoryStanding {
    pub slug: String,
    pub name: String,
    /// Indexes into [`Standings::tools`], best first.
    pub tools: Vec<usize>,
}

/// Every tool and category of the published issues.
#[derive(Debug)]
pub(super) struct Standings<'a> {
    /// Best first: by panel ship rate, then by the number of reviews, then name.
    pub tools: Vec<ToolStanding<'a>>,
    by_key: HashMap<String, usize>,
    /// By name.
    pub categories: Vec<CategoryStanding>,
}

/// `part` of `whole` in whole percent, rounded half up.
fn percent(part: usize, whole: usize) -> u32 {
    if whole == 0 {
        0
    } else {
        ((part * 200 + whole) / (whole * 2)) as u32
    }
}

/// A category's page name.
pub(super) fn category_slug(category: &str) -> String {
    match slugify(category) {
        slug if slug.is_empty() => "other".to_string(),
        slug => slug,
    }
}

impl<'a> Standings<'a> {
    /// `issues` oldest first.
    pub(super) fn of(issues: &[&'a Issue], profiles: &ToolProfiles) -> Standings<'a> {
        let mut tools: Vec<ToolStanding<'a>> = Vec::new();
        let mut by_key: HashMap<String, usize> = HashMap::new();
        for issue in issues {
            for (index, tool) in issue.tools.iter().enumerate() {
                let key = tool.key();
                let at = *by_key.entry(key.clone()).or_insert_with(|| {
                    tools.push(ToolStanding {
                        key,
                        face: tool.clone(),
                        appearances: Vec::new(),
                        ships: 0,
                        reviews: 0,
                        votes: Vec::new(),
                    });
                    tools.len() - 1
                });
                let standing = &mut tools[at];
                standing.face = tool.clone();
                standing.appearances.push(Appearance { issue, tool, index });
                standing.ships += tool.ship_count();
                standing.reviews += tool.reviews.len();
                standing.votes.extend(tool.community_vote);
            }
        }
        for standing in &mut tools {
            if let Some(profile) = standing
                .face
                .profile
                .as_deref()
                .and_then(|id| profiles.get(id))
            {
                let face = &mut standing.face;
                face.name = profile.name.clone();
                face.category = profile
                    .category
                    .clone()
                    .unwrap_or_else(|| face.category.clone());
                face.tagline = profile
                    .tagline
                    .clone()
                    .unwrap_or_else(|| face.tagline.clone());
                face.pricing = profile
                    .pricing
                    .clone()
                    .unwrap_or_else(|| face.pricing.clone());
                face.link = profile.link.clone().unwrap_or_else(|| face.link.clone());
                face.logo = profile.logo.clone().or_else(|| face.logo.clone());
            }
        }
        tools.sort_by(|a, b| {
            b.ship_percent()
                .cmp(&a.ship_percent())
                .then(b.reviews.cmp(&a.reviews))
                .then_with(|| a.face.name.cmp(&b.face.name))
                .then_with(|| a.key.cmp(&b.key))
        });
        let by_key = tools
            .iter()
            .enumerate()
            .map(|(i, t)| (t.key.clone(), i))
            .collect();
        let mut categories: Vec<CategoryStanding> = Vec::new();
        for (i, tool) in tools.iter().enumerate() {
            let slug = tool.category_slug();
            match categories.iter_mut().find(|c| c.slug == slug) {
                Some(category) => category.tools.push(i),
                None => categories.push(CategoryStanding {
                    slug,
                    name: tool.face.category.clone(),
                    tools: vec![i],
                }),
            }
        }
        categories.sort_by_key(|c| c.name.to_lowercase());
        Standings {
            tools,
            by_key,
            categories,
        }
    }

    pub(super) fn tool(&self, key: &str) -> Option<&ToolStanding<'a>> {
        self.by_key.get(key).map(|&i| &self.tools[i])
    }

    /// The tools with community votes, best voted first, then by how many
    /// issues carried a vote.
    pub(super) fn by_community(&self) -> Vec<&ToolStanding<'a>> {
        let mut voted: Vec<&ToolStanding<'a>> =
            self.tools.iter().filter(|t| !t.votes.is_empty()).collect();
        voted.sort_by(|a, b| {
            b.community()
                .unwrap_or(0.0)
                .total_cmp(&a.community().unwrap_or(0.0))
                .then(b.votes.len().cmp(&a.votes.len()))
                .then_with(|| a.face.name.cmp(&b.face.name))
        });
        voted
    }

    /// The issues with a tool in `category`, in the order given.
    pub(super) fn issues_in<'s>(
        &'s self,
        category: &'s CategoryStanding,
        issues: &'s [&'a Issue],
    ) -> impl Iterator<Item = &'a Issue> + 's {
        issues.iter().copied().filter(move |issue| {
            issue
                .tools
                .iter()
                .any(|t| category_slug(&t.category) == category.slug)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::author::issue::tests::tool;
    use crate::author::issue::{Markdown, Verdict};

    fn issue(id: &str, tools: Vec<Tool>) -> Issue {
        Issue {
            id: id.into(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
            subject: "s".into(),
            kicker: None,
            headline: None,
            preheader: None,
            intro: Markdown::default(),
            send_at: None,
            not_after: None,
            bottom_line: None,
            tools,
        }
    }

    #[test]
    fn a_tools_record_adds_up_every_review_and_vote_across_issues() {
        use Verdict::*;
        let first = issue(
            "a",
            vec![
                tool("Alpha", "Chat", &[Ship, Skip], Some(60.0)),
                tool("Beta", "Code", &[Ship], None),
            ],
        );
        let second = issue(
            "b",
            vec![
                tool("alpha", "Chat", &[Ship, Ship], Some(80.0)),
                tool("Gamma", "chat", &[Skip], Some(90.0)),
            ],
        );
        let issues = [&first, &second];
        let standings = Standings::of(&issues, &ToolProfiles::default());
        let alpha = standings.tool("alpha").map(|t| (t.ships, t.reviews));
        assert_eq!(alpha, Some((3, 4)));
        let alpha = standings
            .tool("alpha")
            .map(|t| (t.ship_percent(), t.community()));
        assert_eq!(alpha, Some((75, Some(70.0))));
        // Best panel rate first: Beta 100%, Alpha 75%, Gamma 0%.
        let order: Vec<&str> = standings.tools.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(order, ["beta", "alpha", "gamma"]);
        let voted: Vec<&str> = standings
            .by_community()
            .iter()
            .map(|t| t.key.as_str())
            .collect();
        assert_eq!(voted, ["gamma", "alpha"]);
        // "Chat" and "chat" are one category.
        let categories: Vec<(&str, usize)> = standings
            .categories
            .iter()
            .map(|c| (c.slug.as_str(), c.tools.len()))
            .collect();
        assert_eq!(categories, [("chat", 2), ("code", 1)]);
        let chat = &standings.categories[0];
        assert_eq!(standings.issues_in(chat, &issues).count(), 2);
    }
}
