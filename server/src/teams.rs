//! Teams: players who play one hunt together, in one team session (session format 3).
//!
//! A team is a journal in the store (`team/<id>`), like a live event's windows: `create` (who made
//! it, for which template or live event, where it meets, whom it invites), then `join`, `leave`
//! and one `start`. Its state is a fold of the journal, and every change is a compare-and-set
//! append made after reading the journal to its end, so the team's size limit and "nobody joins
//! or leaves after the start" hold across servers.
//!
//! Anyone with the team's invite code (derived from its id with the server's secret, see
//! `Keys::invite`) may join, and so may the players its creator listed; the team's template
//! says how many may (`max_team`). A member starts it: the team's hunt is generated for the
//! members (their levels and interests as their tokens gave them when they joined, the sites
//! their profiles say they found), one session is opened on it, and each member gets a token of
//! their own for it (`Keys::member_token`), which names them in the events they send. A team
//! made for a live event enters the event's open window as one entry, under the team's id.

use crate::engine::{ApiError, Created, Engine};
use crate::players::Identity;
use crate::store::StoreError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use xmarks::{Position, Seeds, Team, TeamMember};

const TEAM_PREFIX: &str = "team/";
/// Appends that find another server wrote first are read again and decided again this often
/// (each round one writer wins: this many servers may race for one team at once).
const CONFLICT_RETRIES: u32 = 32;

/// One line of a team's journal.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
enum Line {
    Create {
        by: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        template: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        event: Option<String>,
        round: u64,
        start: Position,
        max: u32,
        invited: Vec<String>,
    },
    Join {
        player: String,
        level: u32,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        interests: BTreeMap<String, f64>,
    },
    Leave {
        player: String,
    },
    Start {
        by: String,
        session: String,
    },
}

/// A member as they joined.
#[derive(Debug, Clone)]
struct Joined {
    id: String,
    level: u32,
    interests: BTreeMap<String, f64>,
}

/// A team as its journal says, and the journal's version.
#[derive(Debug, Clone)]
struct State {
    id: String,
    template: Option<String>,
    event: Option<String>,
    round: u64,
    start: Position,
    max: u32,
    invited: Vec<String>,
    members: Vec<Joined>,
    session: Option<String>,
    version: u64,
}

impl State {
    fn fold(id: &str, lines: &[(u64, Arc<str>)], version: u64) -> Result<Option<State>, ApiError> {
        let mut state: Option<State> = None;
        for (_, text) in lines {
            let line: Line = serde_json::from_str(text)
                .map_err(|e| ApiError::new("internal", format!("team {id}: a journal line does not read: {e}")))?;
            match (line, &mut state) {
                (Line::Create { by: _, template, event, round, start, max, invited }, None) => {
                    state = Some(State {
                        id: id.to_owned(),
                        template,
                        event,
                        round,
                        start,
                        max,
                        invited,
                        members: Vec::new(),
                        session: None,
                        version,
                    });
                }
                (Line::Join { player, level, interests }, Some(s)) => {
                    s.members.push(Joined { id: player, level, interests });
                }
                (Line::Leave { player }, Some(s)) => s.members.retain(|m| m.id != player),
                (Line::Start { session, .. }, Some(s)) => s.session = Some(session),
                _ => return Err(ApiError::new("internal", format!("team {id}: its journal is out of order"))),
            }
        }
        Ok(state)
    }

    fn is_member(&self, player: &str) -> bool {
        self.members.iter().any(|m| m.id == player)
    }
}

/// What a request to create a team asks for.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTeam {
    /// A template the server offers, or...
    #[serde(default)]
    pub template: Option<String>,
    /// ...a live event, whose open window the team enters when it starts.
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default = "first_round")]
    pub round: u64,
    /// The meeting point, where the hunt starts for everyone.
    pub start: Position,
    /// Players who may join without the invite code.
    #[serde(default)]
    pub members: Vec<String>,
    /// Development only (no token): who creates it.
    #[serde(default)]
    pub player: Option<String>,
}

fn first_round() -> u64 {
    1
}

/// A team as its members (and, without the invite and token, anyone) see it.
#[derive(Debug, Serialize)]
pub struct TeamView {
    pub team: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    pub start: Position,
    /// The most members it may have.
    pub max: u32,
    pub members: Vec<String>,
    pub invited: Vec<String>,
    pub started: bool,
    /// For members: the code that lets others join.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invite: Option<String>,
    /// Once started: the team's session...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// ...and, for a member, their token for it and the hunt as players see it (the stages
    /// found so far with their sites).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hunt: Option<Box<serde_json::value::RawValue>>,
}

/// Who asks: their id, and (from their token, when they have one) their level and interests.
pub struct Caller {
    pub id: String,
    pub level: u32,
    pub interests: BTreeMap<String, f64>,
}

