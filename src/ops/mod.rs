//! The service layer: every user action is one function here, with its rules and a typed error.
//! The CLI is a thin shell over it (and the HTTP API will be); neither holds a rule of its own.
//! [`OpsError::kind`] says what kind of failure it was, so each front end can map it once (an
//! exit code, an HTTP status).

pub mod audit;
pub mod callbacks;
pub mod campaigns;
pub mod contacts;
pub mod dnc;
pub mod explain;
pub mod report;
pub mod tokens;
pub mod why;

use crate::import::ImportError;
use crate::store::StoreError;

/// Why an action was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// The input itself is wrong (a definition that does not validate, a bad phone number).
    #[error("{0}")]
    Invalid(String),
    /// No such campaign (or other object).
    #[error("{0}")]
    NotFound(String),
    /// The action does not fit the object's state (resume a running campaign, edit limits of a
    /// running one, create a campaign whose name is taken).
    #[error("{0}")]
    Conflict(String),
    /// A CSV file that cannot be imported, or broke mid-way.
    #[error(transparent)]
    Import(ImportError),
    /// The store failed (unreachable, I/O).
    #[error(transparent)]
    Store(StoreError),
}

/// The kind of an [`OpsError`], for front ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Invalid,
    NotFound,
    Conflict,
    Unavailable,
}

impl OpsError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            OpsError::Invalid(_) => ErrorKind::Invalid,
            OpsError::NotFound(_) => ErrorKind::NotFound,
            OpsError::Conflict(_) => ErrorKind::Conflict,
            OpsError::Import(ImportError::Store(_)) | OpsError::Store(_) => ErrorKind::Unavailable,
            OpsError::Import(_) => ErrorKind::Invalid,
        }
    }
}

impl From<StoreError> for OpsError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoSuchCampaign(_) | StoreError::NoCampaignId(_) => {
                OpsError::NotFound(e.to_string())
            }
            StoreError::CampaignExists(_)
            | StoreError::BadTransition { .. }
            | StoreError::NotEditable { .. } => OpsError::Conflict(e.to_string()),
            StoreError::Invalid(m) => OpsError::Invalid(m),
            other => OpsError::Store(other),
        }
    }
}

impl From<ImportError> for OpsError {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Store(s) => OpsError::from(s),
            other => OpsError::Import(other),
        }
    }
}

pub type Result<T> = std::result::Result<T, OpsError>;
