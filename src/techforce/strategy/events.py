"""Audit action names of the strategy capability (they also invalidate cached pages)."""

SET_IMPORT = "strategy.set.import"
SIGN = "strategy.signatory.save"
PLEDGE = "strategy.pledge.save"
SUBMISSION_SAVE = "strategy.submission.save"
SUBMIT = "strategy.submission.submit"
REOPEN = "strategy.submission.reopen"
ACTION_SAVE = "strategy.action.save"
ACTION_REMOVE = "strategy.action.remove"
ACTIONS_IMPORT = "strategy.actions.import"
ACTIONS_EXPORT = "strategy.actions.export"
EVIDENCE_ADD = "strategy.evidence.add"
EVIDENCE_REMOVE = "strategy.evidence.remove"
REVIEW_INVITE = "strategy.review.invite"
REVIEW_REVOKE = "strategy.review.revoke"
COMMENT = "strategy.review.comment"
REMIND = "strategy.remind"
PACK = "strategy.pack"

DATA_CHANGES = (
    SET_IMPORT,
    SIGN,
    PLEDGE,
    SUBMISSION_SAVE,
    SUBMIT,
    REOPEN,
    ACTION_SAVE,
    ACTION_REMOVE,
    ACTIONS_IMPORT,
    EVIDENCE_ADD,
    EVIDENCE_REMOVE,
    REVIEW_INVITE,
    REVIEW_REVOKE,
    COMMENT,
)