impl Caller {
    /// The caller of a request: the token's player, or (development, no token) the body's.
    pub fn of(identity: Option<Identity>, player: Option<String>) -> Result<Caller, ApiError> {
        match (identity, player) {
            (Some(identity), None) => Ok(Caller {
                level: identity.level.unwrap_or(1),
                interests: identity.interests.unwrap_or_default(),
                id: identity.id,
            }),
            (Some(_), Some(_)) => Err(ApiError::at(
                "identity_in_body",
                "the player comes from their token, not from the request",
                "player",
            )),
            (None, Some(id)) => {
                crate::players::check_id(&id).map_err(|why| ApiError::at("malformed", why, "player"))?;
                Ok(Caller { id, level: 1, interests: BTreeMap::new() })
            }
            (None, None) => Err(ApiError::at("malformed", "the player's id is missing", "player")),
        }
    }
}

fn new_team_id() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("randomness");
    format!("t{}", hex::encode(bytes))
}

fn started() -> ApiError {
    ApiError::new("team_started", "the team has started: its members are settled")
}

impl Engine {
    /// Creates a team, its creator its first member.
    pub async fn create_team(&self, caller: &Caller, request: CreateTeam) -> Result<TeamView, ApiError> {
        let template = match (&request.template, &request.event) {
            (Some(name), None) => self.team_template(name)?,
            (None, Some(event)) => self.event_template(event)?,
            _ => {
                return Err(ApiError::at("malformed", "a team plays a template or a live event: name one", "template"))
            }
        };
        let max = template.max_team.ok_or_else(|| {
            ApiError::at(
                "template_invalid",
                "this template's hunts are for one player (it sets no max_team)",
                "template",
            )
        })?;
        if request.round > xmarks::limits::MAX_SEED {
            return Err(ApiError::at("malformed", "is above 2^53 - 1", "round"));
        }
        request.start.check_in(self.world().space()).map_err(|why| ApiError::at("malformed", why, "start"))?;
        if request.members.len() >= max as usize {
            return Err(ApiError::at(
                "team_full",
                format!("the template's teams have at most {max} members"),
                "members",
            ));
        }
        for (i, id) in request.members.iter().enumerate() {
            crate::players::check_id(id).map_err(|why| ApiError::at("malformed", why, format!("members[{i}]")))?;
        }
        let id = new_team_id();
        let create = Line::Create {
            by: caller.id.clone(),
            template: request.template,
            event: request.event,
            round: request.round,
            start: request.start,
            max,
            invited: request.members,
        };
        let join = Line::Join { player: caller.id.clone(), level: caller.level, interests: caller.interests.clone() };
        let lines = [create, join].iter().map(|l| serde_json::to_string(l).expect("lines serialise")).collect();
        self.store().journal_append(&format!("{TEAM_PREFIX}{id}"), 0, lines).await?;
        self.team(&id, Some(&caller.id)).await
    }

    /// A team as `viewer` sees it: a member sees its invite code and, once started, their token.
    pub async fn team(&self, id: &str, viewer: Option<&str>) -> Result<TeamView, ApiError> {
        let state = self.team_state(id).await?;
        let member = viewer.filter(|v| state.is_member(v));
        Ok(TeamView {
            team: state.id.clone(),
            template: state.template.clone(),
            event: state.event.clone(),
            start: state.start,
            max: state.max,
            members: state.members.iter().map(|m| m.id.clone()).collect(),
            invited: state.invited.clone(),
            started: state.session.is_some(),
            invite: member.map(|_| self.keys().invite(id)),
            token: match (&state.session, member) {
                (Some(session), Some(member)) => Some(self.keys().member_token(session, member)),
                _ => None,
            },
            hunt: match (&state.session, member) {
                (Some(session), Some(_)) => Some(self.hunt_view(session).await?),
                _ => None,
            },
            session: state.session,
        })
    }

    /// Joins `caller` to a team: with its invite code, or as one of the players it listed.
    pub async fn join_team(&self, id: &str, invite: Option<&str>, caller: &Caller) -> Result<TeamView, ApiError> {
        if let Some(code) = invite {
            if self.keys().invited_to(code).as_deref() != Some(id) {
                return Err(ApiError::at("forbidden", "this invite code is not the team's", "invite"));
            }
        }
        self.change_team(id, |state| {
            if state.is_member(&caller.id) {
                return Ok(None);
            }
            if invite.is_none() && !state.invited.contains(&caller.id) {
                return Err(ApiError::new("forbidden", "joining takes the team's invite code"));
            }
            if state.session.is_some() {
                return Err(started());
            }
            if state.members.len() >= state.max as usize {
                return Err(ApiError::new("team_full", format!("the team has {} members, its most", state.max)));
            }
            let interests = caller.interests.clone();
            Ok(Some(Line::Join { player: caller.id.clone(), level: caller.level, interests }))
        })
        .await?;
        self.team(id, Some(&caller.id)).await
    }

