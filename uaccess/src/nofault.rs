//! The _nofault copies and the atomic copy with a sleepable fallback (issue 8): work in progress.
