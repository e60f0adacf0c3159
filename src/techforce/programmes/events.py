"""The programmes capability's audit action names. Those in DATA_CHANGES change what its
pages show (the impact dashboard's cache follows them)."""

PROGRAMME_SAVE = "programmes.programme.save"
COHORT_SAVE = "programmes.cohort.save"
SESSION_SAVE = "programmes.session.save"
SESSION_REMOVE = "programmes.session.remove"
BOOKING_APPLY = "programmes.booking.apply"
BOOKING_CONFIRM = "programmes.booking.confirm"
BOOKING_WAITLIST = "programmes.booking.waitlist"
BOOKING_PROMOTE = "programmes.booking.promote"
BOOKING_DECIDE = "programmes.booking.decide"
BOOKING_CANCEL = "programmes.booking.cancel"
ATTENDANCE_RECORD = "programmes.attendance.record"
PROJECT_RECORD = "programmes.project.record"
COMPLETION = "programmes.booking.complete"
FEEDBACK_SUBMIT = "programmes.feedback.submit"
OUTCOME_RECORD = "programmes.outcome.record"
CONSENT_GIVE = "programmes.consent.give"
CONSENT_WITHDRAW = "programmes.consent.withdraw"
CREDENTIAL_ISSUE = "programmes.credential.issue"
CREDENTIAL_REVOKE = "programmes.credential.revoke"
FEED_NEW = "programmes.feed.new"
FEED_REVOKE = "programmes.feed.revoke"
IMPORT = "programmes.import"
EXPORT = "programmes.export"  # a download of participants' names and e-mail addresses
NOTIFY = "programmes.notify"

DATA_CHANGES = (
    PROGRAMME_SAVE,
    COHORT_SAVE,
    SESSION_SAVE,
    SESSION_REMOVE,
    BOOKING_APPLY,
    BOOKING_CONFIRM,
    BOOKING_WAITLIST,
    BOOKING_PROMOTE,
    BOOKING_DECIDE,
    BOOKING_CANCEL,
    ATTENDANCE_RECORD,
    PROJECT_RECORD,
    COMPLETION,
    FEEDBACK_SUBMIT,
    OUTCOME_RECORD,
    CONSENT_GIVE,
    CONSENT_WITHDRAW,
    CREDENTIAL_ISSUE,
    CREDENTIAL_REVOKE,
    IMPORT,
)