    /// Takes `caller` out of a team that has not started.
    pub async fn leave_team(&self, id: &str, caller: &Caller) -> Result<TeamView, ApiError> {
        self.change_team(id, |state| {
            if !state.is_member(&caller.id) {
                return Ok(None);
            }
            if state.session.is_some() {
                return Err(started());
            }
            Ok(Some(Line::Leave { player: caller.id.clone() }))
        })
        .await?;
        self.team(id, Some(&caller.id)).await
    }

    /// Starts a team: generates its hunt, opens its session and records the start (see the
    /// module's documentation). Answers as `POST /v1/sessions` does, with the caller's token.
    pub async fn start_team(&self, id: &str, caller: &Caller) -> Result<(Created, TeamView), ApiError> {
        let _one = self.team_lock(&format!("{id}#start")).lock_owned().await;
        let state = self.team_state(id).await?;
        if !state.is_member(&caller.id) {
            return Err(ApiError::new("forbidden", "only the team's members start it"));
        }
        if state.session.is_some() {
            return Err(started());
        }
        if state.members.len() < 2 {
            return Err(ApiError::new("team_too_small", "a team plays with 2 members or more: invite someone"));
        }
        let mut members = Vec::with_capacity(state.members.len());
        for m in &state.members {
            let found = self.profile(&m.id).await?.sites_found;
            let member = TeamMember { id: m.id.clone(), level: m.level, found, interests: m.interests.clone() };
            members.push(member);
        }
        let team = Team { id: id.to_owned(), start: state.start, members };
        let session = crate::auth::new_session_id();
        let now = crate::engine::now_ms();
        let (hunt, rules) = match (&state.template, &state.event) {
            (Some(name), _) => {
                let game = self
                    .game(name)
                    .ok_or_else(|| ApiError::new("unknown_template", format!("no template {name:?}")))?;
                let seeds = Seeds { game: self.game_seed(), round: state.round };
                let hunt = xmarks::generate_team(self.world(), &game.template, &seeds, &team)
                    .map_err(|e| ApiError::from_coded(&e))?;
                (hunt, Arc::clone(&game.rules))
            }
            (None, Some(event)) => self.event_team_hunt(event, &team, &session).await?,
            (None, None) => return Err(ApiError::new("internal", "a team with neither template nor event")),
        };
        // Recorded first, so that one start wins; the session opens under the id it names.
        self.change_team(id, |now_state| match now_state.session {
            Some(_) => Err(started()),
            None => Ok(Some(Line::Start { by: caller.id.clone(), session: session.clone() })),
        })
        .await?;
        let mut created = self.open_session(session.clone(), hunt, rules, now).await?;
        created.token = self.keys().member_token(&session, &caller.id);
        tracing::info!(team = %id, session = %session, members = state.members.len(), "team started");
        Ok((created, self.team(id, Some(&caller.id)).await?))
    }

    /// A team's template among the server's, if it is one.
    fn team_template(&self, name: &str) -> Result<xmarks::Template, ApiError> {
        match self.game(name) {
            Some(game) => Ok(game.template.clone()),
            None => Err(ApiError::at(
                "unknown_template",
                format!("no template {name:?}; this server offers {:?}", self.template_names()),
                "template",
            )),
        }
    }

    async fn team_state(&self, id: &str) -> Result<State, ApiError> {
        let journal = self.store().journal_read(&format!("{TEAM_PREFIX}{id}"), 0).await?;
        State::fold(id, &journal.entries, journal.version)?
            .ok_or_else(|| ApiError::new("not_found", format!("no team {id:?}")))
    }

    /// One of this server's locks for a team (`key`: its id, or what it guards).
    fn team_lock(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        Arc::clone(self.team_locks.lock().expect("team locks").entry(key.to_owned()).or_default())
    }

    /// Reads a team's journal to its end, decides (`None`: nothing to change) and appends, again
    /// if another server appended in between. One change at a time per team on this server, so
    /// that only other servers' appends make it decide again.
    async fn change_team(
        &self,
        id: &str,
        decide: impl Fn(&State) -> Result<Option<Line>, ApiError>,
    ) -> Result<(), ApiError> {
        let _one = self.team_lock(id).lock_owned().await;
        let mut attempt = 0;
        loop {
            let state = self.team_state(id).await?;
            let Some(line) = decide(&state)? else { return Ok(()) };
            let text = serde_json::to_string(&line).expect("lines serialise");
            match self.store().journal_append(&format!("{TEAM_PREFIX}{id}"), state.version, vec![text]).await {
                Ok(_) => return Ok(()),
                Err(StoreError::Conflict) if attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    // A few ms apart, so that two servers racing do not meet again at once.
                    let mut jitter = [0u8; 1];
                    getrandom::fill(&mut jitter).expect("randomness");
                    tokio::time::sleep(std::time::Duration::from_micros(500 + 20 * u64::from(jitter[0]))).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}
